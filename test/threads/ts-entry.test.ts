// The loader-free way the CLI, the bench scripts and the workers run TypeScript (bin/ts-entry.mjs), and the
// flags a worker started that way gets.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleTypeScript, importTypeScript } from '../../bin/ts-entry.mjs';

const here = (p: string) => path.resolve(import.meta.dirname, p);

describe('bin/ts-entry.mjs', () => {
  it('imports a TypeScript module from a bundle in which every module keeps its own import.meta.url', async () => {
    const m = (await importTypeScript(here('fixtures/meta-url.ts'))) as { ownUrl: string; importedUrl: string; workerEntry: string };
    expect(m.ownUrl).toBe(pathToFileURL(here('fixtures/meta-url.ts')).href);
    expect(m.importedUrl).toBe(pathToFileURL(here('fixtures/nested/nested-meta-url.ts')).href);
    // So a module can still find its worker entries beside it.
    expect(fs.existsSync(new URL(m.workerEntry))).toBe(true);
  });

  it('leaves itself out of the bundles it makes, so a process has one instance of it (one bundle map, one cache sweep)', () => {
    const r = spawnSync(process.execPath, ['bin/run-ts.mjs', 'test/threads/fixtures/one-ts-entry.ts'], { cwd: here('../..'), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('true');
  });

  it('refuses a worker entry whose modules use import.meta, which a synchronous bundle cannot keep', () => {
    expect(() => bundleTypeScript(here('fixtures/meta-url.ts'))).toThrow(/meta-url\.ts: a worker entry's modules must not use import\.meta/);
  });

  it('bundles a worker entry to a plain .mjs file, and leaves JavaScript files as they are', () => {
    const out = bundleTypeScript(here('fixtures/priority-worker.ts'));
    expect(out).toMatch(/priority-worker-[0-9a-f]{16}\.mjs$/);
    // Named by content: the same sources give the same file, in this process and in any other.
    const again = spawnSync(process.execPath, ['--input-type=module', '-e', `import { bundleTypeScript } from ${JSON.stringify(pathToFileURL(here('../../bin/ts-entry.mjs')).href)}; process.stdout.write(bundleTypeScript(${JSON.stringify(here('fixtures/priority-worker.ts'))}));`], { encoding: 'utf8' });
    expect(again.stdout).toBe(out);
    expect(fs.existsSync(out)).toBe(true);
    expect(fs.readFileSync(out, 'utf8')).not.toMatch(/^import .*\.ts['"]/m);
    const js = here('../../bin/run-ts.mjs');
    expect(bundleTypeScript(js)).toBe(js);
  });

  it('run-ts.mjs says what is wrong with its arguments', () => {
    const root = here('../..');
    const none = spawnSync(process.execPath, ['bin/run-ts.mjs'], { cwd: root, encoding: 'utf8' });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^usage: node bin\/run-ts\.mjs FILE\.ts/);
    const missing = spawnSync(process.execPath, ['bin/run-ts.mjs', 'bench/nope.ts'], { cwd: root, encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/run-ts: cannot read .*bench\/nope\.ts/);
  });
});

describe('spawnWorker', () => {
  it('starts workers under V8 flags given to node: they apply process-wide, the worker gets the rest', () => {
    const r = spawnSync(process.execPath, ['--max-old-space-size=512', '--no-deprecation', 'bin/run-ts.mjs', 'test/threads/fixtures/spawn-with-flags.ts'], { cwd: here('../..'), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const flags = JSON.parse(r.stdout) as string[];
    expect(flags).toContain('--no-deprecation');
    expect(flags).not.toContain('--max-old-space-size=512');
  });
});
