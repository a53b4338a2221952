// All 300 real trades through the funnel and back: every decimal string identical.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { parseTradesDocument } from '../../../src/gecko/trade-parser.ts';
import { fixturePath, tempDir } from '../../support/temp-dir.ts';

const POOL = 'pool-from-fixture';

describe('fixture round trip', () => {
  it('stores all 300 trades and reads back every amount string unchanged', async () => {
    const raw = JSON.parse(fs.readFileSync(fixturePath('geckoterminal/trades_solana_sol-pump.json'), 'utf8')) as {
      data: { id: string; attributes: Record<string, string | number> }[];
    };
    const trades = parseTradesDocument(raw, { network: 'solana', poolAddress: POOL });
    expect(trades).toHaveLength(300);
    const dbPath = path.join(tempDir(), 'fixture.db');
    const m = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(dbPath) });
    await m.initialize();
    const r = await m.storeTradeDataOptimized(trades);
    await m.close();
    expect(r).toEqual({ inserted: 300, duplicates: 0, rejected: [], deferred: false });

    const db = new Database(dbPath, { readonly: true });
    const rows = new Map(
      (
        db
          .prepare(
            'SELECT id, from_token_amount_exact AS from_token_amount, to_token_amount_exact AS to_token_amount, price_usd_exact AS price_usd, volume_usd_exact AS volume_usd, price_usd AS price_number, typeof(price_usd) AS t, side, block_timestamp FROM trades',
          )
          .all() as Record<string, string>[]
      ).map((r) => [r.id, r]),
    );
    db.close();
    expect(rows.size).toBe(300);
    for (const { id, attributes: a } of raw.data) {
      const row = rows.get(id)!;
      expect(row.from_token_amount).toBe(a.from_token_amount);
      expect(row.to_token_amount).toBe(a.to_token_amount);
      expect(row.volume_usd).toBe(a.volume_in_usd);
      expect(row.price_usd).toBe(a.kind === 'buy' ? a.price_to_in_usd : a.price_from_in_usd);
      // The NUMERIC column holds the number (what SQL compares and the Python ORM reads), the exact text beside it.
      expect(row.t).toBe('real');
      expect(row.price_number).toBe(Number(row.price_usd));
      expect(row.side).toBe(a.kind);
      expect(row.block_timestamp).toBe(String(a.block_timestamp).replace('T', ' ').replace('Z', '.000000'));
    }
  });
});
