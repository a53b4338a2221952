// Checks one incoming trade row and turns it into the exact values the INSERT binds, or a reason it was
// rejected. Runs in the writer thread (and the direct manager) so no path stores an unchecked row.

import { GeckoCollectorError } from '../errors.ts';
import type { TradeRecord } from '../protocol/records.ts';
import { doubleRangeProblem } from './decimal-string.ts';
import { previewJson } from './value-preview.ts';

/** Values in the column order of the trades INSERT (see trade-statements.ts). */
export type TradeRow = [
  id: string,
  poolId: string,
  blockNumber: number | null,
  txHash: string | null,
  txFromAddress: string | null,
  fromTokenAmount: string,
  toTokenAmount: string,
  priceUsd: string,
  volumeUsd: string,
  side: 'buy' | 'sell',
  blockTimestamp: string,
];

export type ValidationResult = { ok: true; row: TradeRow } | { ok: false; id: string; reason: string };

export const MAX_ID = 200;
export const MAX_POOL_ID = 100;
export const MAX_HASH = 100;
/** Longest decimal text; below 309 characters a plain decimal always has a double (doubleRangeProblem). */
export const MAX_DECIMAL = 100;
/**
 * Plain non-negative decimals as the API sends them; an exponent is allowed for values the old collector exported
 * from floats (doubleRangeProblem then checks that the value has a double).
 */
export const DECIMAL_PATTERN = '\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d{1,3})?';
const DECIMAL = new RegExp(`^${DECIMAL_PATTERN}$`);
const LEGACY = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;
const GENERIC =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** No chain GeckoTerminal indexes has a block before this (Bitcoin's genesis): an earlier block time is a bad value. */
export const EARLIEST_BLOCK_TIME = '2009-01-03 00:00:00.000000';
/** How far ahead of this machine's clock a block time may be (clock skew between chain, indexer and us). */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 300_000;

/**
 * The latest block time a row may carry now, in the stored format (which compares as text in time order). Beyond
 * it a trade is refused: stored, it would carry its pool's cursor into the future and hide every later trade.
 */
export function latestAcceptedTime(maxClockSkewMs: number, nowMs: number = Date.now()): string {
  return new Date(nowMs + maxClockSkewMs).toISOString().replace('T', ' ').replace('Z', '000');
}

/** A row failed validation; caught per row so one bad row never sinks its batch. */
export class RowInvalidError extends GeckoCollectorError {
  readonly code = 'ROW_INVALID';
}

function fail(reason: string): never {
  throw new RowInvalidError(reason);
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS[month - 1]!;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Digits of `s` from `from` to `to` (exclusive) as a number, or -1 if any is not a digit. */
function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** `YYYY-MM-DD?HH:MM:SS…` has digits where it should, names a real day and a real time of day. */
function isCalendarDateTime(v: string): boolean {
  const y = digits(v, 0, 4);
  const month = digits(v, 5, 7);
  const day = digits(v, 8, 10);
  const h = digits(v, 11, 13);
  const mi = digits(v, 14, 16);
  const sec = digits(v, 17, 19);
  return (
    y >= 0 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(y, month) &&
    h >= 0 &&
    h <= 23 &&
    mi >= 0 &&
    mi <= 59 &&
    sec >= 0 &&
    sec <= 59
  );
}

/**
 * The API's own format, `YYYY-MM-DDTHH:MM:SSZ`, checked by character codes (this runs per row when a batch is
 * packed and in the writer's row-by-row checks; a regex exec with seven captures cost more than the rest of a
 * row's checks). undefined = not this shape.
 */
function isoZ(v: string): string | null | undefined {
  if (
    v.length !== 20 ||
    v[4] !== '-' ||
    v[7] !== '-' ||
    v[10] !== 'T' ||
    v[13] !== ':' ||
    v[16] !== ':' ||
    v[19] !== 'Z'
  )
    return undefined;
  if (!isCalendarDateTime(v)) return null;
  return `${v.slice(0, 10)} ${v.slice(11, 19)}.000000`;
}

/**
 * Normalizes a timestamp to UTC `YYYY-MM-DD HH:MM:SS.ffffff`, the format the Python collector stored, so new
 * and old rows sort and compare together. A timestamp without an offset is taken as UTC. Returns null if invalid.
 */
export function normalizeTimestamp(value: string): string | null {
  // The API's shape first: it is what nearly every row carries.
  const fast = isoZ(value);
  if (fast !== undefined) return fast;
  // Already in the stored format (the old collector's rows, imports of its exports). Date.parse would
  // take 2025-02-30 (it rolls over), so the calendar is checked here.
  if (LEGACY.test(value)) return isCalendarDateTime(value) ? value : null;
  const m = GENERIC.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '00', frac = '', zone = 'Z'] = m;
  let offsetMin = 0;
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
  }
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const check = new Date(base);
  if (
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    check.getUTCHours() !== Number(h) ||
    check.getUTCMinutes() !== Number(mi) ||
    check.getUTCSeconds() !== Number(s)
  ) {
    return null;
  }
  const utc = new Date(base - offsetMin * 60_000);
  const micros = `${frac}000000`.slice(0, 6);
  return `${utc.getUTCFullYear()}-${pad(utc.getUTCMonth() + 1)}-${pad(utc.getUTCDate())} ${pad(utc.getUTCHours())}:${pad(utc.getUTCMinutes())}:${pad(utc.getUTCSeconds())}.${micros}`;
}

/** Shows any value without String() or a whole JSON.stringify (it may be nested 20,000 deep or megabytes long). */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return previewJson(value, 40);
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  return `${shown(value)} (${value === null ? 'null' : typeof value})`;
}

