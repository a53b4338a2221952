// Migration 4 on a real file of the former text layout: every amount keeps its text digit for digit in the
// *_exact column and gets Number(text) in its NUMERIC column; the tables end up declared as the Python
// collector's models declare them; the other columns and tables are untouched.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  AMOUNT_COLUMNS,
  MIGRATION_VERSIONS,
  migrate,
  SCHEMA_VERSION,
  tradesLayout,
} from '../../../src/storage/sqlite/schema-migrations.ts';
import { OTHER_TRADE_COLUMNS } from '../../support/legacy-models.ts';
import { fixturePath, tempDir } from '../../support/temp-dir.ts';
import { TEXT_LAYOUT_V3 } from '../../support/text-layout.ts';

/** The migrations from `first` up to the newest, as migrate() reports them applied. */
// Version numbers are handed out per task, so one may be missing between two steps.
const versionsFrom = (first: number) => MIGRATION_VERSIONS.filter((v) => v >= first);

/** A small deterministic generator (mulberry32), so a failure names the same values on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Decimals as the API and the old collector's exports carry them: up to ~70 digits, a few with exponents. */
function decimals(rand: () => number): string {
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 10)).join('');
  const r = rand();
  if (r < 0.05)
    return `${1 + Math.floor(rand() * 9)}.${digits(1 + Math.floor(rand() * 14))}e-${String(1 + Math.floor(rand() * 20)).padStart(2, '0')}`;
  if (r < 0.1) return digits(1 + Math.floor(rand() * 30));
  const whole = String(BigInt(digits(1 + Math.floor(rand() * 30))));
  return `${whole}.${digits(1 + Math.floor(rand() * 40))}`;
}

const SPECIAL = [
  '9.97664662010672e-05',
  '209.29',
  '0',
  '0.000000000000000000000000000000000000000000000000000000000000000001',
  '1e-7',
];

function declared(db: Database.Database, table: string) {
  return (
    db.prepare('SELECT name, type, "notnull", pk FROM pragma_table_info(?)').all(table) as { name: string }[]
  ).filter((c) => !c.name.endsWith('_exact'));
}

