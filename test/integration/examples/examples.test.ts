// The README's library examples are the files in examples/: compiled with the rest (so they type-check
// against the package's own declarations, imported by its name), run here, and kept word for word in the README.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compiled, REPO_ROOT } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-examples-');

function runExample(name: string): unknown {
  const db = path.join(dir, `${name}.db`);
  const run = spawnSync(process.execPath, [compiled(`examples/${name}.ts`), `sqlite:///${db}`], {
    encoding: 'utf8',
    env: { ...process.env, GECKO_LOG_LEVEL: 'error' },
    timeout: 60_000,
  });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout);
}

function count(db: string): number {
  return Number(spawnSync('sqlite3', [db, 'SELECT count(*) FROM trades'], { encoding: 'utf8' }).stdout);
}

describe('examples/', () => {
  it('store-trades stores what the simulator served', () => {
    const out = runExample('store-trades') as { inserted: number; duplicates: number; rejected: number };
    expect(out.inserted).toBeGreaterThan(0);
    expect(out.rejected).toBe(0);
    expect(count(path.join(dir, 'store-trades.db'))).toBe(out.inserted);
  });

  it('worker-link commits one batch from each of two worker threads', () => {
    const acks = runExample('worker-link') as { inserted: number }[];
    expect(acks.map((a) => a.inserted)).toEqual([1, 1]);
    expect(count(path.join(dir, 'worker-link.db'))).toBe(2);
  });

  it('collect runs a simulated collection and stores everything served', () => {
    const out = runExample('collect') as { stored: number; allServedStored: boolean };
    expect(out.allServedStored).toBe(true);
    expect(count(path.join(dir, 'collect.db'))).toBe(out.stored);
  });

  it('the README shows each example as it is in examples/', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const shown = [...readme.matchAll(/<!-- example: (\S+) -->\n```ts\n([\s\S]*?)```/g)];
    expect(shown.map((m) => m[1]).sort()).toEqual([
      'examples/collect.ts',
      'examples/store-trades.ts',
      'examples/worker-link.ts',
    ]);
    for (const [, file, code] of shown) expect(code, file).toBe(fs.readFileSync(path.join(REPO_ROOT, file!), 'utf8'));
  });
});
