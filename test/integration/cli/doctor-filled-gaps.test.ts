// doctor's per-pool coverage counts what gaps still miss: a filled gap none, one filled in part its estimate less
// the trades the fill found, on both engines.
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import type { DatabaseReport } from '../../../src/doctor/database-report.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { captureIo } from '../../support/capture-io.ts';
import { fixtureTrades } from '../../support/fixtures.ts';
import { testSchema } from '../../support/postgres.ts';
import { tempDir } from '../../support/temp-dir.ts';

const POOL = 'solana_PoolFromFixture';
const gap = (h: number, estimatedMissed: number) => ({
  poolId: POOL,
  gapStart: `2025-08-27T${h}:00:00Z`,
  gapEnd: `2025-08-27T${h}:30:00Z`,
  detectedAt: '2025-08-28T16:00:00Z',
  tradesInResponse: 300,
  estimatedMissed,
});

async function seed(url: string) {
  const manager = new LockOptimizedDatabaseManager({ url });
  await manager.initialize();
  try {
    await manager.storeTradeDataOptimized(fixtureTrades());
    const gaps = [gap(10, 100), gap(11, 40), gap(12, 25)];
    await manager.write({ gaps });
    await manager.write({
      gapFills: [
        { ...pick(gaps[0]!), filledAt: '2025-08-28T16:05:00Z', filledTrades: 90, fillError: null },
        { ...pick(gaps[1]!), filledAt: null, filledTrades: 15, fillError: 'more than 300 trades within a second' },
      ],
    });
  } finally {
    await manager.close();
  }
}
const pick = (g: ReturnType<typeof gap>) => ({ poolId: g.poolId, gapStart: g.gapStart, gapEnd: g.gapEnd });

async function coverage(url: string) {
  const cap = captureIo();
  expect(await main(['doctor', '--db', url, '--json', '--quick'], cap.io)).toBe(0);
  const report = JSON.parse(cap.stdout()) as DatabaseReport;
  return report.pools.find((p) => p.poolId === POOL)?.coverage;
}

describe('doctor: coverage of filled gaps', () => {
  const dir = tempDir('gecko-doctor-filled-');

  it.each(['sqlite', 'postgresql'])(
    '%s: a filled gap misses nothing, a part-filled one its estimate less what was found',
    async (engine) => {
      const url =
        engine === 'sqlite' ? urlFromDatabasePath(`${dir}/gecko.db`) : (await testSchema('gecko_doc_fill')).url;
      await seed(url);
      // 0 (filled) + 40 - 15 (in part) + 25 (open).
      expect((await coverage(url))?.all).toMatchObject({ missed: 50, gapsWithoutEstimate: 0 });
    },
  );
});
