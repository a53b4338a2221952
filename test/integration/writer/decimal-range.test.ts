// The writer's own check before it binds: a decimal whose value has no double (1e400 would be Infinity in the
// NUMERIC columns, 1e-999 would be 0) is rejected with its reason on both engines and on every write path
// (storeTradeDataOptimized's trade batch, a plain `write`), and its batch-mates are stored.
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import type { TradeRecord } from '../../../src/protocol/records.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { testSchema } from '../../support/postgres.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-decimal-range-');
const trade = (i: number, over: Partial<TradeRecord> = {}): TradeRecord => ({
  ...syntheticTrade(i, { seed: 5 }),
  ...over,
});

const BAD: [Partial<TradeRecord>, RegExp][] = [
  [{ volumeUsd: '1e400' }, /^volumeUsd "1e400" \(string\) is too large for a double/],
  [{ priceUsd: '9e999' }, /^priceUsd "9e999" \(string\) is too large for a double/],
  [{ fromTokenAmount: '1e-999' }, /^fromTokenAmount "1e-999" \(string\) is not zero but too small for a double/],
  [{ toTokenAmount: '-1e400' }, /^toTokenAmount is "-1e400" \(string\), expected a non-negative decimal/],
];
/** Exact values that do have a double: taken, their text kept digit for digit. */
const EXACT: Partial<TradeRecord>[] = [
  { priceUsd: `${'7'.repeat(40)}.${'3'.repeat(29)}` },
  { fromTokenAmount: '0.000000000000000000000001' },
  { toTokenAmount: '1.5e-7' },
];

/** Each call a fresh set of ids: 4 bad trades among 6 good ones (3 of them with long or tiny exact values). */
function batch(base: number): { trades: TradeRecord[]; bad: TradeRecord[]; good: TradeRecord[] } {
  const bad = BAD.map(([over], k) => trade(base + k, over));
  const good = [
    ...EXACT.map((over, k) => trade(base + 10 + k, over)),
    trade(base + 20),
    trade(base + 21),
    trade(base + 22),
  ];
  return { trades: [good[0]!, ...bad.slice(0, 2), ...good.slice(1, 4), ...bad.slice(2), ...good.slice(4)], bad, good };
}

type Manager = LockOptimizedDatabaseManager;

async function open(url: string, over: Record<string, unknown> = {}): Promise<Manager> {
  const m = new LockOptimizedDatabaseManager(
    { url, ...over },
    { deferred: { path: path.join(dir, `${Math.random()}.spool`) } },
  );
  await m.initialize();
  return m;
}

/** Writes one batch through `how` and checks the ack: the bad ones rejected with their reasons, the rest inserted. */
async function writeAndCheck(m: Manager, how: 'optimized' | 'write', base: number): Promise<TradeRecord[]> {
  const b = batch(base);
  const ack = how === 'optimized' ? await m.storeTradeDataOptimized(b.trades) : await m.write({ trades: b.trades });
  expect(ack.inserted, how).toBe(b.good.length);
  expect(
    ack.rejected.map((r) => r.id),
    how,
  ).toEqual(b.bad.map((t) => t.id));
  ack.rejected.forEach((r, k) => expect(r.reason, how).toMatch(BAD[k]![1]));
  return b.good;
}

const amounts = (t: TradeRecord) => [t.fromTokenAmount, t.toTokenAmount, t.priceUsd, t.volumeUsd];

/** The stored rows are the good trades, each amount a finite number, 0 only where its text is zero. */
function expectStored(rows: { id: string; n: number[] }[], good: TradeRecord[]): void {
  expect(rows.map((r) => r.id).sort()).toEqual(good.map((t) => t.id).sort());
  const byId = new Map(good.map((t) => [t.id, t]));
  for (const r of rows) {
    const text = amounts(byId.get(r.id)!);
    for (let k = 0; k < 4; k++) {
      expect(Number.isFinite(r.n[k]!), `${r.id} ${text[k]}`).toBe(true);
      expect(r.n[k]! > 0, `${r.id} ${text[k]}`).toBe(/[1-9]/.test(text[k]!.split(/e/i)[0]!));
    }
  }
}

describe('decimals without a double, at the writer', () => {
  it('SQLite: rejected with their reasons on both write paths; no Infinity or false 0 in the NUMERIC columns', async () => {
    const file = path.join(dir, 'range.db');
    const m = await open(urlFromDatabasePath(file));
    let good: TradeRecord[];
    try {
      good = [...(await writeAndCheck(m, 'optimized', 0)), ...(await writeAndCheck(m, 'write', 100))];
    } finally {
      await m.close();
    }
    const db = new Database(file, { readonly: true });
    try {
      const rows = db
        .prepare(
          `SELECT id, from_token_amount AS a, to_token_amount AS b, price_usd AS c, volume_usd AS d,
             from_token_amount_exact AS ae, to_token_amount_exact AS be, price_usd_exact AS ce, volume_usd_exact AS de
           FROM trades`,
        )
        .all() as Record<string, number | string>[];
      expectStored(
        rows.map((r) => ({ id: r.id as string, n: [r.a, r.b, r.c, r.d] as number[] })),
        good,
      );
      // The exact text beside them, digit for digit.
      const byId = new Map(good.map((t) => [t.id, t]));
      for (const r of rows) expect([r.ae, r.be, r.ce, r.de]).toEqual(amounts(byId.get(r.id as string)!));
    } finally {
      db.close();
    }
  });

  it('PostgreSQL: rejected with the same reasons, although numeric could hold 1e400 exactly', async () => {
    const t = await testSchema();
    const m = await open(t.url);
    let good: TradeRecord[];
    try {
      good = [...(await writeAndCheck(m, 'optimized', 0)), ...(await writeAndCheck(m, 'write', 100))];
    } finally {
      await m.close();
    }
    const rows = await t.query<{ id: string; a: string; b: string; c: string; d: string }>(
      `SELECT id, from_token_amount::text AS a, to_token_amount::text AS b, price_usd::text AS c,
           volume_usd::text AS d FROM trades`,
    );
    expectStored(
      rows.map((r) => ({ id: r.id, n: [r.a, r.b, r.c, r.d].map(Number) })),
      good,
    );
    // numeric holds each text's value exactly.
    for (const g of good) {
      const [same] = await t.query<{ ok: boolean }>(
        `SELECT from_token_amount = $2::numeric AND to_token_amount = $3::numeric AND price_usd = $4::numeric
             AND volume_usd = $5::numeric AS ok FROM trades WHERE id = $1`,
        [g.id, ...amounts(g)],
      );
      expect(same?.ok, g.id).toBe(true);
    }
  });
});
