// bench:pg on a tiny load: every variant (funnel, direct connections, the COPY ceiling, 2 processes ×
// 2 collectors) writes the same trades into a fresh schema, none lost or duplicated, and
// every schema is dropped after. 2 producers: the bench's default 8 add threads, not code paths. Not a
// performance test: figures are not judged.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PG_TEST_URL, testSchema } from '../../support/postgres.ts';
import { compiled } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

const run = promisify(execFile);

describe('bench:pg smoke (4,000 trades)', () => {
  it('runs every variant over the same rows, 0 lost, 0 duplicated', async () => {
    // Fails here, not in the script, when the server is unreachable.
    await testSchema();
    const out = `${tempDir('gecko-bench-pg-')}/r.json`;
    const { stdout } = await run(
      process.execPath,
      [
        compiled('bench/pg-compare.ts'),
        ...['--db', PG_TEST_URL, '--rows', '4000', '--producers', '2', '--processes', '2', '--collectors', '2'],
        ...['--out', out],
      ],
      { env: { ...process.env, GECKO_LOG_LEVEL: 'warn' } },
    );
    expect(stdout).toMatch(/ratios \(medians\): funnel \/ COPY ceiling \d/);
    const r = JSON.parse(fs.readFileSync(out, 'utf8')) as {
      results: { name: string; rows: number; lost: number; duplicated: number }[];
    };
    expect(r.results.map((x) => x.name)).toEqual([
      'funnel (1 writer, 2 senders)',
      '2 direct connections',
      'COPY ceiling (1 connection)',
      '2 processes × 2 collectors',
    ]);
    for (const x of r.results) expect([x.name, x.rows, x.lost, x.duplicated]).toEqual([x.name, 4000, 0, 0]);
  });
});
