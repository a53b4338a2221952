// How long to wait before trying GeckoTerminal again: the server's Retry-After when it gives one,
// otherwise exponential backoff with jitter so that many collectors do not retry in lockstep.

export { type BackoffOptions, backoffDelayMs } from '../common/backoff.ts';

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
