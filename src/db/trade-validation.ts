// Checks one incoming trade row and turns it into the exact values the INSERT binds, or a reason it was
// rejected. Runs in the writer thread (and the direct manager) so no path stores an unchecked row.

import { GeckoCollectorError } from '../errors.ts';
import type { TradeRecord } from '../trade-record.ts';

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

const MAX_ID = 200;
const MAX_POOL_ID = 100;
const MAX_HASH = 100;
const MAX_DECIMAL = 100;
// Plain non-negative decimals as the API sends them; an exponent is allowed for values the old collector exported from floats.
const DECIMAL = /^\d+(?:\.\d+)?(?:[eE][-+]?\d{1,3})?$/;
const ISO_Z = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
const LEGACY = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;
const GENERIC = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

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

/**
 * Normalizes a timestamp to UTC `YYYY-MM-DD HH:MM:SS.ffffff`, the format the Python collector stored, so new
 * and old rows sort and compare together. A timestamp without an offset is taken as UTC. Returns null if invalid.
 */
export function normalizeTimestamp(value: string): string | null {
  if (LEGACY.test(value)) return Number.isNaN(Date.parse(value.replace(' ', 'T') + 'Z')) ? null : value;
  const fast = ISO_Z.exec(value);
  if (fast) {
    // The API's own format: range-check the fields instead of a Date round trip (this runs per row in the writer).
    const [, y, mo, d, h, mi, s] = fast as unknown as [string, string, string, string, string, string, string];
    const month = Number(mo);
    const day = Number(d);
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(Number(y), month)) return null;
    if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
    return `${y}-${mo}-${d} ${h}:${mi}:${s}.000000`;
  }
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
    check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) ||
    check.getUTCHours() !== Number(h) || check.getUTCMinutes() !== Number(mi) || check.getUTCSeconds() !== Number(s)
  ) {
    return null;
  }
  const utc = new Date(base - offsetMin * 60_000);
  const micros = (frac + '000000').slice(0, 6);
  return `${utc.getUTCFullYear()}-${pad(utc.getUTCMonth() + 1)}-${pad(utc.getUTCDate())} ${pad(utc.getUTCHours())}:${pad(utc.getUTCMinutes())}:${pad(utc.getUTCSeconds())}.${micros}`;
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = typeof value === 'string' ? JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value) : String(value);
  return `${text} (${value === null ? 'null' : typeof value})`;
}

function requiredString(v: unknown, field: string, max: number): string {
  if (typeof v !== 'string' || v.length === 0) fail(`${field} is ${v === '' ? 'empty' : describe(v)}, expected a non-empty string`);
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
  return v;
}

/**
 * The 11 raw values of a trade in TradeRow order, not yet checked: what a packed batch unpacks to, so the
 * writer can validate it without building a TradeRecord object first.
 */
export type TradeValues = readonly unknown[];

export function validateTrade(input: unknown, index: number): ValidationResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, id: `#${index}`, reason: `row is ${describe(input)}, expected a trade object` };
  }
  const t = input as Partial<Record<keyof TradeRecord, unknown>>;
  return validateTradeValues(
    [t.id, t.poolId, t.blockNumber, t.txHash, t.txFromAddress, t.fromTokenAmount, t.toTokenAmount, t.priceUsd, t.volumeUsd, t.side, t.blockTimestamp],
    index,
  );
}

export function validateTradeValues(v: TradeValues, index: number): ValidationResult {
  const [rawId, rawPool, bn, txHash, txFrom, fromAmount, toAmount, priceUsd, volumeUsd, side, blockTimestamp] = v;
  const id = typeof rawId === 'string' && rawId.length > 0 && rawId.length <= MAX_ID ? rawId : `#${index}`;
  try {
    const rowId = requiredString(rawId, 'id', MAX_ID);
    const poolId = requiredString(rawPool, 'poolId', MAX_POOL_ID);
    if (bn !== null && bn !== undefined && !(typeof bn === 'number' && Number.isSafeInteger(bn) && bn >= 0)) {
      fail(`blockNumber is ${describe(bn)}, expected a non-negative integer or null`);
    }
    if (side !== 'buy' && side !== 'sell') fail(`side is ${describe(side)}, expected "buy" or "sell"`);
    if (typeof blockTimestamp !== 'string') fail(`blockTimestamp is ${describe(blockTimestamp)}, expected an ISO 8601 string`);
    const ts = normalizeTimestamp(blockTimestamp);
    if (ts === null) fail(`blockTimestamp ${describe(blockTimestamp)} is not a valid date-time`);
    return {
      ok: true,
      row: [
        rowId,
        poolId,
        (bn as number | null | undefined) ?? null,
        optionalString(txHash, 'txHash', MAX_HASH),
        optionalString(txFrom, 'txFromAddress', MAX_HASH),
        decimal(fromAmount, 'fromTokenAmount'),
        decimal(toAmount, 'toTokenAmount'),
        decimal(priceUsd, 'priceUsd'),
        decimal(volumeUsd, 'volumeUsd'),
        side,
        ts,
      ],
    };
  } catch (err) {
    if (!(err instanceof RowInvalidError)) throw err;
    return { ok: false, id, reason: err.message };
  }
}