function requiredString(v: unknown, field: string, max: number): string {
  if (typeof v !== 'string' || v.length === 0)
    fail(`${field} is ${v === '' ? 'empty' : describe(v)}, expected a non-empty string`);
  if (v.length > max) fail(`${field} is ${v.length} characters, longer than ${max}`);
  return v;
}

function optionalString(v: unknown, field: string, max: number): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') fail(`${field} is ${describe(v)}, expected a string or null`);
  if (v.length > max) fail(`${field} is ${v.length} characters, longer than ${max}`);
  return v;
}

function decimal(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length > MAX_DECIMAL || !DECIMAL.test(v)) {
    fail(`${field} is ${describe(v)}, expected a non-negative decimal string of at most ${MAX_DECIMAL} characters`);
  }
  const range = doubleRangeProblem(v);
  if (range !== null) fail(`${field} ${describe(v)} ${range}`);
  return v;
}

/** A checked row back as a TradeRecord (its timestamp in the stored form). */
export function tradeFromRow(row: TradeRow): TradeRecord {
  const [id, poolId, blockNumber, txHash, txFromAddress, fromTokenAmount, toTokenAmount, priceUsd, volumeUsd] = row;
  return {
    id,
    poolId,
    blockNumber,
    txHash,
    txFromAddress,
    fromTokenAmount,
    toTokenAmount,
    priceUsd,
    volumeUsd,
    side: row[9],
    blockTimestamp: row[10],
  };
}

/** Values per trade in TradeRow order (what packed batches carry, and what a flat group holds per row). */
export const TRADE_FIELDS = 11;

/**
 * `latest` (see latestAcceptedTime): block times after it are refused as in the future; omitted, only times before
 * EARLIEST_BLOCK_TIME are refused.
 */
export function validateTrade(input: unknown, index: number, latest?: string): ValidationResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, id: `#${index}`, reason: `row is ${describe(input)}, expected a trade object` };
  }
  const t = input as Partial<Record<keyof TradeRecord, unknown>>;
  const values = [
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
  ];
  const rejected = checkTradeValuesAt(values, 0, index, latest);
  return rejected ? { ok: false, ...rejected } : { ok: true, row: values as TradeRow };
}

/**
 * Checks the trade whose raw values sit at `values[at … at+10]` and rewrites them IN PLACE into the values the
 * INSERT binds (timestamp normalized, missing optionals as null). Returns null when the row is valid, else
 * its id (or `#index`) and the reason. The writer runs this over one flat array per packed batch, so a row
 * costs no allocation beyond its normalized timestamp.
 */
export function checkTradeValuesAt(
  values: unknown[],
  at: number,
  index: number,
  latest?: string,
): { id: string; reason: string } | null {
  const rawId = values[at];
  try {
    requiredString(rawId, 'id', MAX_ID);
    requiredString(values[at + 1], 'poolId', MAX_POOL_ID);
    const bn = values[at + 2];
    if (bn !== null && bn !== undefined && !(typeof bn === 'number' && Number.isSafeInteger(bn) && bn >= 0)) {
      fail(`blockNumber is ${describe(bn)}, expected a non-negative integer or null`);
    }
    const side = values[at + 9];
    if (side !== 'buy' && side !== 'sell') fail(`side is ${describe(side)}, expected "buy" or "sell"`);
    const blockTimestamp = values[at + 10];
    if (typeof blockTimestamp !== 'string')
      fail(`blockTimestamp is ${describe(blockTimestamp)}, expected an ISO 8601 string`);
    const ts = normalizeTimestamp(blockTimestamp);
    if (ts === null) fail(`blockTimestamp ${describe(blockTimestamp)} is not a valid date-time`);
    if (ts < EARLIEST_BLOCK_TIME)
      fail(
        `blockTimestamp ${describe(blockTimestamp)} is before ${EARLIEST_BLOCK_TIME.slice(0, 10)}: no block is that old`,
      );
    if (latest !== undefined && ts > latest)
      fail(
        `blockTimestamp ${describe(blockTimestamp)} is in the future (later than ${latest} UTC, the clock-skew allowance)`,
      );
    const txHash = optionalString(values[at + 3], 'txHash', MAX_HASH);
    const txFrom = optionalString(values[at + 4], 'txFromAddress', MAX_HASH);
    decimal(values[at + 5], 'fromTokenAmount');
    decimal(values[at + 6], 'toTokenAmount');
    decimal(values[at + 7], 'priceUsd');
    decimal(values[at + 8], 'volumeUsd');
    // Only a valid row is rewritten: a rejected one keeps its raw values.
    values[at + 2] = bn ?? null;
    values[at + 3] = txHash;
    values[at + 4] = txFrom;
    values[at + 10] = ts;
    return null;
  } catch (err) {
    if (!(err instanceof RowInvalidError)) throw err;
    const id = typeof rawId === 'string' && rawId.length > 0 && rawId.length <= MAX_ID ? rawId : `#${index}`;
    return { id, reason: err.message };
  }
}

/**
 * A trade's optional createdAt (see TradeRecord) in the stored format: null when absent (the write time is
 * stored then), a reason when it is there but not a date-time.
 */
export function checkCreatedAt(value: unknown): { ok: true; value: string | null } | { ok: false; reason: string } {
  if (value === undefined || value === null || value === '') return { ok: true, value: null };
  const ts = typeof value === 'string' ? normalizeTimestamp(value) : null;
  return ts === null
    ? { ok: false, reason: `createdAt ${describe(value)} is not a valid date-time` }
    : { ok: true, value: ts };
}
