// DirectDatabaseManager.storePoolMetadata: pools and dexes through the writer's own statements, on a temp
// database: a refused row is reported and the rest commit; storing again updates in place (upsert).

import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { DirectDatabaseManager } from '../../../src/direct/direct-manager.ts';
import type { DexRecord, PoolRecord } from '../../../src/protocol/records.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-direct-metadata-');

const pool = (n: number, extra: Partial<PoolRecord> = {}): PoolRecord => ({
  id: `solana_Pool${n}`,
  address: `Pool${n}`,
  name: `P${n} / SOL`,
  dexId: 'raydium',
  baseTokenId: `solana_Base${n}`,
  quoteTokenId: 'solana_So11111111111111111111111111111111111111112',
  reserveUsd: '12345.678901234567890123',
  createdAt: '2025-08-28T12:00:00Z',
  discoverySource: 'top_pools',
  metadataJson: null,
  ...extra,
});
const dex: DexRecord = { id: 'raydium', name: 'Raydium', network: 'solana' };

describe('DirectDatabaseManager.storePoolMetadata', () => {
  it('upserts pools and dexes, rejects only the bad row, and updates on a second store', async () => {
    const dbPath = path.join(dir, 'meta.db');
    const manager = new DirectDatabaseManager({ url: urlFromDatabasePath(dbPath) });
    await manager.initialize();
    try {
      const bad = pool(2, { address: null as unknown as string });
      const first = await manager.storePoolMetadata({ dexes: [dex], pools: [pool(1), bad, pool(3)] });
      expect(first.rejected).toEqual([{ id: 'solana_Pool2', reason: expect.stringContaining('NOT NULL') }]);
      await manager.storePoolMetadata({ pools: [pool(1, { reserveUsd: '99.5', name: null })] });
      expect((await manager.getLockContentionMetrics()).operations).toBe(2);
    } finally {
      await manager.close();
    }
    const db = new Database(dbPath, { readonly: true });
    try {
      expect(db.prepare('SELECT id, name, network FROM dexes').all()).toEqual([
        { id: 'raydium', name: 'Raydium', network: 'solana' },
      ]);
      const rows = db.prepare('SELECT id, name, reserve_usd, created_at FROM pools ORDER BY id').all();
      // The upsert keeps a known name when the update has none, as the funnel's writer does; reserve_usd is
      // NUMERIC(20, 8) as in the Python collector's models: the number.
      expect(rows).toEqual([
        { id: 'solana_Pool1', name: 'P1 / SOL', reserve_usd: 99.5, created_at: '2025-08-28 12:00:00.000000' },
        {
          id: 'solana_Pool3',
          name: 'P3 / SOL',
          reserve_usd: Number('12345.678901234567890123'),
          created_at: '2025-08-28 12:00:00.000000',
        },
      ]);
    } finally {
      db.close();
    }
  });

  it('a trade before its pool’s metadata gets a stub pool (placeholder dex), which the metadata then fills in', async () => {
    const dbPath = path.join(dir, 'stub.db');
    const manager = new DirectDatabaseManager({ url: urlFromDatabasePath(dbPath) });
    await manager.initialize();
    try {
      const trade = syntheticTrade(1);
      expect(await manager.storeTradeData([{ ...trade, poolId: 'solana_Pool7' }])).toMatchObject({ inserted: 1 });
      const read = () => {
        const db = new Database(dbPath, { readonly: true });
        try {
          return {
            pool: db.prepare("SELECT address, dex_id, name FROM pools WHERE id = 'solana_Pool7'").get(),
            fk: db.pragma('foreign_key_check'),
          };
        } finally {
          db.close();
        }
      };
      expect(read()).toEqual({ pool: { address: 'Pool7', dex_id: 'unknown-dex-solana', name: null }, fk: [] });
      // The metadata names a dex whose row did not come along: a minimal one is added, the FK still holds.
      await manager.storePoolMetadata({ pools: [pool(7, { dexId: 'orca' })] });
      expect(read()).toEqual({ pool: { address: 'Pool7', dex_id: 'orca', name: 'P7 / SOL' }, fk: [] });
    } finally {
      await manager.close();
    }
  });
});
