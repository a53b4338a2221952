// Files gecko-collector creates, read back through the Python collector's own SQLAlchemy models (written from
// the Python collector's schema): `session.query(Trade).all()` returns every row, every value equal to the input
// at the models' scale, the exact text in *_exact, SQL on prices numeric, and every foreign key satisfied.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import type { DatabaseReport } from '../../../src/doctor/database-report.ts';
import { normalizeTimestamp } from '../../../src/trades/trade-validation.ts';
import { cli } from '../../support/collect-run.ts';
import { atModelScale, MODEL_SCALE, OTHER_TRADE_COLUMNS, readWithLegacyModels } from '../../support/legacy-models.ts';
import { tempDir } from '../../support/temp-dir.ts';

const AMOUNTS = ['from_token_amount', 'to_token_amount', 'price_usd', 'volume_usd'] as const;
const HEADER =
  'id,pool_id,block_number,tx_hash,tx_from_address,from_token_amount,to_token_amount,price_usd,volume_usd,side,block_timestamp,created_at';
const SEVENTY = '1234567890123456789012345678901234.567890123456789012345678901234567890';

interface InputTrade {
  id: string;
  pool_id: string;
  block_number: string;
  tx_hash: string;
  tx_from_address: string;
  from_token_amount: string;
  to_token_amount: string;
  price_usd: string;
  volume_usd: string;
  side: string;
  block_timestamp: string;
  created_at: string;
}

/** The shape of the Python collector's export: prices of very different sizes, as in the example. */
function inputTrades(): InputTrade[] {
  const prices = [
    '9.97664662010672e-05',
    '209.29',
    '0.0000493804611736866',
    '1.5',
    '0.000000012345678901234567',
    '99.99',
  ];
  const pools = ['solana_PoolA', 'solana_PoolB', 'polygon_pos_0xabcdef0123456789abcdef0123456789abcdef01'];
  return Array.from({ length: 60 }, (_, i) => ({
    id: `${pools[i % 3]!.split('_')[0]}_${1000 + i}_tx${i}_0_17250000${i}`,
    pool_id: pools[i % 3]!,
    block_number: String(363106602 + i),
    tx_hash: `tx${i}`,
    tx_from_address: `from${i}`,
    from_token_amount: i === 0 ? SEVENTY : `${i}.${'7'.repeat(i % 25)}1`,
    to_token_amount: i % 4 === 0 ? '1.5e-05' : `10787911.48458${i}`,
    price_usd: prices[i % prices.length]!,
    volume_usd: i === 1 ? '0' : `532.71${i}`,
    side: i % 2 ? 'sell' : 'buy',
    block_timestamp: `2025-09-04 23:${String(i).padStart(2, '0')}:26.000000`,
    // Most rows carry the old collector's first sighting; an empty one means the import time.
    created_at: i === 5 ? '' : `2025-09-04 23:57:${String(i % 60).padStart(2, '0')}`,
  }));
}

function csvOf(trades: InputTrade[]): string {
  return `${[HEADER, ...trades.map((t) => Object.values(t).join(','))].join('\n')}\n`;
}

function foreignKeyCheck(dbPath: string): unknown[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.pragma('foreign_key_check') as unknown[];
  } finally {
    db.close();
  }
}

