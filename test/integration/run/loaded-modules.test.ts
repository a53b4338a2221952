// A SQLite `collect` loads only what it uses: not the PostgreSQL client, not the parquet archive code.
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { spawnCli } from '../../support/cli-process.ts';
import { REPO_ROOT } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

const REGISTER = path.join(REPO_ROOT, 'test/support/module-trace/register.mjs');

it('a simulated SQLite collect never resolves pg, the PostgreSQL engine or hyparquet in its main thread', async () => {
  const dir = tempDir();
  const trace = path.join(dir, 'modules.txt');
  const run = spawnCli(['collect', '--simulate', '--duration', '2', '--db', 'sqlite:///t.db'], dir, {
    MODULE_TRACE_FILE: trace,
    NODE_OPTIONS: `--import ${REGISTER}`,
  });
  expect(await run.exited(), run.out()).toBe(0);
  const urls = new Set(fs.readFileSync(trace, 'utf8').split('\n').filter(Boolean));
  // The trace must have seen the run itself, or an empty list would pass.
  expect([...urls].some((u) => u.endsWith('/dist/src/storage/sqlite/collection-reads.js'))).toBe(true);
  const heavy = [...urls].filter((u) =>
    /\/node_modules\/(pg|pg-pool|hyparquet[^/]*)\/|\/dist\/src\/storage\/postgres\//.test(u),
  );
  expect(heavy).toEqual([]);
});