describe('migration 4: text-layout file → NUMERIC amounts with exact text beside', () => {
  it('keeps every digit (exact text = old text, NUMERIC = Number(text)) and the legacy declared types', () => {
    const file = `${tempDir()}/text-layout.db`;
    const db = new Database(file);
    try {
      // Files of this layout were written with foreign keys off.
      db.pragma('foreign_keys = OFF');
      db.exec(TEXT_LAYOUT_V3);
      db.exec(`INSERT INTO dexes VALUES ('raydium', 'Raydium', 'solana', '2025-08-28 12:00:00.000000', NULL);
        INSERT INTO pools (id, address, name, dex_id, reserve_usd, created_at, activity_score)
          VALUES ('solana_P1', 'P1', 'P1 / SOL', 'raydium', '12345.678901234567890123', '2025-08-28 12:00:00.000000', '7.5'),
                 ('solana_P2', 'P2', NULL, 'raydium', NULL, NULL, NULL);
        INSERT INTO watchlist (pool_id, is_active, created_at) VALUES ('solana_P1', 1, '2025-08-28 12:00:00.000000');
        INSERT INTO collection_state VALUES ('solana_P1', 't1', '2025-08-28 12:00:00.000000', '2025-08-28 12:00:01.000000', '2025-08-28 12:00:01.000000');`);
      const rand = random(15);
      const insert = db.prepare('INSERT INTO trades VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
      db.transaction(() => {
        for (let i = 0; i < 5000; i++) {
          const amount = () => (i < SPECIAL.length * 4 ? SPECIAL[Math.floor(i / 4) % SPECIAL.length]! : decimals(rand));
          insert.run(
            `solana_${i}`,
            // A few trades name a pool without a row, as imports into this layout left them.
            i % 500 === 7 ? 'polygon_pos_0xP9' : i % 2 ? 'solana_P1' : 'solana_P2',
            i % 7 ? 1000 + i : null,
            `tx${i}`,
            i % 5 ? `from${i}` : null,
            amount(),
            amount(),
            i < SPECIAL.length ? SPECIAL[i]! : amount(),
            amount(),
            i % 3 ? 'buy' : 'sell',
            `2025-08-28 12:${String(i % 60).padStart(2, '0')}:00.000000`,
            '2025-09-04 23:57:56.000000',
          );
        }
      })();
      // Text compares as text: what an analyst got from max() before.
      expect(db.prepare('SELECT max(price_usd) AS m FROM trades').get()).not.toEqual({ m: '209.29' });
      const snapshot = (t: string) =>
        db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all() as Record<string, unknown>[];
      const before = Object.fromEntries(
        ['trades', 'pools', 'dexes', 'watchlist', 'collection_state'].map((t) => [t, snapshot(t)]),
      );
      expect(tradesLayout(db)).toBe('text');
      expect(db.pragma('foreign_key_check')).toHaveLength(10);

      expect(migrate(db)).toEqual(versionsFrom(4));

      expect(tradesLayout(db)).toBe('numeric-exact');
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const after = db
        .prepare(
          `SELECT *, ${AMOUNT_COLUMNS.map((c) => `typeof(${c}) AS ${c}_type`).join(', ')} FROM trades ORDER BY id`,
        )
        .all() as Record<string, unknown>[];
      const old = new Map(before.trades!.map((r) => [r.id, r]));
      expect(after).toHaveLength(5000);
      // One assertion over all 20,000 amounts (an expect() per value costs seconds); each miss is named.
      let checked = 0;
      const wrong: string[] = [];
      const same = (what: string, got: unknown, want: unknown) => {
        if (!Object.is(got, want)) wrong.push(`${what}: ${String(got)} instead of ${String(want)}`);
      };
      for (const row of after) {
        const o = old.get(row.id)!;
        for (const c of AMOUNT_COLUMNS) {
          same(`${row.id} ${c}_exact`, row[`${c}_exact`], o[c]);
          same(`${row.id} ${c}`, row[c], Number(o[c]));
          if (!['real', 'integer'].includes(row[`${c}_type`] as string))
            wrong.push(`${row.id} ${c} stored as ${String(row[`${c}_type`])}`);
          checked++;
        }
        for (const c of OTHER_TRADE_COLUMNS) same(`${row.id} ${c}`, row[c], o[c]);
      }
      expect(wrong).toEqual([]);
      expect(checked).toBe(20_000);

      // SQL on prices is numeric now.
      expect(db.prepare('SELECT max(price_usd) AS m FROM trades').get()).toEqual({
        m: Math.max(...before.trades!.map((r) => Number(r.price_usd))),
      });
      expect(db.prepare("SELECT price_usd_exact AS p FROM trades WHERE id = 'solana_1'").get()).toEqual({
        p: '209.29',
      });

      const pools = db.prepare('SELECT * FROM pools ORDER BY rowid').all() as Record<string, unknown>[];
      // The pool trades named without a row now has one, pointing to its network's placeholder dex.
      expect(pools.pop()).toMatchObject({
        id: 'polygon_pos_0xP9',
        address: '0xP9',
        dex_id: 'unknown-dex-polygon_pos',
        discovery_source: 'trades',
      });
      expect(db.prepare("SELECT network FROM dexes WHERE id = 'unknown-dex-polygon_pos'").get()).toEqual({
        network: 'polygon_pos',
      });
      expect(pools).toEqual(
        before.pools!.map((p) => ({
          ...p,
          reserve_usd: p.reserve_usd === null ? null : Number(p.reserve_usd),
          activity_score: p.activity_score === null ? null : Number(p.activity_score),
        })),
      );
      expect(snapshot('dexes').slice(0, -1)).toEqual(before.dexes);
      // Every old column unchanged (later steps may add columns beside them).
      for (const t of ['watchlist', 'collection_state']) expect(snapshot(t)).toMatchObject(before[t]!);

      // Declared exactly as the Python collector's models declare them.
      const legacy = new Database(':memory:');
      legacy.exec(fs.readFileSync(fixturePath('legacy/schema.sql'), 'utf8'));
      for (const t of ['dexes', 'pools', 'trades', 'watchlist']) expect(declared(db, t)).toEqual(declared(legacy, t));
      legacy.close();

      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'idx_trades_pool_time'").get()).toBeDefined();
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
      expect(migrate(db)).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('creates new files in the same layout as the Python collector declares', () => {
    const db = new Database(':memory:');
    const legacy = new Database(':memory:');
    try {
      expect(migrate(db)).toEqual(versionsFrom(1));
      legacy.exec(fs.readFileSync(fixturePath('legacy/schema.sql'), 'utf8'));
      for (const t of ['dexes', 'pools', 'trades', 'watchlist']) expect(declared(db, t)).toEqual(declared(legacy, t));
      expect(
        (db.prepare("SELECT name, type FROM pragma_table_info('trades') WHERE name LIKE '%_exact'").all() as object[])
          .length,
      ).toBe(4);
    } finally {
      db.close();
      legacy.close();
    }
  });
});
