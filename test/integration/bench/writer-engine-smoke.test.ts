// bench:writer on a tiny load: the engine and the ceiling take turns transaction by transaction on their own
// files and each stores every unique trade. Not a performance test: figures are not judged.
import { describe, expect, it } from 'vitest';
import { runWriterEngineBench } from '../../../bench/writer-engine.ts';

describe('bench:writer smoke (12,000 trades, 2 producers, 1 rep)', () => {
  it('runs every variant over the same rows and stores each unique trade once', async () => {
    const lines: string[] = [];
    const r = await runWriterEngineBench({
      trades: 12_000,
      collectors: 2,
      duplicates: 0.3,
      reps: 1,
      onProgress: (l) => lines.push(l),
    });
    expect(r.rowsPerTransaction).toBe(5000);
    expect(r.runs.map((x) => x.variant)).toEqual(['ceiling', 'engine', 'engine-sorted']);
    for (const run of r.runs) {
      expect(run.stored, run.variant).toBe(r.unique);
      expect(Number.isFinite(run.rowsPerSec) && run.rowsPerSec > 0, run.variant).toBe(true);
      expect(run.cpuSeconds, run.variant).toBeGreaterThan(0);
    }
    expect(r.unique).toBe(Math.round(12_000 * 0.7));
    expect(lines).toHaveLength(3);
  });
});
