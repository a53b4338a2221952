// Which stored trades `export` and `ohlcv` read (storage/trade-rows.ts's TradeFilter), parsed from flags with
// errors that name the flag.

import { GeckoCollectorError } from '../errors.ts';
import type { TradeFilter } from '../storage/trade-rows.ts';

/** A filter value is not what its flag takes; the message names the flag and the value. */
export class TradeFilterError extends GeckoCollectorError {
  readonly code = 'FILTER_INVALID';
}

const NETWORK = /^[a-z0-9_-]+$/i;
const POOL = /^[A-Za-z0-9_.:-]+$/;
// A date, or a date and time, with an optional zone; without one it is UTC (every stored time is UTC).
const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** `--since`/`--until` text → a Date; TradeFilterError naming `flag` when it is not an ISO 8601 date or date-time. */
export function parseFilterTime(flag: string, text: string): Date {
  const m = TIME.exec(text.trim());
  const bad = () =>
    new TradeFilterError(
      `--${flag} must be a UTC date or date-time like 2025-08-28 or 2025-08-28T16:00:00Z, got ${JSON.stringify(text)}`,
    );
  if (!m) throw bad();
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime()) || new Date(Date.UTC(+y!, +mo! - 1, +d!)).getUTCDate() !== +d!) throw bad();
  return date;
}

/** Checks and assembles a filter from flag values (undefined = not given). */
export function filterFromFlags(flags: {
  pool?: readonly string[];
  network?: string;
  since?: string;
  until?: string;
}): TradeFilter {
  const { network } = flags;
  if (network !== undefined && !NETWORK.test(network))
    throw new TradeFilterError(`--network must be a network id like solana, got ${JSON.stringify(network)}`);
  const poolIds = (flags.pool ?? []).map((p) => {
    if (!POOL.test(p)) throw new TradeFilterError(`--pool must be a pool id or address, got ${JSON.stringify(p)}`);
    // An address given with --network is that network's pool; a pool id already carries its network.
    if (network !== undefined) return p.startsWith(`${network}_`) ? p : `${network}_${p}`;
    if (!p.includes('_'))
      throw new TradeFilterError(
        `--pool ${JSON.stringify(p)} is an address: give the pool id (solana_${p}) or --network with it`,
      );
    return p;
  });
  const since = flags.since === undefined ? undefined : parseFilterTime('since', flags.since);
  const until = flags.until === undefined ? undefined : parseFilterTime('until', flags.until);
  if (since && until && since.getTime() >= until.getTime())
    throw new TradeFilterError(`--since (${flags.since}) must be before --until (${flags.until})`);
  return {
    ...(poolIds.length ? { poolIds } : {}),
    ...(network !== undefined ? { network } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
  };
}
