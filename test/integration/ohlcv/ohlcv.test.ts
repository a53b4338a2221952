// OHLCV candles from the fixture's real trades, every timeframe, held to an independent computation: the ohlcv
// command (CSV, NDJSON, table), the library call, and the SQL views of a new and of an adopted file.
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { TIMEFRAME_NAMES, TIMEFRAMES } from '../../../src/gecko/timeframes.ts';
import { ohlcvCandles } from '../../../src/index.ts';
import type { TradeRecord } from '../../../src/protocol/records.ts';
import { cli } from '../../support/collect-run.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { adoptedDatabase, csvRecords, newDatabase, OLD_ROW, spreadTrades } from '../export/export-fixtures.ts';
import { type ExpectedCandle, independentCandles } from './independent-candles.ts';

const dir = tempDir('gecko-ohlcv-');
const trades = spreadTrades();
const fresh = newDatabase(dir, 'fresh.db', trades);

function fromCsv(text: string): ExpectedCandle[] {
  const [head, ...rows] = csvRecords(text);
  return rows.map((r) => {
    const o = Object.fromEntries(head!.map((h, i) => [h, r[i]])) as Record<string, string>;
    return { ...o, trades: Number(o.trades), buys: Number(o.buys), sells: Number(o.sells) } as ExpectedCandle;
  });
}

/** Equal within a few ulps: the views' REAL values against the exact text. */
function near(actual: unknown, exact: string, what: string): void {
  const a = Number(actual);
  const e = Number(exact);
  expect(Math.abs(a - e), `${what}: ${a} vs ${exact}`).toBeLessThanOrEqual(Math.abs(e) * 1e-12);
}

