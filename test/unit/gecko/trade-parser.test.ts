import { describe, expect, it } from 'vitest';
import { GeckoTerminalError } from '../../../src/gecko/gecko-errors.ts';
import { parseTradesDocument, parseTradesPage } from '../../../src/gecko/trade-parser.ts';
import { readGeckoFixture } from '../../support/gecko-fixtures.ts';

const POOL = '4w2cysotX6czaUGmmWg13hDpY4QEMG2CzeKYEQyK9Ama';
const POOL_ID = `solana_${POOL}`;
const ctx = { network: 'solana', poolAddress: POOL };
const raw = readGeckoFixture('trades_solana_sol-pump.json');

interface RawTrade {
  id: string;
  type: string;
  attributes: Record<string, unknown>;
}

function rawTrades(): RawTrade[] {
  return (JSON.parse(raw) as { data: RawTrade[] }).data;
}

describe('parseTradesPage on the real fixture', () => {
  const page = parseTradesPage(raw, ctx);
  const { trades } = page;
  const source = rawTrades();

  it('returns all 300 trades in the response order (newest first)', () => {
    expect(trades).toHaveLength(300);
    expect(page.rejected).toEqual([]);
    expect(trades.map((t) => t.id)).toEqual(source.map((t) => t.id));
    for (let i = 1; i < trades.length; i++) {
      expect(trades[i - 1]!.blockTimestamp >= trades[i]!.blockTimestamp).toBe(true);
    }
  });

  it('keeps every field exactly as the raw JSON text has it', () => {
    trades.forEach((trade, i) => {
      const a = source[i]!.attributes;
      expect(trade).toEqual({
        id: source[i]!.id,
        poolId: POOL_ID,
        blockNumber: a.block_number,
        txHash: a.tx_hash,
        txFromAddress: a.tx_from_address,
        fromTokenAmount: a.from_token_amount,
        toTokenAmount: a.to_token_amount,
        priceUsd: a.kind === 'buy' ? a.price_to_in_usd : a.price_from_in_usd,
        volumeUsd: a.volume_in_usd,
        side: a.kind,
        blockTimestamp: a.block_timestamp,
      });
    });
    // The longest decimals (~80 chars) survive unchanged: they appear verbatim in the raw text.
    const longest = trades.reduce((m, t) => (t.volumeUsd.length > m.length ? t.volumeUsd : m), '');
    expect(longest.length).toBeGreaterThan(70);
    expect(raw).toContain(`"volume_in_usd": "${longest}"`);
    expect(String(Number(longest))).not.toBe(longest);
  });

  it('maps kind to side and prices the base (pump) token on both sides', () => {
    expect(trades.filter((t) => t.side === 'buy')).toHaveLength(158);
    expect(trades.filter((t) => t.side === 'sell')).toHaveLength(142);
    // SOL trades around $200; the pool's base token is the pump token, priced far below a cent.
    for (const t of trades) expect(t.priceUsd).toMatch(/^0\.0000\d+$/);
    const buy = source.find((t) => t.attributes.kind === 'buy')!;
    const sell = source.find((t) => t.attributes.kind === 'sell')!;
    expect(trades.find((t) => t.id === buy.id)!.priceUsd).toBe(buy.attributes.price_to_in_usd);
    expect(trades.find((t) => t.id === sell.id)!.priceUsd).toBe(sell.attributes.price_from_in_usd);
  });

  it('parses an already-decoded document the same way', () => {
    expect(parseTradesDocument(JSON.parse(raw), ctx)).toEqual(trades);
  });
});

type Mutation = (doc: { data: RawTrade[] }) => unknown;

function mutated(mutate: Mutation): string {
  const doc = JSON.parse(raw) as { data: RawTrade[] };
  const out = mutate(doc);
  return JSON.stringify(out === undefined ? doc : out);
}

