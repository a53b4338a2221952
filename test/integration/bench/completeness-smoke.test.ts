// bench:completeness on one short run per access: the harness runs the real collect against its market, reads
// stored / made from the database and the truth ledger, and the figures hold together (none above the oracle,
// no more calls than the budget). Not a performance test.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compiled } from '../../support/repo.ts';

interface Run {
  market: string;
  access: string;
  schedule: string;
  collectFlags: string[];
  budgetPerMinute: number;
  made: number;
  stored: number;
  completeness: number;
  oracle: { completeness: number };
  ofOracle: number;
  fair: { made: number; bound: number; primal: number; primalCalls: number };
  ofFairBound: number;
  streamShiftMs: number;
  calls: { polls: number; budgetUsed: number };
  missed: { true: number; wholeRun: number; estimated: number | null };
}

const exec = promisify(execFile);

/** One bench run per access, side by side (each its own simulator and database): two runs each, not four in a row. */
async function bench(access: string): Promise<{ stdout: string; stderr: string }> {
  return exec(
    process.execPath,
    [
      compiled('bench/completeness.ts'),
      ...['--duration', '48', '--edge', '24', '--time-scale', '8', '--pools', '8', '--markets', 'skewed'],
      ...['--budgets', '4x', '--access', access],
      ...['--schedule', 'fixed', '--schedule', 'quick=--poll-interval {s:20}', '--json'],
    ],
    { timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
  );
}

describe('bench:completeness smoke', () => {
  it('measures a skewed market, paid and keyless, against the oracle', async () => {
    const outputs = await Promise.all(['paid', 'keyless'].map(bench));
    const runs: Run[] = [];
    for (const { stdout, stderr } of outputs) {
      expect(stderr).toMatch(/^machine: /);
      expect(stderr).toMatch(/time scale 8/);
      const out = JSON.parse(stdout) as { runs: Run[]; settings: { scale: number } };
      expect(out.settings.scale).toBe(8);
      runs.push(...out.runs);
    }
    expect(runs.map((r) => `${r.access} ${r.schedule}`)).toEqual([
      'paid fixed',
      'paid quick',
      'keyless fixed',
      'keyless quick',
    ]);
    expect(runs[1]!.collectFlags).toEqual(['--poll-interval', '2.5']);
    for (const r of runs) {
      expect(r.made).toBeGreaterThan(100);
      expect(r.stored).toBeLessThanOrEqual(r.made);
      expect(r.missed.true).toBe(r.made - r.stored);
      expect(r.completeness).toBeCloseTo(r.stored / r.made, 12);
      expect(r.ofOracle).toBeLessThanOrEqual(1.0001);
      // The fair oracle: a feasible schedule below its bound, collect below the bound too.
      expect(r.fair.made).toBe(r.made);
      expect(r.fair.primal).toBeGreaterThan(0);
      expect(r.fair.primal).toBeLessThanOrEqual(r.fair.bound);
      expect(r.ofFairBound).toBeLessThanOrEqual(1.0001);
      expect(r.calls.polls).toBeGreaterThan(0);
      expect(r.calls.budgetUsed).toBeLessThanOrEqual(1.05);
    }
    // Four times the need: the oracle stores everything it could reach (all of it with a key).
    expect(runs[0]!.oracle.completeness).toBe(1);
    // The same market for both schedules of one access: only the schedule differs.
    expect(runs[1]!.budgetPerMinute).toBe(runs[0]!.budgetPerMinute);
    // Polling every 20 s instead of 60 s stores more of the same market.
    expect(runs[1]!.completeness).toBeGreaterThan(runs[0]!.completeness);

    // --oracle-from replays each saved run's market: the same trades made, the same oracle, without collect.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gecko-oracle-from-'));
    try {
      const replayed = await Promise.all(
        outputs.map(async ({ stdout }, i) => {
          const file = path.join(dir, `runs-${i}.json`);
          fs.writeFileSync(file, stdout);
          const again = await exec(
            process.execPath,
            [compiled('bench/completeness.ts'), '--oracle-from', file, '--json'],
            {
              timeout: 120_000,
              maxBuffer: 16 * 1024 * 1024,
            },
          );
          return (JSON.parse(again.stdout) as { runs: Run[] }).runs;
        }),
      );
      expect(replayed.flat().map((r) => r.fair)).toEqual(runs.map((r) => ({ ...r.fair, seconds: expect.any(Number) })));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
