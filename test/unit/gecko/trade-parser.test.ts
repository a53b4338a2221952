import { describe, expect, it } from 'vitest';
import { GeckoTerminalError } from '../../../src/gecko/gecko-errors.ts';
import { parseTradesBody, parseTradesDocument } from '../../../src/gecko/trade-parser.ts';
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

describe('parseTradesBody on the real fixture', () => {
  const trades = parseTradesBody(raw, ctx);
  const source = rawTrades();

  it('returns all 300 trades in the response order (newest first)', () => {
    expect(trades).toHaveLength(300);
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
    parseTradesBody(body, ctx);
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

describe('parseTradesBody on malformed bodies', () => {
  const firstBuy = rawTrades().findIndex((t) => t.attributes.kind === 'buy');

  it.each<[string, string, string | undefined, RegExp]>([
    ['not JSON', raw.slice(0, 500), undefined, /body is not JSON/],
    ['an HTML error page', '<html>502</html>', undefined, /body is not JSON/],
    ['not an object', '[1,2]', undefined, /body must be an object, got \[1,2\] \(array\)/],
    ['null', 'null', undefined, /body must be an object/],
    ['no data', '{"meta":{}}', 'data', /is missing/],
    ['data not an array', '{"data":{"id":"x"}}', 'data', /must be an array, got .*\(object\)/],
    [
      'a trade that is null',
      mutated((d) => {
        d.data[3] = null as unknown as RawTrade;
      }),
      'data[3]',
      /must be an object, got null/,
    ],
    [
      'a trade without attributes',
      mutated((d) => void delete (d.data[4] as Partial<RawTrade>).attributes),
      'data[4].attributes',
      /is missing/,
    ],
    ['a trade without id', mutated((d) => void delete (d.data[9] as Partial<RawTrade>).id), 'data[9].id', /is missing/],
    [
      'a trade of another type',
      mutated((d) => {
        d.data[1]!.type = 'pool';
      }),
      'data[1].type',
      /must be "trade"/,
    ],
    [
      'a missing tx_hash',
      mutated((d) => void delete d.data[5]!.attributes.tx_hash),
      'data[5].attributes.tx_hash',
      /is missing/,
    ],
    [
      'block_number as a string',
      mutated((d) => {
        d.data[7]!.attributes.block_number = '363106602';
      }),
      'data[7].attributes.block_number',
      /must be a non-negative integer, got "363106602" \(string\)/,
    ],
    [
      'block_number fractional',
      mutated((d) => {
        d.data[7]!.attributes.block_number = 1.5;
      }),
      'data[7].attributes.block_number',
      /non-negative integer/,
    ],
    [
      'an amount as a number',
      mutated((d) => {
        d.data[2]!.attributes.from_token_amount = 2.5;
      }),
      'data[2].attributes.from_token_amount',
      /decimal string, got 2.5 \(number\)/,
    ],
    [
      'an amount in exponent form',
      mutated((d) => {
        d.data[2]!.attributes.to_token_amount = '1e-7';
      }),
      'data[2].attributes.to_token_amount',
      /decimal string/,
    ],
    [
      'a negative volume',
      mutated((d) => {
        d.data[11]!.attributes.volume_in_usd = '-3.5';
      }),
      'data[11].attributes.volume_in_usd',
      /non-negative decimal/,
    ],
    [
      'kind not buy/sell',
      mutated((d) => {
        d.data[0]!.attributes.kind = 'swap';
      }),
      'data[0].attributes.kind',
      /must be one of buy\/sell, got "swap"/,
    ],
    [
      'a buy without its base price',
      mutated((d) => void delete d.data[firstBuy]!.attributes.price_to_in_usd),
      `data[${firstBuy}].attributes.price_to_in_usd`,
      /is missing/,
    ],
    [
      'a timestamp without zone',
      mutated((d) => {
        d.data[8]!.attributes.block_timestamp = '2025-08-28 16:15:08';
      }),
      'data[8].attributes.block_timestamp',
      /ISO 8601 UTC/,
    ],
    [
      'tx_from_address null',
      mutated((d) => {
        d.data[6]!.attributes.tx_from_address = null;
      }),
      'data[6].attributes.tx_from_address',
      /non-empty string, got null/,
    ],
  ])('refuses %s, naming pool and field', (_name, body, path, problem) => {
    expectBadResponse(body, path, problem);
  });
});