describe('files gecko-collector creates, read by the Python collector’s SQLAlchemy models', () => {
  it('import of a CSV export: every value equal to the input, created_at kept, pools and dexes created, FKs hold', async () => {
    const dir = tempDir();
    const input = inputTrades();
    const csv = path.join(dir, 'trades.csv');
    fs.writeFileSync(csv, csvOf(input));
    const dbPath = path.join(dir, 'imported.db');
    const before = Date.now();
    const r = await cli(['import', csv, '--db', urlFromDatabasePath(dbPath)]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^imported 60, duplicates 0, rejected 0/);

    const orm = readWithLegacyModels(dbPath);
    expect(orm.trades).toHaveLength(input.length);
    const byId = new Map(orm.trades.map((t) => [t.id, t]));
    for (const t of input) {
      const row = byId.get(t.id)!;
      expect(row).toBeDefined();
      for (const c of AMOUNTS) {
        expect(row[c]).toBe(atModelScale(t[c], MODEL_SCALE[c]));
        expect(orm.exact[t.id]![c]).toBe(t[c]);
      }
      expect(row).toMatchObject({
        pool_id: t.pool_id,
        block_number: Number(t.block_number),
        tx_hash: t.tx_hash,
        tx_from_address: t.tx_from_address,
        side: t.side,
        block_timestamp: t.block_timestamp,
      });
      if (t.created_at === '') {
        const at = Date.parse(`${String(row.created_at).replace(' ', 'T')}Z`);
        expect(at).toBeGreaterThanOrEqual(before - 1000);
        expect(at).toBeLessThanOrEqual(Date.now() + 1000);
      } else {
        expect(row.created_at).toBe(normalizeTimestamp(t.created_at));
      }
    }

    // Numeric, not text: text order would make 9.97664662010672e-05 the maximum.
    expect(orm.max_price_usd).toBe(atModelScale('209.29', 18));
    expect(orm.count_price_above_100).toBe(input.filter((t) => Number(t.price_usd) > 100).length);

    // The pools the trades name, from their ids (network prefix, address), each pointing to its network's
    // placeholder dex; nothing else.
    expect(orm.pools.map((p) => [p.id, p.address, p.dex_id])).toEqual([
      [
        'polygon_pos_0xabcdef0123456789abcdef0123456789abcdef01',
        '0xabcdef0123456789abcdef0123456789abcdef01',
        'unknown-dex-polygon_pos',
      ],
      ['solana_PoolA', 'PoolA', 'unknown-dex-solana'],
      ['solana_PoolB', 'PoolB', 'unknown-dex-solana'],
    ]);
    expect(orm.dexes.map((d) => [d.id, d.network])).toEqual([
      ['unknown-dex-polygon_pos', 'polygon_pos'],
      ['unknown-dex-solana', 'solana'],
    ]);
    expect(orm.dexes[1]!.name).toMatch(/^Unknown DEX on solana/);
    expect(foreignKeyCheck(dbPath)).toEqual([]);

    const doctor = await cli(['doctor', '--db', urlFromDatabasePath(dbPath), '--json']);
    expect(doctor.code).toBe(0);
    expect((JSON.parse(doctor.stdout) as DatabaseReport).foreignKeys).toEqual([]);
  });

  it('collect --simulate: every row readable, amounts equal to their exact text at the models’ scale, FKs hold', async () => {
    const dbPath = path.join(tempDir(), 'simulated.db');
    const r = await cli([
      'collect',
      '--simulate',
      '--duration',
      '3',
      '--collectors',
      '2',
      '--db',
      urlFromDatabasePath(dbPath),
    ]);
    expect(r.code).toBe(0);

    const raw = new Database(dbPath, { readonly: true });
    const stored = raw.prepare('SELECT * FROM trades ORDER BY id').all() as Record<string, string | number | null>[];
    raw.close();
    expect(stored.length).toBeGreaterThan(50);

    const orm = readWithLegacyModels(dbPath);
    expect(orm.trades).toHaveLength(stored.length);
    orm.trades.forEach((row, i) => {
      const s = stored[i]!;
      expect(row.id).toBe(s.id);
      for (const c of AMOUNTS) {
        const exact = s[`${c}_exact`];
        // Every row gecko-collector writes carries its exact text, and the NUMERIC column its number.
        expect(typeof exact).toBe('string');
        expect(s[c]).toBe(Number(exact));
        expect(row[c]).toBe(atModelScale(exact as string, MODEL_SCALE[c]));
      }
      for (const c of OTHER_TRADE_COLUMNS) expect(row[c]).toBe(s[c]);
    });
    const maxPrice = Math.max(...stored.map((s) => Number(s.price_usd_exact)));
    expect(orm.max_price_usd).toBe(atModelScale(String(maxPrice), 18));
    // collect stores the pools' metadata before collecting: real pools rows (their dex, not a placeholder).
    const pools = new Map(orm.pools.map((p) => [p.id, p]));
    for (const s of stored) expect(pools.get(s.pool_id as string)?.dex_id).not.toMatch(/^unknown-dex-/);
    expect(foreignKeyCheck(dbPath)).toEqual([]);
  });

  it('import rejects a row whose created_at is not a time, with its line, and stores the rest', async () => {
    const dir = tempDir();
    const [good, bad] = inputTrades();
    const csv = path.join(dir, 'bad.csv');
    fs.writeFileSync(csv, csvOf([good!, { ...bad!, created_at: 'yesterday' }]));
    const r = await cli(['import', csv, '--db', urlFromDatabasePath(path.join(dir, 'bad.db'))]);
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([
      'imported 1, duplicates 0, rejected 1',
      `line 3: ${bad!.id}: createdAt "yesterday" (string) is not a valid date-time`,
    ]);
  });
});