describe('ohlcv command and library call', () => {
  it('CSV candles equal the independent computation for every timeframe, to the last digit', async () => {
    const db = await fresh;
    for (const tf of TIMEFRAME_NAMES) {
      const r = await cli(['ohlcv', '--db', db, '--timeframe', tf, '--format', 'csv']);
      expect(r.code, r.stderr).toBe(0);
      expect(fromCsv(r.stdout), tf).toEqual(independentCandles(trades, TIMEFRAMES[tf]));
    }
    // The fixture has trades sharing a second (ties broken by id) and 1m buckets of several trades.
    expect(independentCandles(trades, 60).some((c) => c.trades >= 4)).toBe(true);
  });

  it('the library call, filtered to a pool and a window, and NDJSON give the same candles', async () => {
    const db = await fresh;
    const pool = 'solana_PoolFromFixture';
    const since = '2025-08-27T20:00:00Z';
    const until = '2025-08-28T10:00:00Z';
    const inWindow = trades.filter(
      (t) =>
        t.poolId === pool &&
        Date.parse(t.blockTimestamp) >= Date.parse(since) &&
        Date.parse(t.blockTimestamp) < Date.parse(until),
    );
    const expected = independentCandles(inWindow, TIMEFRAMES['5m']);
    expect(expected.length).toBeGreaterThan(5);
    const got: ExpectedCandle[] = [];
    for await (const batch of ohlcvCandles({
      url: urlFromDatabasePath(db),
      timeframe: '5m',
      filter: { poolIds: [pool], since: new Date(since), until: new Date(until) },
    }))
      for (const c of batch)
        got.push({
          pool_id: c.poolId,
          bucket_start: c.bucketStart,
          open: c.open,
          high: c.high,
          low: c.low,
          close: c.close,
          volume_usd: c.volumeUsd,
          trades: c.trades,
          buys: c.buys,
          sells: c.sells,
          buy_volume_usd: c.buyVolumeUsd,
          sell_volume_usd: c.sellVolumeUsd,
        });
    expect(got).toEqual(expected);
    const nd = await cli([
      'ohlcv',
      '--db',
      db,
      '--timeframe',
      '5m',
      '--format',
      'ndjson',
      '--pool',
      pool,
      '--since',
      since,
      '--until',
      until,
    ]);
    expect(nd.code, nd.stderr).toBe(0);
    expect(
      nd.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(expected);
  });

  it('the table shows one block per pool; bad flags exit 2', async () => {
    const db = await fresh;
    const r = await cli(['ohlcv', '--db', db, '--timeframe', '1d', '--wide']);
    expect(r.code, r.stderr).toBe(0);
    const expected = independentCandles(trades, 86_400);
    const pools = [...new Set(expected.map((c) => c.pool_id))];
    expect(r.stdout.match(/^pool .*$/gm)).toEqual(pools.map((p) => `pool ${p}`));
    for (const c of expected)
      expect(r.stdout).toMatch(new RegExp(`^${c.bucket_start}Z .* ${c.trades} +${c.buys} +${c.sells}$`, 'm'));
    // Not a terminal and not --wide: 80 columns, the counts left out and said so.
    const fitted = await cli(['ohlcv', '--db', db, '--timeframe', '1d']);
    expect(fitted.stdout.match(/^pool .*$/gm)).toEqual(pools.map((p) => `pool ${p}`));
    for (const l of fitted.stdout.split('\n')) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(fitted.stdout).toMatch(/^\(trades, buys, sells left out to fit: --wide shows all\)$/m);
    for (const c of expected) expect(fitted.stdout).toMatch(new RegExp(`^${c.bucket_start}Z +\\S`, 'm'));
    const bad = await cli(['ohlcv', '--db', db, '--timeframe', '2m']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--timeframe must be one of 1m, 5m, 15m, 1h, 4h, 12h, 1d, got "2m"/);
    const badFormat = await cli(['ohlcv', '--db', db, '--format', 'parquet']);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toMatch(/--format must be one of table, csv, ndjson/);
  });
});

describe('SQL views', () => {
  function viewRows(file: string, view: string): Record<string, unknown>[] {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare(`SELECT * FROM ${view} ORDER BY pool_id, bucket_start`).all() as Record<string, unknown>[];
    } finally {
      db.close();
    }
  }

  function expectViewsMatch(file: string, all: TradeRecord[]): void {
    for (const tf of TIMEFRAME_NAMES) {
      const expected = independentCandles(all, TIMEFRAMES[tf]);
      const rows = viewRows(file, `ohlcv_${tf}`);
      expect(
        rows.map((r) => [r.pool_id, r.bucket_start, r.trades, r.buys, r.sells]),
        tf,
      ).toEqual(expected.map((c) => [c.pool_id, c.bucket_start, c.trades, c.buys, c.sells]));
      rows.forEach((r, i) => {
        const c = expected[i]!;
        for (const k of ['open', 'high', 'low', 'close', 'volume_usd', 'buy_volume_usd', 'sell_volume_usd'] as const)
          near(r[k], c[k], `${tf} ${c.bucket_start} ${k}`);
      });
    }
  }

  it('a new file has ohlcv_1m … ohlcv_1d, equal to the independent candles', async () => {
    expectViewsMatch(await fresh, trades);
  });

  it("a view filtered by pool reads only that pool's trades through the index", async () => {
    const db = new Database(await fresh, { readonly: true });
    try {
      const plan = (
        db.prepare(`EXPLAIN QUERY PLAN SELECT * FROM ohlcv_1h WHERE pool_id = ?`).all('solana_SecondPool') as {
          detail: string;
        }[]
      ).map((r) => r.detail);
      expect(plan.join('\n')).toMatch(/SEARCH trades USING INDEX idx_trades_pool_time \(pool_id=\?/);
    } finally {
      db.close();
    }
  });

  it('an adopted file reads the exact text beside NUMERIC (and an old row from the NUMERIC column)', async () => {
    const file = await adoptedDatabase(dir);
    const old: TradeRecord = {
      id: OLD_ROW.id,
      poolId: OLD_ROW.pool_id,
      blockNumber: OLD_ROW.block_number,
      txHash: OLD_ROW.tx_hash,
      txFromAddress: OLD_ROW.tx_from_address,
      fromTokenAmount: '1000000000000000000000',
      toTokenAmount: String(OLD_ROW.to_token_amount),
      priceUsd: '0.0000997664662010672',
      volumeUsd: String(OLD_ROW.volume_usd),
      side: 'sell',
      blockTimestamp: '2025-08-28T16:15:08Z',
    };
    expectViewsMatch(file, [...trades, old]);
    const r = await cli(['ohlcv', '--db', file, '--timeframe', '1m', '--format', 'csv']);
    expect(fromCsv(r.stdout)).toEqual(independentCandles([...trades, old], 60));
    expect(path.basename(file)).toBe('adopted.db');
  });
});
