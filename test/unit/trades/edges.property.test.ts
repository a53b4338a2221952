// Properties of everything that reads untrusted trades (the API response parser, the row validator, the CSV and
// NDJSON import readers): for any page mixing good trades with broken ones, exactly the good ones come out, in
// order, and each broken one has a reason; and no input makes them throw anything but their own typed errors.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { GeckoTerminalError } from '../../../src/gecko/gecko-errors.ts';
import { parseTradesPage, readTradesPage } from '../../../src/gecko/trade-parser.ts';
import { ImportFormatError } from '../../../src/import/import-errors.ts';
import type { ImportItem } from '../../../src/import/import-source.ts';
import { LEGACY_CSV_COLUMNS, readLegacyCsv } from '../../../src/import/legacy-csv-reader.ts';
import type { PhysicalLine } from '../../../src/import/line-reader.ts';
import { readNdjson } from '../../../src/import/ndjson-reader.ts';
import type { TradeRecord } from '../../../src/protocol/records.ts';
import { validateTrade } from '../../../src/trades/trade-validation.ts';

const RUNS = { numRuns: 60 };
const POOL_ADDRESS = 'PropPool';
const POOL_ID = `solana_${POOL_ADDRESS}`;

const decimal = fc.stringMatching(/^\d{1,30}(\.\d{1,30})?$/);
const word = fc.stringMatching(/^[A-Za-z0-9]{1,60}$/);
const timestamp = fc
  // Good trades are in the past: a block time beyond the clock-skew allowance is a bad one.
  .integer({ min: Date.UTC(2015, 0, 1), max: Date.now() })
  .map((ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z'));

/** A trade every reader and the validator must take (ids made unique by position later). */
const goodTrade = fc.record({
  idStem: word,
  blockNumber: fc.nat({ max: 2 ** 40 }),
  txHash: word,
  txFromAddress: word,
  fromTokenAmount: decimal,
  toTokenAmount: decimal,
  priceUsd: decimal,
  volumeUsd: decimal,
  side: fc.constantFrom<'buy' | 'sell'>('buy', 'sell'),
  blockTimestamp: timestamp,
});
type GoodTrade = typeof goodTrade extends fc.Arbitrary<infer T> ? T : never;

function record(t: GoodTrade, n: number): TradeRecord {
  const { idStem, ...rest } = t;
  return { id: `solana_${n}_${idStem}`, poolId: POOL_ID, ...rest };
}

/** One field broken so the row checks must refuse it: [field, value]. */
const breakage = fc.constantFrom<[keyof TradeRecord, unknown]>(
  ['volumeUsd', 'NaN'],
  ['volumeUsd', 'Infinity'],
  ['fromTokenAmount', '-1.5'],
  ['toTokenAmount', ''],
  ['priceUsd', '1'.repeat(101)],
  ['side', 'hold'],
  ['blockTimestamp', 'yesterday'],
  ['blockTimestamp', '2025-13-01T00:00:00Z'],
  ['blockTimestamp', '2025-02-30T12:00:00Z'],
  ['blockNumber', 'x'],
  ['id', ''],
  ['poolId', ''],
);

type Entry = { good: true; trade: GoodTrade } | { good: false; trade: GoodTrade; broken: [keyof TradeRecord, unknown] };
const entries = fc.array(
  fc.oneof(
    goodTrade.map((trade): Entry => ({ good: true, trade })),
    fc.tuple(goodTrade, breakage).map(([trade, broken]): Entry => ({ good: false, trade, broken })),
  ),
  { maxLength: 40 },
);

// --- the API response parser ------------------------------------------------------------------------------

function apiItem(t: TradeRecord): Record<string, unknown> {
  return {
    id: t.id,
    type: 'trade',
    attributes: {
      block_number: t.blockNumber,
      tx_hash: t.txHash,
      tx_from_address: t.txFromAddress,
      from_token_amount: t.fromTokenAmount,
      to_token_amount: t.toTokenAmount,
      price_from_in_usd: t.priceUsd,
      price_to_in_usd: t.priceUsd,
      block_timestamp: t.blockTimestamp,
      kind: t.side,
      volume_in_usd: t.volumeUsd,
    },
  };
}

const API_NAMES: Partial<Record<keyof TradeRecord, string>> = {
  blockNumber: 'block_number',
  fromTokenAmount: 'from_token_amount',
  toTokenAmount: 'to_token_amount',
  volumeUsd: 'volume_in_usd',
  side: 'kind',
  blockTimestamp: 'block_timestamp',
};

/** A broken API item: one of its fields, or (for fields the API does not carry) the whole item. */
function brokenApiItem(t: TradeRecord, [field, value]: [keyof TradeRecord, unknown]): unknown {
  const item = apiItem(t);
  const attributes = item.attributes as Record<string, unknown>;
  if (field === 'priceUsd') {
    attributes.price_from_in_usd = value;
    attributes.price_to_in_usd = value;
  } else if (field === 'id') item.id = value;
  else if (field === 'poolId') return { ...item, attributes: null };
  else attributes[API_NAMES[field]!] = value;
  return item;
}

describe('parseTradesPage', () => {
  test.prop([entries], RUNS)(
    'takes exactly the good trades, in order; each broken one has its index and a reason',
    (list) => {
      const items = list.map((e, n) =>
        e.good ? apiItem(record(e.trade, n)) : brokenApiItem(record(e.trade, n), e.broken),
      );
      const page = parseTradesPage(JSON.stringify({ data: items }), { network: 'solana', poolAddress: POOL_ADDRESS });
      const good = list.flatMap((e, n) => (e.good ? [record(e.trade, n)] : []));
      expect(page.trades).toEqual(good);
      expect(page.rejected.map((r) => r.index)).toEqual(list.flatMap((e, n) => (e.good ? [] : [n])));
      for (const r of page.rejected) expect(r.reason.length).toBeGreaterThan(10);
    },
  );

  test.prop(
    [
      fc.array(
        fc.oneof(
          fc.anything(),
          goodTrade.map((t) => apiItem(record(t, 0))),
        ),
        { maxLength: 20 },
      ),
    ],
    RUNS,
  )('never throws on any item in a readable envelope: each is a trade or a rejection', (items) => {
    const page = readTradesPage({ data: items }, { network: 'solana', poolAddress: POOL_ADDRESS });
    expect(page.trades.length + page.rejected.length).toBe(items.length);
  });

  test.prop(
    [
      fc.oneof(
        fc.string(),
        fc.json(),
        fc.anything().map((v) => JSON.stringify(v) ?? ''),
      ),
    ],
    RUNS,
  )('throws nothing but GeckoTerminalError on any body', (body) => {
    try {
      parseTradesPage(body, { network: 'solana', poolAddress: POOL_ADDRESS });
    } catch (err) {
      expect(err).toBeInstanceOf(GeckoTerminalError);
    }
  });
});

// --- the row validator ------------------------------------------------------------------------------------

describe('validateTrade', () => {
  test.prop([entries], RUNS)('takes each good row and refuses each broken one with a reason', (list) => {
    list.forEach((e, n) => {
      const t = record(e.trade, n);
      const result = validateTrade(e.good ? t : { ...t, [e.broken[0]]: e.broken[1] }, n);
      expect(result.ok).toBe(e.good);
      if (!result.ok) expect(result.reason.length).toBeGreaterThan(10);
    });
  });

  test('names a value String() cannot show (an object from JSON whose toString is no function)', () => {
    const row = JSON.parse('{"id":{"toString":0},"poolId":"p"}') as unknown;
    expect(validateTrade(row, 3)).toEqual({
      ok: false,
      id: '#3',
      reason: 'id is {"toString":0} (object), expected a non-empty string',
    });
  });

  test.prop([fc.anything(), fc.nat()], RUNS)('never throws, whatever the row', (row, index) => {
    const result = validateTrade(row, index);
    expect(typeof result.ok).toBe('boolean');
  });
});

// --- the import readers -----------------------------------------------------------------------------------

async function collect(items: AsyncIterable<ImportItem>): Promise<ImportItem[]> {
  const out: ImportItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function* linesOf(texts: readonly string[]): AsyncGenerator<PhysicalLine> {
  let number = 0;
  for (const text of texts) yield { number: ++number, text, overlong: false };
}

/** What an import makes of its items: the trades the validator takes, and the rejects with their reasons. */
function outcome(items: readonly ImportItem[]): { ids: string[]; reasons: string[] } {
  const ids: string[] = [];
  const reasons: string[] = [];
  items.forEach((item, n) => {
    if (item.kind === 'unparsable') reasons.push(item.reason);
    else {
      const v = validateTrade(item.candidate, n);
      if (v.ok) ids.push(v.row[0]);
      else reasons.push(v.reason);
    }
  });
  return { ids, reasons };
}

/** Junk lines a reader must reject (never blank, no line breaks, no commas, so never a whole CSV record). */
const junk = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== '' && !/[\r\n,]/.test(s));

const csvValue = (v: unknown) => (v === null || v === undefined ? '' : String(v));

describe('legacy CSV reader', () => {
  test.prop(
    [
      entries,
      fc.array(
        junk.filter((s) => !s.includes('"')),
        { maxLength: 5 },
      ),
    ],
    RUNS,
  )(
    'yields exactly the good rows; every broken row and junk line is rejected with a reason',
    async (list, junkLines) => {
      const lines = [LEGACY_CSV_COLUMNS.join(',')];
      list.forEach((e, n) => {
        const t: Record<string, unknown> = { ...record(e.trade, n) };
        if (!e.good) t[e.broken[0]] = e.broken[1];
        lines.push(
          [
            t.id,
            t.poolId,
            t.blockNumber,
            t.txHash,
            t.txFromAddress,
            t.fromTokenAmount,
            t.toTokenAmount,
            t.priceUsd,
            t.volumeUsd,
            t.side,
            t.blockTimestamp,
          ]
            .map(csvValue)
            .join(','),
        );
      });
      lines.push(...junkLines);
      const { ids, reasons } = outcome(await collect(readLegacyCsv(linesOf(lines))));
      expect(ids).toEqual(list.flatMap((e, n) => (e.good ? [record(e.trade, n).id] : [])));
      expect(reasons).toHaveLength(list.filter((e) => !e.good).length + junkLines.length);
      for (const r of reasons) expect(r.length).toBeGreaterThan(5);
    },
  );

  test.prop(
    [
      fc.array(
        fc.string({ maxLength: 80 }).map((s) => s.replace(/[\r\n]/g, ' ')),
        { maxLength: 20 },
      ),
    ],
    RUNS,
  )('throws nothing but ImportFormatError (an unusable header) on any lines', async (lines) => {
    try {
      await collect(readLegacyCsv(linesOf(lines)));
    } catch (err) {
      expect(err).toBeInstanceOf(ImportFormatError);
    }
  });
});

describe('NDJSON reader', () => {
  test.prop([entries, fc.array(junk, { maxLength: 5 })], RUNS)(
    'yields exactly the good rows; every broken row and junk line is rejected with a reason',
    async (list, junkLines) => {
      const lines: string[] = [];
      list.forEach((e, n) => {
        const t: Record<string, unknown> = { ...record(e.trade, n) };
        if (!e.good) t[e.broken[0]] = e.broken[1];
        lines.push(JSON.stringify(t));
      });
      // Junk that happens to be JSON (a number, a string) is still no trade object.
      lines.push(...junkLines);
      const { ids, reasons } = outcome(await collect(readNdjson(linesOf(lines))));
      expect(ids).toEqual(list.flatMap((e, n) => (e.good ? [record(e.trade, n).id] : [])));
      expect(reasons).toHaveLength(list.filter((e) => !e.good).length + junkLines.length);
    },
  );

  test.prop([fc.array(fc.oneof(fc.string({ maxLength: 80 }), fc.json()), { maxLength: 20 })], RUNS)(
    'never throws, whatever the lines',
    async (lines) => {
      const items = await collect(readNdjson(linesOf(lines.map((l) => l.replace(/[\r\n]/g, ' ')))));
      expect(items.length).toBeLessThanOrEqual(lines.length);
    },
  );
});
