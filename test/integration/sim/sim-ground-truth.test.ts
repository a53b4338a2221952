// The simulator's ground truth and the endpoints built on it: the truth ledger against what was served, the
// pools' trade counters, the keyless cache, the paid trades/range endpoint and OHLCV candles, on a manual clock.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePoolsBody } from '../../../src/gecko/pool-parser.ts';
import { parseTradesPage } from '../../../src/gecko/trade-parser.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import type { SimCandle } from '../../../src/sim/sim-ohlcv.ts';
import type { GeckoTradeObject } from '../../../src/sim/sim-trade-source.ts';
import type { SimTruthReport } from '../../../src/sim/sim-truth.ts';
import { compareDecimalStrings } from '../../../src/trades/decimal-string.ts';

const START = Date.parse('2025-09-01T12:00:00Z');
const KEY = 'sim-test-key';

async function get(
  s: GeckoSimulator,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${s.baseUrl}${path}`, { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function reportUrl(s: GeckoSimulator, what: string): string {
  return `${new URL(s.baseUrl).origin}/__simulator/${what}`;
}

const second = (t: GeckoTradeObject) => Date.parse(t.attributes.block_timestamp);

describe('truth ledger', () => {
  it('counts exactly the trades served to a poller fast enough for every pool, bursts included', async () => {
    let now = START;
    const sim = await startGeckoSimulator({
      seed: 11,
      pools: 6,
      market: 'skewed',
      tradesPerSecond: 20,
      bursts: { everySeconds: 20, seconds: 5, factor: 10, share: 1 },
      historySeconds: 600,
      clock: () => now,
    });
    try {
      // At most 200 trades/s (20 in a burst x10): a poll every second never misses one.
      const served = new Map<string, Map<string, number>>(sim.pools.map((p) => [p.address, new Map()]));
      for (let step = 0; step <= 40; step++) {
        for (const pool of sim.pools) {
          const res = await get(sim, `/networks/solana/pools/${pool.address}/trades`);
          const data = (JSON.parse(res.text) as { data: GeckoTradeObject[] }).data;
          const seen = served.get(pool.address)!;
          // Each answer reaches back to trades already seen: nothing fell out of the 300-trade window.
          if (step > 0) expect(seen.has(data.at(-1)!.id)).toBe(true);
          for (const t of data) seen.set(t.id, second(t));
        }
        if (step < 40) now += 1000;
      }
      const to = now; // the last polls' instant, a whole second
      const report = sim.truth({ fromMs: START, toMs: to });
      expect(report.toMs).toBe(to);
      expect(report.pools.every((p) => p.bursts.length >= 2)).toBe(true);
      let made = 0;
      for (const pool of sim.pools) {
        const inInterval = [...served.get(pool.address)!].filter(([, s]) => s >= START && s < to).map(([id]) => id);
        const truth = sim.truth({ fromMs: START, toMs: to, pool: pool.address, ids: true }).pools[0]!;
        expect(truth.made).toBe(inInterval.length);
        expect(new Set(truth.ids)).toEqual(new Set(inInterval));
        expect(report.pools.find((p) => p.pool === pool.address)!.made).toBe(truth.made);
        made += truth.made;
      }
      expect(report.made).toBe(made);
      expect(made).toBeGreaterThan(1000);

      // The same over HTTP, with unix seconds or ISO bounds; and the volume filter counts what it would serve.
      const busiest = [...report.pools].sort((a, b) => b.made - a.made)[0]!;
      const http = (await (
        await fetch(`${reportUrl(sim, 'truth')}?from=${START / 1000}&to=${new Date(to).toISOString()}`)
      ).json()) as SimTruthReport;
      expect(http).toEqual(report);
      const above = (await (
        await fetch(
          `${reportUrl(sim, 'truth')}?from=${START / 1000}&to=${to / 1000}&pool=${busiest.pool}&min_volume_usd=100`,
        )
      ).json()) as SimTruthReport;
      const servedAbove = (
        JSON.parse(
          (await get(sim, `/networks/solana/pools/${busiest.pool}/trades?trade_volume_in_usd_greater_than=100`)).text,
        ) as { data: GeckoTradeObject[] }
      ).data;
      expect(above.made).toBeGreaterThan(0);
      expect(above.made).toBeLessThan(busiest.made);
      for (const t of servedAbove) expect(compareDecimalStrings(t.attributes.volume_in_usd, '100')).toBe(1);
      // Asking for the future counts only what was made by now.
      expect(sim.truth({ fromMs: START, toMs: to + 3_600_000 }).made).toBe(sim.truth({ fromMs: START }).made);
      expect((await fetch(`${reportUrl(sim, 'truth')}?from=yesterday`)).status).toBe(400);
      expect((await fetch(`${reportUrl(sim, 'truth')}?ids=true`)).status).toBe(400);

      // The served report carries the ledger from the start, and what was served per pool.
      const servedReport = sim.servedReport();
      expect(servedReport.truth!.fromMs).toBe(START);
      expect(servedReport.truth!.made).toBe(sim.truth().made);
      expect(servedReport.servedByPool![busiest.pool]).toBe(served.get(busiest.pool)!.size);
    } finally {
      await sim.close();
    }
  });
});

describe('pool counters', () => {
  type Counts = { buys: number; sells: number; buyers: number; sellers: number };
  const WINDOWS = { m5: 300_000, m15: 900_000, m30: 1_800_000, h1: 3_600_000, h6: 21_600_000, h24: 86_400_000 };

  async function counters(s: GeckoSimulator, path: string): Promise<Map<string, Record<string, Counts>>> {
    const body = (await get(s, path)).text;
    // The real parser keeps them in the pool's metadata.
    const parsed = parsePoolsBody(body, { network: 'solana' });
    return new Map(
      parsed.pools.map((p) => [
        p.address,
        (JSON.parse(p.metadataJson!) as { transactions: Record<string, Counts> }).transactions,
      ]),
    );
  }

  it("serves each window's trades as the truth ledger counts them, bursts and history start included", async () => {
    let now = START;
    const sim = await startGeckoSimulator({
      seed: 5,
      pools: 8,
      market: 'skewed',
      tradesPerSecond: 30,
      minTradesPerSecond: 0.05,
      bursts: { everySeconds: 400, seconds: 60, factor: 10, share: 1 },
      historySeconds: 7200, // longer than h1, shorter than h6: the longer windows count the history only
      clock: () => now,
    });
    try {
      for (const step of [0, 137_250, 300_000]) {
        now += step;
        const addresses = sim.pools.map((p) => p.address);
        const byMulti = await counters(sim, `/networks/solana/pools/multi/${addresses.join(',')}`);
        const byTop = await counters(sim, '/networks/solana/pools?page=1');
        expect(byTop).toEqual(byMulti);
        for (const pool of sim.pools) {
          const tx = byMulti.get(pool.address)!;
          expect(Object.keys(tx).sort()).toEqual(Object.keys(WINDOWS).sort());
          for (const [period, ms] of Object.entries(WINDOWS)) {
            const made = sim.truth({ fromMs: now - ms + 1, toMs: now + 1, pool: pool.address }).pools[0]!.made;
            const c = tx[period]!;
            expect(c.buys + c.sells, `${pool.address} ${period}`).toBe(made);
            expect(Math.abs(c.buys - 0.55 * made)).toBeLessThanOrEqual(0.5);
            expect([c.buyers, c.sellers]).toEqual([c.buys, c.sells]);
          }
          // Nothing before the history: h6 and h24 both count its 2 h.
          expect(tx.h24).toEqual(tx.h6);
        }
        // The busiest pool's 5 minutes hold at least its base rate's worth (more within a burst).
        const busiest = [...sim.pools].sort((a, b) => b.tradesPerSecond - a.tradesPerSecond)[0]!;
        const m5 = byMulti.get(busiest.address)!.m5!;
        expect(m5.buys + m5.sells).toBeGreaterThanOrEqual(Math.floor(busiest.tradesPerSecond * 300 * 0.95));
      }
    } finally {
      await sim.close();
    }
  });

  it('keyless, serves the cached counts for the cache time, then fresh ones', async () => {
    let now = START;
    const sim = await startGeckoSimulator({
      seed: 2,
      pools: 2,
      tradesPerSecond: 5,
      historySeconds: 600,
      cacheSeconds: 60,
      clock: () => now,
    });
    try {
      const path = `/networks/solana/pools/multi/${sim.pools.map((p) => p.address).join(',')}`;
      const first = await counters(sim, path);
      now += 59_000;
      expect(await counters(sim, path)).toEqual(first);
      now += 1000;
      const fresh = await counters(sim, path);
      const a = sim.pools[0]!.address;
      expect(fresh.get(a)!.m5!.buys + fresh.get(a)!.m5!.sells).toBe(
        sim.truth({ fromMs: now - 299_999, toMs: now + 1, pool: a }).pools[0]!.made,
      );
      expect(fresh).not.toEqual(first);
      expect(sim.stats().cacheHits).toBe(1);
    } finally {
      await sim.close();
    }
  });
});

describe('keyless cache', () => {
  it('serves the same body for its duration, per path and query, then a fresh one', async () => {
    let now = START;
    const sim = await startGeckoSimulator({
      seed: 2,
      pools: 2,
      tradesPerSecond: 2,
      historySeconds: 600,
      cacheSeconds: 60,
      clock: () => now,
    });
    try {
      const path = `/networks/solana/pools/${sim.pools[0]!.address}/trades`;
      const first = await get(sim, path);
      now += 59_000;
      const cached = await get(sim, path);
      expect(cached.text).toBe(first.text);
      expect(cached.headers.get('age')).toBe('59');
      // Another query (or the same one in another order) has its own answer.
      const filtered = await get(sim, `${path}?trade_volume_in_usd_greater_than=10&x=1`);
      expect(filtered.text).not.toBe(first.text);
      now += 500;
      expect((await get(sim, `${path}?x=1&trade_volume_in_usd_greater_than=10`)).text).toBe(filtered.text);
      now += 500; // 60 s after the first answer
      const fresh = await get(sim, path);
      expect(fresh.text).not.toBe(first.text);
      expect(fresh.headers.get('age')).toBeNull();
      const newest = (body: string) => (JSON.parse(body) as { data: GeckoTradeObject[] }).data[0]!;
      expect(second(newest(fresh.text)) - second(newest(first.text))).toBeGreaterThan(50_000);
      // Candles are cached too; the second pool's trades are not the first's answer.
      const candles = `/networks/solana/pools/${sim.pools[1]!.address}/ohlcv/minute`;
      const c1 = await get(sim, candles);
      now += 30_000;
      expect((await get(sim, candles)).text).toBe(c1.text);
      expect(sim.stats().cacheHits).toBe(3);
    } finally {
      await sim.close();
    }
  });
});

describe('paid trades range endpoint', () => {
  const now = START;
  let paid: GeckoSimulator;
  let keyless: GeckoSimulator;
  const auth = { 'x-cg-pro-api-key': KEY };

  beforeAll(async () => {
    const common = { seed: 5, pools: 2, tradesPerSecond: [3, 0.5], historySeconds: 7200, clock: () => now };
    [paid, keyless] = await Promise.all([
      startGeckoSimulator({ ...common, apiKey: KEY, rangePageSize: 50 }),
      startGeckoSimulator(common),
    ]);
  });
  afterAll(async () => {
    await Promise.all([paid.close(), keyless.close()]);
  });

  const rangePath = (s: GeckoSimulator, query: string) =>
    `/networks/solana/pools/${s.pools[0]!.address}/trades/range?${query}`;

  it('refuses a keyless caller: 401 keyless, and on the /api/v2 prefix even with the key', async () => {
    const q = `start_timestamp=${START / 1000 - 600}`;
    const refusedKeyless = await get(keyless, rangePath(keyless, q));
    expect(refusedKeyless.status).toBe(401);
    expect(JSON.parse(refusedKeyless.text).status.error_code).toBe(10005);
    const v3 = keyless.baseUrl.replace('/api/v2', '/api/v3/onchain');
    expect((await fetch(`${v3}${rangePath(keyless, q)}`)).status).toBe(401);
    const v2 = paid.baseUrl.replace('/api/v3/onchain', '/api/v2');
    expect((await fetch(`${v2}${rangePath(paid, q)}`, { headers: auth })).status).toBe(401);
    expect((await get(paid, rangePath(paid, q))).status).toBe(401);
    expect((await get(paid, rangePath(paid, q), { 'x-cg-pro-api-key': 'wrong' })).status).toBe(401);
    expect(keyless.stats().routes.range).toBe(0);
    expect(keyless.stats().tradeResponses).toBe(0);
  });

  it('answers the trades of [start, end] newest first, cut at the page size keeping the newest', async () => {
    const start = START / 1000 - 600;
    const end = START / 1000 - 300;
    const res = await get(paid, rangePath(paid, `start_timestamp=${start}&end_timestamp=${end}`), auth);
    expect(res.status).toBe(200);
    const page = (JSON.parse(res.text) as { data: GeckoTradeObject[] }).data;
    // ~900 trades in 301 seconds at 3/s: a full page, the newest 50 of them.
    expect(page).toHaveLength(50);
    const truth = paid.truth({ fromMs: start * 1000, toMs: (end + 1) * 1000, pool: paid.pools[0]!.address, ids: true });
    expect(truth.made).toBeGreaterThan(800);
    expect(page.map((t) => t.id)).toEqual(truth.pools[0]!.ids!.slice(-50).reverse());
    const iso = (s: number) => new Date(s * 1000).toISOString();
    const same = await get(paid, rangePath(paid, `start_timestamp=${iso(start)}&end_timestamp=${iso(end)}`), auth);
    expect(same.text).toBe(res.text);
    expect(paid.stats().routes.range).toBe(2);
    for (const t of page) expect(paid.servedTradeIds().has(t.id)).toBe(true);
  });

  it('covers a span exactly once when paged back by its oldest second, and says what is wrong with a bad query', async () => {
    const start = START / 1000 - 200;
    let end = START / 1000 - 100;
    const got = new Set<string>();
    for (let pages = 0; ; pages++) {
      expect(pages).toBeLessThan(50);
      const page = (
        JSON.parse((await get(paid, rangePath(paid, `start_timestamp=${start}&end_timestamp=${end}`), auth)).text) as {
          data: GeckoTradeObject[];
        }
      ).data;
      for (const t of page) {
        const s = second(t) / 1000;
        expect(s).toBeGreaterThanOrEqual(start);
        expect(s).toBeLessThanOrEqual(end);
        got.add(t.id);
      }
      if (page.length < 50) break;
      // The oldest second again: trades of that second cut off the page come back.
      end = second(page.at(-1)!) / 1000;
    }
    const truth = paid.truth({
      fromMs: start * 1000,
      toMs: (START / 1000 - 99) * 1000,
      pool: paid.pools[0]!.address,
      ids: true,
    });
    expect(got).toEqual(new Set(truth.pools[0]!.ids));

    for (const [query, problem] of [
      ['end_timestamp=1756728000', /start_timestamp is required/],
      [`start_timestamp=${start}&end_timestamp=${start - 1}`, /before start_timestamp/],
      ['start_timestamp=noon', /unix seconds or an ISO 8601/],
    ] as const) {
      const res = await get(paid, rangePath(paid, query), auth);
      expect(res.status).toBe(400);
      expect(res.text).toMatch(problem);
    }
  });
});

describe('OHLCV endpoint', () => {
  const now = START + 17_000;
  let sim: GeckoSimulator;
  beforeAll(async () => {
    sim = await startGeckoSimulator({
      seed: 8,
      pools: 2,
      tradesPerSecond: [0.3, 0.004],
      historySeconds: 3 * 3600,
      apiKey: KEY,
      rangePageSize: 300,
      clock: () => now,
    });
  });
  afterAll(async () => {
    await sim.close();
  });
  const auth = { 'x-cg-pro-api-key': KEY };

  interface OhlcvDoc {
    data: { type: string; attributes: { ohlcv_list: SimCandle[] } };
    meta: { base: { address: string }; quote: { address: string } };
  }

  async function candles(pool: number, path: string): Promise<{ status: number; list: SimCandle[]; doc?: OhlcvDoc }> {
    const res = await get(sim, `/networks/solana/pools/${sim.pools[pool]!.address}/ohlcv/${path}`, auth);
    if (res.status !== 200) return { status: res.status, list: [] };
    const doc = JSON.parse(res.text) as OhlcvDoc;
    return { status: res.status, list: doc.data.attributes.ohlcv_list, doc };
  }

  /** Candles built here from the trades the range endpoint serves, read by the collector's own parser. */
  async function candlesFromTrades(pool: number, bucketS: number): Promise<SimCandle[]> {
    const address = sim.pools[pool]!.address;
    // Paged back as a backfill would (a page holds at most 300, newest first; both ends are whole seconds, kept).
    const byId = new Map<string, ReturnType<typeof parseTradesPage>['trades'][number]>();
    for (let end = ''; ; ) {
      const body = (await get(sim, `/networks/solana/pools/${address}/trades/range?start_timestamp=0${end}`, auth))
        .text;
      const page = parseTradesPage(body, { network: 'solana', poolAddress: address }).trades;
      for (const t of page) byId.set(t.id, t);
      if (page.length < 300) break;
      end = `&end_timestamp=${Math.floor(Date.parse(page[page.length - 1]!.blockTimestamp) / 1000)}`;
    }
    const trades = [...byId.values()].sort((a, b) => b.blockTimestamp.localeCompare(a.blockTimestamp));
    expect(trades.length).toBeGreaterThan(3000);
    const byBucket = new Map<number, SimCandle>();
    for (const t of [...trades].reverse()) {
      const ts = Math.floor(Date.parse(t.blockTimestamp) / 1000 / bucketS) * bucketS;
      const price = Number(t.priceUsd);
      const c = byBucket.get(ts);
      if (!c) byBucket.set(ts, [ts, price, price, price, price, Number(t.volumeUsd)]);
      else {
        c[2] = Math.max(c[2], price);
        c[3] = Math.min(c[3], price);
        c[4] = price;
        c[5] += Number(t.volumeUsd);
      }
    }
    return [...byBucket.values()].sort((a, b) => b[0] - a[0]);
  }

  it('answers candles equal to those built from the trades it made, in the API shape', async () => {
    for (const [path, seconds] of [
      ['minute?aggregate=5&limit=1000', 300],
      ['hour?aggregate=1', 3600],
      ['day', 86_400],
    ] as const) {
      const got = await candles(0, path);
      expect(got.status).toBe(200);
      const built = await candlesFromTrades(0, seconds);
      expect(got.list.map((c) => c.slice(0, 5))).toEqual(built.map((c) => c.slice(0, 5)));
      for (const [i, c] of got.list.entries()) expect(c[5]).toBeCloseTo(built[i]![5], 6);
    }
    const doc = (await candles(0, 'minute')).doc!;
    expect(doc.data.type).toBe('ohlcv_request_response');
    expect(doc.meta.base.address).toBe(sim.pools[0]!.baseToken.address);
    expect(doc.meta.quote.address).toBe(sim.pools[0]!.quoteToken.address);
    expect(doc.data.attributes.ohlcv_list).toHaveLength(100);
    // The total volume is the sum of the trades' volume_in_usd.
    const all = await candles(0, 'day');
    const built = await candlesFromTrades(0, 86_400);
    expect(all.list.reduce((s, c) => s + c[5], 0)).toBeCloseTo(
      built.reduce((s, c) => s + c[5], 0),
      4,
    );
  });

  it('pages back with before_timestamp over every candle once', async () => {
    const whole = (await candles(0, 'minute?aggregate=1&limit=1000')).list;
    expect(whole.length).toBeGreaterThan(170);
    const paged: SimCandle[] = [];
    let before: number | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const page = (
        await candles(0, `minute?aggregate=1&limit=7${before === undefined ? '' : `&before_timestamp=${before}`}`)
      ).list;
      if (page.length === 0) break;
      paged.push(...page);
      before = page.at(-1)![0];
    }
    expect(paged).toEqual(whole);
    expect(new Set(paged.map((c) => c[0])).size).toBe(paged.length);
  });

  it('omits intervals without trades unless asked, and then carries the previous close', async () => {
    const sparse = (await candles(1, 'minute?limit=1000')).list;
    expect(sparse.length).toBeGreaterThan(10);
    for (const c of sparse) expect(c[5]).toBeGreaterThan(0);
    const dense = (await candles(1, 'minute?limit=1000&include_empty_intervals=true')).list;
    expect(dense.length).toBeGreaterThan(sparse.length * 3);
    expect(dense.at(-1)![0]).toBe(sparse.at(-1)![0]);
    for (let i = 1; i < dense.length; i++) expect(dense[i - 1]![0] - dense[i]![0]).toBe(60);
    const withTrades = new Map(sparse.map((c) => [c[0], c]));
    for (let i = 0; i < dense.length - 1; i++) {
      const c = dense[i]!;
      if (withTrades.has(c[0])) expect(c).toEqual(withTrades.get(c[0]));
      else {
        expect(c[5]).toBe(0);
        expect(c[1]).toBe(dense[i + 1]![4]);
        expect(new Set(c.slice(1, 5)).size).toBe(1);
      }
    }
  });

  it('prices the quote token or in the other token when asked, and refuses what the API refuses', async () => {
    const base = (await candles(0, 'hour')).list[0]!;
    const quote = (await candles(0, 'hour?token=quote')).list[0]!;
    const inQuote = (await candles(0, 'hour?currency=token')).list[0]!;
    const byAddress = (await candles(0, `hour?token=${sim.pools[0]!.quoteToken.address}`)).list[0]!;
    expect(quote[4]).toBeGreaterThan(150);
    expect(quote[4]).toBeLessThan(250);
    expect(byAddress).toEqual(quote);
    expect(inQuote[4] / (base[4] / quote[4])).toBeCloseTo(1, 9);
    expect(quote[5]).toBe(base[5]);
    for (const path of [
      'minute?limit=1001',
      'minute?aggregate=4',
      'week',
      'hour?token=other',
      'day?before_timestamp=x',
    ])
      expect((await candles(0, path)).status).toBe(400);
  });
});
