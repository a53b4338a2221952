// bench:import on a tiny CSV: the generated file has the Python collector's export columns and the synthetic
// trades the ceiling builds, every row is imported, and the figures are sane. Not a performance test.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderImportSummary, runImportCompare } from '../../../bench/import-compare.ts';
import { PYTHON_EXPORT_HEADER, writeImportCsv } from '../../../bench/import-csv.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-import-bench-');

describe('bench:import smoke (1,500 rows, 2 reps)', () => {
  it('writes trade k of the seed on line k + 2, under the export header', () => {
    const file = path.join(dir, 'small.csv');
    writeImportCsv(file, 3, 7);
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(PYTHON_EXPORT_HEADER);
    const t = syntheticTrade(2, { seed: 7 });
    expect(lines[3]!.split(',').slice(0, 10)).toEqual([
      t.id,
      t.poolId,
      String(t.blockNumber),
      t.txHash,
      t.txFromAddress,
      t.fromTokenAmount,
      t.toTokenAmount,
      t.priceUsd,
      t.volumeUsd,
      t.side,
    ]);
  });

  it('imports every row and compares it with the ceiling on the same rows', async () => {
    const r = await runImportCompare({ rows: 1500, reps: 2, seed: 7, batchSize: 200, workDir: path.join(dir, 'work') });
    expect(r.problems).toEqual([]);
    expect(r.imports).toHaveLength(2);
    expect(r.ceilings).toHaveLength(2);
    for (const i of r.imports) {
      expect(i.imported).toBe(1500);
      expect(i.rejected).toBe(0);
      expect(i.transactions).toBeGreaterThan(0);
      expect(i.userSeconds).toBeGreaterThan(0);
      expect(i.peakRssMb).toBeGreaterThan(0);
    }
    const s = r.summary;
    expect(s.rowsPerSecRatio).toBeCloseTo(
      [0, 1].map((k) => r.imports[k]!.rowsPerSec / r.ceilings[k]!.rowsPerSec).reduce((a, b) => a + b) / 2,
      2,
    );
    expect(s.rowsPerSecRatioRange[0]).toBeLessThanOrEqual(s.rowsPerSecRatioRange[1]);
    expect(s.ceilingUsPerRow).toBeGreaterThan(0);
    if (process.platform === 'linux') {
      expect(s.writerUsPerRow).toBeGreaterThan(0);
      expect(s.readerUsPerRow).toBeGreaterThan(0);
      expect(s.cpuRatio).toBeGreaterThan(0);
    }
    expect(renderImportSummary(r)).toMatch(/^import \/ ceiling: rows\/s \d/m);
    // The generated CSV and the databases were in the work dir; nothing is left but the dir itself.
    expect(fs.readdirSync(path.join(dir, 'work'))).toEqual([]);
  }, 120_000);
});
