// How long to wait before trying GeckoTerminal again: the server's Retry-After when it gives one,
// otherwise exponential backoff with jitter so that many collectors do not retry in lockstep.

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/** Equal jitter: half the exponential step is fixed, half random, so waits never collapse to zero. */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number): number {
  const step = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt));
  return Math.round(step / 2 + random() * (step / 2));
}

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