function expectBadResponse(body: string, path: string | undefined, problem: RegExp): void {
  let caught: unknown;
  try {
    parseTradesPage(body, ctx);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(GeckoTerminalError);
  const err = caught as GeckoTerminalError;
  expect(err.code).toBe('GECKO_BAD_RESPONSE');
  expect(err.message).toContain(POOL_ID);
  expect(err.path).toBe(path);
  if (path !== undefined) expect(err.message).toContain(`${path} `);
  expect(err.message).toMatch(problem);
}

describe('parseTradesPage on an unreadable envelope', () => {
  it.each<[string, string, string | undefined, RegExp]>([
    ['not JSON', raw.slice(0, 500), undefined, /body is not JSON/],
    ['an HTML error page', '<html>502</html>', undefined, /body is not JSON/],
    ['not an object', '[1,2]', undefined, /body must be an object, got \[1,2\] \(array\)/],
    ['null', 'null', undefined, /body must be an object/],
    ['no data', '{"meta":{}}', 'data', /is missing/],
    ['data not an array', '{"data":{"id":"x"}}', 'data', /must be an array, got .*\(object\)/],
  ])('refuses %s, naming pool and place', (_name, body, path, problem) => {
    expectBadResponse(body, path, problem);
  });
});

describe('parseTradesPage with one broken trade', () => {
  const firstBuy = rawTrades().findIndex((t) => t.attributes.kind === 'buy');
  const all = rawTrades();

  it.each<[string, Mutation, number, RegExp]>([
    [
      'a trade that is null',
      (d) => {
        d.data[3] = null as unknown as RawTrade;
      },
      3,
      /^item is null \(null\), expected a trade object$/,
    ],
    [
      'a trade without attributes',
      (d) => void delete (d.data[4] as Partial<RawTrade>).attributes,
      4,
      /^attributes is missing, expected an object$/,
    ],
    ['a trade without id', (d) => void delete (d.data[9] as Partial<RawTrade>).id, 9, /^id is missing, expected/],
    [
      'a trade of another type',
      (d) => {
        d.data[1]!.type = 'pool';
      },
      1,
      /^type is "pool" \(string\), expected "trade"$/,
    ],
    [
      'block_number as a string',
      (d) => {
        d.data[7]!.attributes.block_number = '363106602';
      },
      7,
      /^attributes\.block_number is "363106602" \(string\), expected a non-negative integer or null$/,
    ],
    [
      'block_number fractional',
      (d) => {
        d.data[7]!.attributes.block_number = 1.5;
      },
      7,
      /^attributes\.block_number is 1\.5 \(number\)/,
    ],
    [
      'an amount as a number',
      (d) => {
        d.data[2]!.attributes.from_token_amount = 2.5;
      },
      2,
      /^attributes\.from_token_amount is 2\.5 \(number\), expected a non-negative decimal string/,
    ],
    [
      'a negative volume',
      (d) => {
        d.data[11]!.attributes.volume_in_usd = '-3.5';
      },
      11,
      /^attributes\.volume_in_usd is "-3\.5" \(string\)/,
    ],
    [
      'kind not buy/sell',
      (d) => {
        d.data[0]!.attributes.kind = 'swap';
      },
      0,
      /^attributes\.kind is "swap" \(string\), expected "buy" or "sell"$/,
    ],
    [
      'a buy without its base price',
      (d) => void delete d.data[firstBuy]!.attributes.price_to_in_usd,
      firstBuy,
      /^attributes\.price_to_in_usd is missing, expected a non-negative decimal string/,
    ],
    [
      'a timestamp that is no date',
      (d) => {
        d.data[8]!.attributes.block_timestamp = '2025-13-28T16:15:08Z';
      },
      8,
      /^attributes\.block_timestamp "2025-13-28T16:15:08Z" \(string\) is not a valid date-time$/,
    ],
  ])('refuses %s with its reason; its 299 page-mates go on', (_name, mutate, index, reason) => {
    const body = mutated(mutate);
    const page = parseTradesPage(body, ctx);
    expect(page.rejected).toHaveLength(1);
    const r = page.rejected[0]!;
    expect(r.index).toBe(index);
    expect(r.reason).toMatch(reason);
    // The id is named whenever the broken trade still has one.
    const item = (JSON.parse(body) as { data: (RawTrade | null)[] }).data[index];
    expect(r.id).toBe(item?.id);
    expect(page.trades.map((t) => t.id)).toEqual(all.filter((_, i) => i !== index).map((t) => t.id));
  });

  it('takes what the writer takes: an exponent, a missing tx hash, a timestamp without zone (UTC)', () => {
    const page = parseTradesPage(
      mutated((d) => {
        d.data[2]!.attributes.to_token_amount = '1e-7';
        delete d.data[5]!.attributes.tx_hash;
        d.data[8]!.attributes.block_timestamp = '2025-08-28 16:15:08';
      }),
      ctx,
    );
    expect(page.rejected).toEqual([]);
    expect(page.trades[2]!.toTokenAmount).toBe('1e-7');
    expect(page.trades[5]!.txHash).toBeNull();
    expect(page.trades[8]!.blockTimestamp).toBe('2025-08-28 16:15:08.000000');
  });

  it('keys a bad trade so a later response (newer trades on top) counts it once', () => {
    const withoutId = (d: { data: RawTrade[] }) => {
      delete (d.data[9] as Partial<RawTrade>).id;
      d.data[20] = null as unknown as RawTrade;
      d.data[30] = null as unknown as RawTrade;
    };
    const first = parseTradesPage(mutated(withoutId), ctx).rejected;
    const later = parseTradesPage(
      mutated((d) => {
        withoutId(d);
        // Two newer trades arrive; the oldest two leave the window.
        const newer = [0, 1].map((n) => ({ ...d.data[0]!, id: `${d.data[0]!.id}_newer${n}` }));
        d.data = [...newer, ...d.data.slice(0, -2)];
      }),
      ctx,
    ).rejected;
    expect(first.map((r) => r.index)).toEqual([9, 20, 30]);
    expect(later.map((r) => r.index)).toEqual([11, 22, 32]);
    expect(later.map((r) => r.key)).toEqual(first.map((r) => r.key));
    // Two id-less items with the same text are still two trades.
    expect(new Set(first.map((r) => r.key)).size).toBe(3);
    expect(first[1]!.key.startsWith('#null@')).toBe(true);
  });

  it('parseTradesDocument refuses a document with a broken trade, naming it', () => {
    expect(() =>
      parseTradesDocument(
        JSON.parse(
          mutated((d) => {
            d.data[4]!.attributes.kind = 'hold';
          }),
        ),
        ctx,
      ),
    ).toThrow(/trades of pool solana_\S+: data\[4\] is not a valid trade: attributes\.kind is "hold"/);
  });
});

describe('parseTradesPage on hostile shapes', () => {
  const all = rawTrades();
  const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const withItems = (...items: string[]) => `{"data":[${[...all.map((t) => JSON.stringify(t)), ...items].join(',')}]}`;

  it.each([
    ['an array', deepArray(20_000), /^item is \[{40}… \(array\), expected a trade object$/],
    ['an object', `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`, /^attributes is missing, expected an object$/],
    [
      'a trade whose volume is',
      JSON.stringify({
        ...all[0]!,
        id: 'deep_volume',
        attributes: { ...all[0]!.attributes, volume_in_usd: 0 },
      }).replace('"volume_in_usd":0', `"volume_in_usd":${deepArray(20_000)}`),
      /^attributes\.volume_in_usd is \[{40}… \(object\), expected a non-negative decimal string/,
    ],
  ])(
    'takes the 300 page-mates of an item nested 20,000 deep (%s) and rejects it with a short reason',
    (_n, item, reason) => {
      const page = parseTradesPage(withItems(item), ctx);
      expect(page.trades.map((t) => t.id)).toEqual(all.map((t) => t.id));
      expect(page.rejectedCount).toBe(1);
      expect(page.rejected).toHaveLength(1);
      expect(page.rejected[0]!.index).toBe(300);
      expect(page.rejected[0]!.reason).toMatch(reason);
      expect(page.rejected[0]!.key.length).toBeLessThan(300);
    },
  );

  it.each<[string, string, string | undefined, RegExp]>([
    ['a body nested 20,000 deep', deepArray(20_000), undefined, /body must be an object, got \[{60}… \(array\)/],
    [
      'data nested 20,000 deep',
      `{"data":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`,
      'data',
      /data must be an array, got \{"a":\{"a".*… \(object\)/,
    ],
  ])('refuses %s as a malformed response', (_name, body, path, problem) => {
    expectBadResponse(body, path, problem);
  });

  it('refuses a page of more than 1,000 items before reading any; 1,000 items are read', () => {
    expectBadResponse(
      `{"data":[${new Array(2_000_000).fill('0').join(',')}]}`,
      'data',
      /data has 2000000 items, more than 1000/,
    );
    expectBadResponse(withItems(...new Array(701).fill('{}')), 'data', /data has 1001 items, more than 1000/);
    const page = parseTradesPage(withItems(...new Array(700).fill('{}')), ctx);
    expect(page.trades).toHaveLength(300);
    expect(page.rejectedCount).toBe(700);
  });

  it('refuses a large body of junk values outside data before JSON.parse builds them', () => {
    const junk = new Array(1_000_000).fill('{}').join(',');
    expectBadResponse(
      `{"data":[],"included":[${junk}]}`,
      undefined,
      /body holds about 2000003 JSON values, more than 100000/,
    );
    expectBadResponse(`{"data":[[${junk}]]}`, undefined, /body holds about \d{7} JSON values, more than 100000/);
  });

  it('reads a page padded far beyond its usual size (its items counted in the text first) as usual', () => {
    const padded = `${withItems().slice(0, -1)},"meta":{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}}`;
    expect(parseTradesPage(padded, ctx).trades.map((t) => t.id)).toEqual(all.map((t) => t.id));
  });

  it('keeps the reasons of the first 20 rejected items of a page and counts the rest', () => {
    const page = parseTradesPage(withItems(...new Array(50).fill('null')), ctx);
    expect(page.trades).toHaveLength(300);
    expect(page.rejectedCount).toBe(50);
    expect(page.rejected.map((r) => r.index)).toEqual(Array.from({ length: 20 }, (_, i) => 300 + i));
    expect(page.rejected.every((r) => r.reason === 'item is null (null), expected a trade object')).toBe(true);
  });
});

describe('decimals whose value is not a double', () => {
  const one = (attributes: Record<string, unknown>) =>
    parseTradesPage(
      mutated((d) => void Object.assign(d.data[0]!.attributes, attributes)),
      ctx,
    );

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'volume 1e400',
      { volume_in_usd: '1e400' },
      /^attributes\.volume_in_usd "1e400" \(string\) is too large for a double \(it would be stored as Infinity\)$/,
    ],
    [
      'price 9e999',
      { price_from_in_usd: '9e999', price_to_in_usd: '9e999' },
      /price_\w+_in_usd "9e999" \(string\) is too large/,
    ],
    [
      'amount 18E+307, just above the largest double',
      { from_token_amount: '18E+307' },
      /from_token_amount "18E\+307" \(string\) is too large/,
    ],
    [
      'amount 1e-999',
      { to_token_amount: '1e-999' },
      /^attributes\.to_token_amount "1e-999" \(string\) is not zero but too small for a double \(it would be stored as 0\)$/,
    ],
    [
      'volume -1e400',
      { volume_in_usd: '-1e400' },
      /^attributes\.volume_in_usd is "-1e400" \(string\), expected a non-negative/,
    ],
  ])('rejects %s with its reason; its page-mates go on', (_name, attributes, reason) => {
    const page = one(attributes);
    expect(page.rejectedCount).toBe(1);
    expect(page.rejected[0]!.index).toBe(0);
    expect(page.rejected[0]!.reason).toMatch(reason);
    expect(page.trades).toHaveLength(299);
  });

  it.each([
    ['a 70-digit amount', { from_token_amount: `${'9'.repeat(40)}.${'1'.repeat(30)}` }],
    ['0.000000000000000000000001', { to_token_amount: '0.000000000000000000000001' }],
    ['a 99-character fraction', { volume_in_usd: `0.${'0'.repeat(96)}1` }],
    ['17.9E+307, just below the largest double', { volume_in_usd: '17.9E+307' }],
    ['4e-324 (the smallest double)', { to_token_amount: '4e-324' }],
    ['0e999 (zero)', { from_token_amount: '0e999' }],
    ['0.0', { from_token_amount: '0.0' }],
  ])('takes %s, exactly as sent', (_name, attributes) => {
    const page = one(attributes);
    expect(page.rejected).toEqual([]);
    const [key, value] = Object.entries(attributes)[0]!;
    const field = {
      from_token_amount: 'fromTokenAmount',
      to_token_amount: 'toTokenAmount',
      volume_in_usd: 'volumeUsd',
    }[key] as 'fromTokenAmount' | 'toTokenAmount' | 'volumeUsd';
    expect(page.trades[0]![field]).toBe(value);
  });
});
