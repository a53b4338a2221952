// A simulated pool's trade rate over time: a base rate and, for a bursty pool, one burst in every window (the
// rate times a factor for a while, at an offset drawn from the seed). Piecewise constant, so the expected number
// of trades up to any instant has a closed form, and inverting it places trade k without storing anything.

import { ConfigError } from '../errors.ts';
import { hashWords } from './seeded-random.ts';

/** How bursts are drawn (GeckoSimulatorOptions.bursts). */
export interface SimBurstOptions {
  /** A bursty pool bursts once in every window of this many seconds (windows counted from the Unix epoch). */
  everySeconds: number;
  /** How long a burst lasts, in seconds; less than `everySeconds`. */
  seconds: number;
  /** The pool's rate is multiplied by this during a burst. */
  factor: number;
  /** Fraction of the pools that burst at all (each pool drawn once from the seed); 1: every pool. */
  share: number;
}

export const DEFAULT_BURSTS: Readonly<SimBurstOptions> = Object.freeze({
  everySeconds: 600,
  seconds: 60,
  factor: 10,
  share: 0.5,
});

/** One pool's bursts: in each window of `windowMs` after its origin, one burst of `lengthMs` at `factor`. */
export interface PoolBursts {
  windowMs: number;
  lengthMs: number;
  factor: number;
}

/** A burst as reported: [startMs, endMs) in ms since the epoch, the rate multiplied by `factor`. */
export interface SimBurst {
  startMs: number;
  endMs: number;
  factor: number;
}

/** What places a pool's trades in time (a SimPool has all of it). */
export interface RateStream {
  seed: number;
  index: number;
  /** Slot 0 of the stream (ms since epoch). */
  originMs: number;
  /** The base rate, outside bursts. */
  tradesPerSecond: number;
  bursts?: PoolBursts | undefined;
}

export function checkBurstOptions(options: SimBurstOptions): SimBurstOptions {
  const { everySeconds, seconds, factor, share } = options;
  if (!(Number.isFinite(everySeconds) && everySeconds >= 0.002))
    throw new ConfigError('bursts.everySeconds', everySeconds, 'expected a number of seconds >= 0.002');
  if (!(Number.isFinite(seconds) && seconds >= 0.001 && seconds < everySeconds))
    throw new ConfigError(
      'bursts.seconds',
      seconds,
      `expected a number of seconds from 0.001 to below ${everySeconds}`,
    );
  if (!(Number.isFinite(factor) && factor >= 1 && factor <= 1000))
    throw new ConfigError('bursts.factor', factor, 'expected a number from 1 to 1000');
  if (!(Number.isFinite(share) && share >= 0 && share <= 1))
    throw new ConfigError('bursts.share', share, 'expected a fraction from 0 to 1');
  return options;
}

/** Whether pool `index` of `seed` bursts, and how: undefined for a steady pool. */
export function poolBursts(options: SimBurstOptions, seed: number, index: number): PoolBursts | undefined {
  if (hashWords(seed, index, 0xb0b5) / 2 ** 32 >= options.share) return undefined;
  return {
    windowMs: Math.round(options.everySeconds * 1000),
    lengthMs: Math.round(options.seconds * 1000),
    factor: options.factor,
  };
}

/** Where window w's burst starts, in ms after the window's start: from 0 to windowMs - lengthMs. */
function burstOffsetMs(stream: RateStream, b: PoolBursts, w: number): number {
  return Math.floor((hashWords(stream.seed, stream.index, w, 0xb57) / 2 ** 32) * (b.windowMs - b.lengthMs + 1));
}

/** Expected trades in [originMs, tMs): the count function the stream inverts (trade k sits where it reaches k + u). */
export function expectedCount(stream: RateStream, tMs: number): number {
  const t = tMs - stream.originMs;
  if (t <= 0 || stream.tradesPerSecond <= 0) return 0;
  const perMs = stream.tradesPerSecond / 1000;
  const b = stream.bursts;
  if (!b) return perMs * t;
  const w = Math.floor(t / b.windowMs);
  const intoBurst = Math.min(Math.max(t - w * b.windowMs - burstOffsetMs(stream, b, w), 0), b.lengthMs);
  return perMs * t + perMs * (b.factor - 1) * (w * b.lengthMs + intoBurst);
}

/** The instant (ms since epoch, fractional) where expectedCount reaches `count`. */
export function timeAtCount(stream: RateStream, count: number): number {
  const perMs = stream.tradesPerSecond / 1000;
  const b = stream.bursts;
  if (!b) return stream.originMs + count / perMs;
  const perWindow = perMs * (b.windowMs + (b.factor - 1) * b.lengthMs);
  let w = Math.floor(count / perWindow);
  let rest = count - w * perWindow;
  // Rounding can leave `rest` a hair outside [0, perWindow).
  if (rest < 0) {
    w--;
    rest += perWindow;
  } else if (rest >= perWindow) {
    w++;
    rest -= perWindow;
  }
  const offset = burstOffsetMs(stream, b, w);
  const before = perMs * offset;
  const during = perMs * b.factor * b.lengthMs;
  const start = stream.originMs + w * b.windowMs;
  if (rest < before) return start + rest / perMs;
  if (rest < before + during) return start + offset + (rest - before) / (perMs * b.factor);
  return start + offset + b.lengthMs + (rest - before - during) / perMs;
}

/** The bursts that overlap [fromMs, toMs), oldest first (none for a steady pool). */
export function burstsBetween(stream: RateStream, fromMs: number, toMs: number): SimBurst[] {
  const b = stream.bursts;
  if (!b || toMs <= fromMs) return [];
  const out: SimBurst[] = [];
  const first = Math.max(0, Math.floor((fromMs - stream.originMs) / b.windowMs));
  const last = Math.floor((toMs - stream.originMs) / b.windowMs);
  for (let w = first; w <= last; w++) {
    const startMs = stream.originMs + w * b.windowMs + burstOffsetMs(stream, b, w);
    const endMs = startMs + b.lengthMs;
    if (endMs > fromMs && startMs < toMs) out.push({ startMs, endMs, factor: b.factor });
  }
  return out;
}

/** The pool's rate at `tMs`, in trades per second. */
export function rateAt(stream: RateStream, tMs: number): number {
  const inBurst = burstsBetween(stream, tMs, tMs + 1).length > 0;
  return inBurst ? stream.tradesPerSecond * stream.bursts!.factor : stream.tradesPerSecond;
}
