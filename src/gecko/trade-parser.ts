// Turns a GeckoTerminal trades response (JSON:API) into TradeRecords, keeping every decimal as the exact
// string received. Only an unreadable envelope (not JSON, no data array, far more items than a page holds)
// rejects the page; each trade is checked on its own with the writer's row checks, so one bad trade is rejected
// with its reason and its page-mates go on, and the collector never sends a row the writer would refuse.

import { poolIdOf } from '../config/pool-addresses.ts';
import type { TradeRecord } from '../protocol/records.ts';
import {
  DEFAULT_MAX_CLOCK_SKEW_MS,
  latestAcceptedTime,
  tradeFromRow,
  validateTrade,
} from '../trades/trade-validation.ts';
import { kindOf, previewJson } from '../trades/value-preview.ts';
import { JsonReader } from './json-reader.ts';

export interface TradeParseContext {
  network: string;
  poolAddress: string;
  /** The writer's clock-skew allowance: a later block time is rejected here, never reaching a cursor. */
  maxClockSkewMs?: number;
}

/** A trade of a page that was not taken. */
export interface RejectedTrade {
  /** Its position in `data`. */
  index: number;
  /** The trade's id when it has a readable one. */
  id: string | undefined;
  /** What is wrong, naming the field (`volumeUsd is "NaN" (string), expected …`). */
  reason: string;
  /**
   * Stable across responses: the same bad trade comes back in every later response of the 300-trade window,
   * and is counted once by this. Its id; without one, its own text and the id of the nearest older item that
   * has one (several id-less items may have the same text).
   */
  key: string;
}

/** A trades response split into the trades that passed the row checks and those that did not. */
export interface TradesPage {
  trades: TradeRecord[];
  /** The first MAX_REJECT_DETAILS items that were not taken, with their reasons. */
  rejected: RejectedTrade[];
  /** Every item that was not taken (`rejected` and those only counted). */
  rejectedCount: number;
}

/** Rejected items of a page kept with their reasons; a page with more only counts the rest. */
export const MAX_REJECT_DETAILS = 20;

export type TradeItemResult = { ok: true; trade: TradeRecord } | { ok: false; rejected: RejectedTrade };

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
/** The row checks name TradeRecord fields; a reason about a response names the API's own. */
const API_FIELDS: Readonly<Record<string, string>> = {
  blockNumber: 'attributes.block_number',
  txHash: 'attributes.tx_hash',
  txFromAddress: 'attributes.tx_from_address',
  fromTokenAmount: 'attributes.from_token_amount',
  toTokenAmount: 'attributes.to_token_amount',
  volumeUsd: 'attributes.volume_in_usd',
  side: 'attributes.kind',
  blockTimestamp: 'attributes.block_timestamp',
};
const MAX_KEY = 240;

/** The latest block time a page may carry, computed once per page. */
function latestFor(context: TradeParseContext): string {
  return latestAcceptedTime(context.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS);
}

function readerFor(context: TradeParseContext): { reader: JsonReader; poolId: string } {
  const poolId = poolIdOf(context.network, context.poolAddress);
  return { reader: new JsonReader(`trades of pool ${poolId}`), poolId };
}

/** Parses the raw response text; GeckoTerminalError only when the envelope itself is unreadable. */
export function parseTradesPage(body: string, context: TradeParseContext): TradesPage {
  const { reader, poolId } = readerFor(context);
  return splitTrades(reader, reader.parse(body), poolId, latestFor(context));
}

/** Parses an already-decoded document (e.g. from a fixture file), splitting it like parseTradesPage. */
export function readTradesPage(document: unknown, context: TradeParseContext): TradesPage {
  const { reader, poolId } = readerFor(context);
  return splitTrades(reader, document, poolId, latestFor(context));
}

/**
 * A document whose every trade must be good (fixtures, tests): the first rejected trade throws its
 * GeckoTerminalError, naming `data[i]` and the reason.
 */
