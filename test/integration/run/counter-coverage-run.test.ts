// The counter-based coverage on real collections of the simulator (its pools documents count the trades its truth
// ledger made): the run reads the counters at its start and end, the summary names the basis of its missed
// trades, and the stored counts and gaps the estimate reads are the store's own, on SQLite and PostgreSQL.
import { describe, expect, it } from 'vitest';
import { storedTradesByPool } from '../../../bench/stored-trades.ts';
import { resolveDatabaseConfig, writerSettingsFrom } from '../../../src/config/database-config.ts';
import { startCollection } from '../../../src/run/collection-run.ts';
import type { CollectionReads } from '../../../src/storage/collection-reads.ts';
import { pgCollectionReads } from '../../../src/storage/postgres/collection-reads.ts';
import { sqliteCollectionReads } from '../../../src/storage/sqlite/collection-reads.ts';
import { openReadOnly } from '../../../src/storage/sqlite/read-only-database.ts';
import { testSchema } from '../../support/postgres.ts';
import { tempDir } from '../../support/temp-dir.ts';

function readsOf(url: string): CollectionReads {
  const settings = writerSettingsFrom(resolveDatabaseConfig({ url }));
  if (settings.postgres) return pgCollectionReads(settings.postgres, 2);
  const db = openReadOnly(settings.path);
  return sqliteCollectionReads(
    async (fn) => fn(db),
    () => db.close(),
  );
}

describe.concurrent('counter-based coverage', () => {
  for (const engine of ['sqlite', 'postgres'] as const)
    it(`${engine}: the run reads the counters and names the basis; the store's counts and gaps are what it holds`, async () => {
      const url = engine === 'sqlite' ? `sqlite:///${tempDir()}/counters.db` : (await testSchema()).url;
      const startedAt = Date.now();
      // Busy pools with a small budget: every poll but the first records a gap.
      const handle = await startCollection({
        simulate: { pools: 4, seed: 3, tradesPerSecond: 400 },
        dbUrl: url,
        collectors: 1,
        callsPerMinute: 60,
        durationMs: 8000,
        metricsFile: false,
      });
      const summary = await handle.done;
      // The pools' counters were read at the start and once more after the last polls (and the metadata).
      expect(handle.simulator!.stats().routes.multi).toBeGreaterThanOrEqual(2);
      expect(summary.gaps).toBeGreaterThan(0);
      const c = summary.coverage;
      // The counters came (start and end), but a run this short is within their shortest window: rate x span.
      expect(['gaps', 'mixed', 'counters']).toContain(c.basis);
      expect(c.estimatedMissedGaps).toBeGreaterThan(0);
      expect(c.made).toBe(c.stored + c.estimatedMissed);
      const reads = readsOf(url);
      try {
        const gaps = await reads.gapsSince(startedAt);
        expect(gaps.length).toBe(summary.gaps);
        for (const g of gaps) {
          // A busy pool: the cursor and the oldest trade may share a second.
          expect(g.toMs).toBeGreaterThanOrEqual(g.fromMs);
          expect(g.estimatedMissed).toBeGreaterThanOrEqual(0);
        }
        const poolId = gaps[0]!.poolId;
        const address = poolId.slice('solana_'.length);
        const from = Math.floor(startedAt / 1000) * 1000 - 60_000;
        const breaks = Array.from({ length: 14 }, (_, i) => from + i * 5000);
        const counts = await reads.storedCountsIn(
          poolId,
          breaks.slice(0, -1).map((b, j) => [b, breaks[j + 1]!] as const),
        );
        expect(counts).toHaveLength(13);
        for (let j = 0; j < counts.length; j++) {
          const truth = (await storedTradesByPool(url, 'solana', breaks[j]!, breaks[j + 1]!)).get(address) ?? 0;
          expect(counts[j], `[${breaks[j]}, ${breaks[j + 1]})`).toBe(truth);
        }
        expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
        expect(gaps.reduce((sum, g) => sum + g.estimatedMissed, 0)).toBeCloseTo(c.estimatedMissedGaps, -1);
      } finally {
        await reads.close();
      }
    });
});
