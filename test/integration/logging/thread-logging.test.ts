// Every thread logs where the caller's logger writes, at its level: a library caller's silent pino silences the
// writer and collector threads too (even with GECKO_LOG_LEVEL=trace in the environment), a capturing one gets
// their records. Without a logger the library says nothing at all; GECKO_LOG_LEVEL is the CLI's setting.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { compiled, REPO_ROOT } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

const run = promisify(execFile);
const dir = tempDir('gecko-logging-');
const SCRIPT = compiled('test/integration/logging/fixtures/library-run.ts');

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete e.VITEST;
  return e;
}

describe('thread logging', () => {
  it("a library caller's silent logger silences every thread", async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [SCRIPT, 'silent', urlFromDatabasePath(path.join(dir, 'silent.db'))],
      { env: env({ GECKO_LOG_LEVEL: 'trace' }) },
    );
    expect(stderr).toBe('');
    const out = JSON.parse(stdout) as { stored: number; components: string[] };
    expect(out.stored).toBeGreaterThan(0);
    expect(out.components).toEqual([]);
  });

  it("a library caller's logger receives the writer's and collectors' records, and nothing goes to stderr", async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [SCRIPT, 'capture', urlFromDatabasePath(path.join(dir, 'capture.db'))],
      { env: env({ GECKO_LOG_LEVEL: 'silent' }) },
    );
    expect(stderr).toBe('');
    const out = JSON.parse(stdout) as { stored: number; components: string[] };
    expect(out.components).toEqual(expect.arrayContaining(['collection', 'collector', 'db-manager', 'writer']));
  });

  it('without a logger a whole run (writer and collector threads included) writes nothing to stderr', async () => {
    const e = env({});
    delete e.GECKO_LOG_LEVEL;
    // dbUrl a plain relative path, as --db takes it.
    const { stdout, stderr } = await run(process.execPath, [SCRIPT, 'none', 'none.db'], { env: e, cwd: dir });
    expect(stderr).toBe('');
    expect((JSON.parse(stdout) as { stored: number }).stored).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(dir, 'none.db'))).toBe(true);
  });

  it("GECKO_LOG_LEVEL is the CLI's: importing the library with a bad one says nothing and throws nothing", async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(path.join(REPO_ROOT, 'dist/src/index.js'))}); console.log(typeof m.runCollection);`,
      ],
      { env: env({ GECKO_LOG_LEVEL: 'verbose' }) },
    );
    expect(stdout).toBe('function\n');
    expect(stderr).toBe('');
  });
});
