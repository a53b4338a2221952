// Turns what a database hands back for a decimal or a time into the export's forms: a REAL the old Python
// collector stored (no exact text beside it) as a plain decimal, and a stored UTC time into epoch microseconds.

import { GeckoCollectorError } from '../errors.ts';

/** A stored value cannot be exported as what its column says it is. */
export class StoredValueError extends GeckoCollectorError {
  readonly code = 'STORED_VALUE_INVALID';
}

/** `1.5e-7` → `0.00000015`: JavaScript's shortest round-trip digits (as Python's repr), without an exponent. */
function plainFromExponent(text: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!m) return text;
  const [, sign, int, frac = '', exp] = m;
  const digits = `${int}${frac}`;
  const point = int!.length + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * The exact text of a decimal column value: text as stored; an INTEGER or REAL (rows the old collector wrote
 * into NUMERIC columns) as its plain decimal digits. `column` and `id` name it when it is not a number at all.
 */
export function decimalText(value: unknown, column: string, id: string): string | null {
  if (value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && Number.isFinite(value)) return plainFromExponent(String(value));
  throw new StoredValueError(`trade ${id}: ${column} holds ${JSON.stringify(String(value))}, not a decimal`);
}

const STORED_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/** `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC) → microseconds since 1970; undefined when it is not that shape. */
export function storedTimeMicros(text: string): bigint | undefined {
  const m = STORED_TIME.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return BigInt(ms) * 1000n + BigInt((m[7] ?? '').padEnd(6, '0'));
}

/** Microseconds since 1970 → `YYYY-MM-DD HH:MM:SS.ffffff` (UTC), the inverse of storedTimeMicros. */
export function microsToStoredTime(micros: bigint): string {
  const ms = micros / 1000n;
  const us = micros - ms * 1000n;
  const base = new Date(Number(ms)).toISOString();
  return `${base.slice(0, 10)} ${base.slice(11, 23)}${String(us).padStart(3, '0')}`;
}

/** Seconds since 1970 of a stored UTC time (fraction dropped); NaN when it is not that shape. */
export function storedTimeSeconds(text: string): number {
  const m = STORED_TIME.exec(text);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
}

/** Seconds since 1970 → `YYYY-MM-DD HH:MM:SS` (UTC). */
export function secondsToStoredTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** An optional figure as a column value: anything but a finite number is stored as unknown (NULL). */
export function finiteOrNull(v: number | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** A pool's stored rate estimate, when it has a usable one. */
export function storedRate(
  tradesPerSecond: unknown,
  observedAt: unknown,
): { tradesPerSecond: number; observedAt: string } | undefined {
  const rate = typeof tradesPerSecond === 'string' ? Number(tradesPerSecond) : tradesPerSecond;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || typeof observedAt !== 'string')
    return undefined;
  return { tradesPerSecond: rate, observedAt };
}
