// The candle timeframes GeckoTerminal serves (minute 1/5/15, hour 1/4/12, day 1), as bucket lengths in seconds.
// Buckets start at multiples of the length since 1970-01-01 UTC, so 4h and 12h buckets start at UTC midnight.

import { GeckoCollectorError } from '../errors.ts';

export const TIMEFRAMES = {
  '1m': 60,
  '5m': 300,
  '15m': 900,
  '1h': 3600,
  '4h': 14_400,
  '12h': 43_200,
  '1d': 86_400,
} as const;

export type Timeframe = keyof typeof TIMEFRAMES;
export const TIMEFRAME_NAMES = Object.keys(TIMEFRAMES) as Timeframe[];

export class TimeframeError extends GeckoCollectorError {
  readonly code = 'TIMEFRAME_INVALID';
}

/** The bucket length of `name`; TimeframeError listing the known ones otherwise. */
export function timeframeSeconds(name: string): number {
  const s = (TIMEFRAMES as Record<string, number>)[name];
  if (s === undefined)
    throw new TimeframeError(`timeframe must be one of ${TIMEFRAME_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
  return s;
}