export function parseTradesDocument(document: unknown, context: TradeParseContext): TradeRecord[] {
  const { reader, poolId } = readerFor(context);
  const page = splitTrades(reader, document, poolId, latestFor(context));
  const first = page.rejected[0];
  if (first) reader.fail(`data[${first.index}]`, `is not a valid trade: ${first.reason}`);
  return page.trades;
}

function splitTrades(reader: JsonReader, document: unknown, poolId: string, latest: string): TradesPage {
  const root = reader.object(document, undefined);
  const data = reader.pageItems(root);
  const out: TradesPage = { trades: [], rejected: [], rejectedCount: 0 };
  for (let index = 0; index < data.length; index++) {
    const result = readTradeItem(data[index], index, poolId, latest);
    if (result.ok) out.trades.push(result.trade);
    else if (out.rejectedCount++ < MAX_REJECT_DETAILS) out.rejected.push(result.rejected);
  }
  // Newest first: the older neighbour stays put while newer trades arrive above.
  let older = 'end';
  let r = out.rejected.length - 1;
  for (let index = data.length - 1; index >= 0 && r >= 0; index--) {
    const rejected = out.rejected[r]!;
    if (rejected.index === index) {
      if (rejected.id === undefined) rejected.key = `${rejected.key}@${older}`;
      r--;
    }
    const id = idOf(data[index]);
    if (id !== undefined) older = id;
  }
  return out;
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  return `${previewJson(value, 40)} (${kindOf(value)})`;
}

function keyOf(item: unknown, id: string | undefined): string {
  return id !== undefined ? id : `#${previewJson(item, MAX_KEY)}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** One item of `data`: the trade, or why it is not one. Never throws. */
function idOf(item: unknown): string | undefined {
  const rawId = isObject(item) ? item.id : undefined;
  return typeof rawId === 'string' && rawId !== '' ? rawId : undefined;
}

export function readTradeItem(item: unknown, index: number, poolId: string, latest?: string): TradeItemResult {
  const rawId = isObject(item) ? item.id : undefined;
  const id = idOf(item);
  const reject = (reason: string): TradeItemResult => ({
    ok: false,
    rejected: { index, id, reason, key: keyOf(item, id) },
  });
  if (!isObject(item)) return reject(`item is ${describe(item)}, expected a trade object`);
  if (item.type !== undefined && item.type !== 'trade')
    return reject(`type is ${describe(item.type)}, expected "trade"`);
  const a = item.attributes;
  if (!isObject(a)) return reject(`attributes is ${describe(a)}, expected an object`);
  const side = a.kind;
  // The pool's base token is what a buy receives and a sell gives away.
  const priceUsd = side === 'buy' ? a.price_to_in_usd : side === 'sell' ? a.price_from_in_usd : '0';
  const candidate = {
    id: rawId,
    poolId,
    blockNumber: a.block_number,
    txHash: a.tx_hash,
    txFromAddress: a.tx_from_address,
    fromTokenAmount: a.from_token_amount,
    toTokenAmount: a.to_token_amount,
    priceUsd,
    volumeUsd: a.volume_in_usd,
    side,
    blockTimestamp: a.block_timestamp,
  };
  const checked = validateTrade(candidate, index, latest);
  if (!checked.ok) {
    const priceField = side === 'buy' ? 'attributes.price_to_in_usd' : 'attributes.price_from_in_usd';
    return reject(
      checked.reason.replace(/^\w+/, (field) => (field === 'priceUsd' ? priceField : (API_FIELDS[field] ?? field))),
    );
  }
  const rawTimestamp = a.block_timestamp as string;
  const trade = tradeFromRow(checked.row);
  // As received when it is the API's ISO form; otherwise the normalized UTC form the writer stores.
  if (ISO_UTC.test(rawTimestamp)) trade.blockTimestamp = rawTimestamp;
  return { ok: true, trade };
}
