// Reading the simulator's query parameters (timestamps, integers, choices) into values, with the one error class
// a bad one raises: the HTTP layer answers it 400 with its message, which names the parameter and the value.

import { GeckoCollectorError } from '../errors.ts';

export class SimQueryError extends GeckoCollectorError {
  readonly code = 'SIM_QUERY_INVALID';
}

const UNIX_SECONDS = /^\d{1,12}(\.\d{1,3})?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A timestamp parameter as ms since the epoch: unix seconds (`1756728000`, or with up to 3 decimals) or an ISO
 * 8601 date-time (`2025-09-01T12:00:00Z`; without a zone it is read as UTC). Undefined when absent.
 */
export function timestampParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (UNIX_SECONDS.test(raw)) return Math.round(Number(raw) * 1000);
  if (ISO_DATE.test(raw)) {
    const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(raw) || !raw.includes(':') ? raw : `${raw}Z`;
    const ms = Date.parse(zoned.replace(' ', 'T'));
    if (Number.isFinite(ms)) return ms;
  }
  throw new SimQueryError(
    `${name} must be unix seconds or an ISO 8601 date-time like 2025-09-01T12:00:00Z, got ${JSON.stringify(raw)}`,
  );
}

/** An integer parameter from min to max; `fallback` when absent. */
export function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const n = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= min && n <= max))
    throw new SimQueryError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/** One of `choices`; `fallback` when absent. */
export function choiceParam<T extends string>(
  query: URLSearchParams,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = query.get(name);
  if (raw === null) return fallback;
  if (!(choices as readonly string[]).includes(raw))
    throw new SimQueryError(`${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as T;
}

/** `true`/`false` (also 1/0); `fallback` when absent. */
export function booleanParam(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const raw = query.get(name);
  if (raw === null) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new SimQueryError(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}
