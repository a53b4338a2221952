// One HTTP attempt of the GeckoTerminal client: the request to the configured origin without following
// redirects, a deadline covering headers and body, a body size bound enforced while reading (http-transport.ts),
// the body scrubbed of the API key before anything reads it, and the reply sorted into what the retry loop does
// next; plus the error a loop that ran out of attempts throws.

import { linkSignals } from '../common/linked-signal.ts';
import { type ApiOrigin, isRedirectStatus } from './api-origin.ts';
import {
  GeckoAuthError,
  GeckoHttpError,
  GeckoNetworkError,
  GeckoResponseTooLargeError,
  GeckoTimeoutError,
} from './gecko-errors.ts';
import type { BoundedBody, HttpReply, HttpTransport } from './http-transport.ts';
import { parseRetryAfterMs } from './retry-timing.ts';
import type { SecretScrubber } from './secret-scrubber.ts';

export type Attempt =
  | { kind: 'ok'; body: string /** The reply's `Age` header (a cached answer), ms. */; ageMs?: number }
  | { kind: 'throttled'; retryAfterMs: number | undefined }
  | { kind: 'server'; status: number }
  | { kind: 'timeout' }
  | { kind: 'network'; error: unknown };
export type Exchange = Attempt | { kind: 'redirect'; status: number; location: string | null };
export type FailedAttempt = Exclude<Attempt, { kind: 'ok' } | { kind: 'throttled' }>;

/** What every attempt of one client shares. */
export interface AttemptSettings {
  transport: HttpTransport;
  origin: ApiOrigin;
  scrubber: SecretScrubber;
  timeoutMs: number;
  maxResponseBytes: number;
  /** An API key is sent (for the wording of GeckoAuthError). */
  keyed: boolean;
}

function isThrottleBody(body: string): boolean {
  // Cheap pre-check: real data bodies never carry an error_code key.
  if (!body.includes('"error_code"')) return false;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed === null || typeof parsed !== 'object') return false;
    const status = (parsed as { status?: unknown }).status;
    return (
      status !== null && typeof status === 'object' && Number((status as { error_code?: unknown }).error_code) === 429
    );
  } catch {
    return false;
  }
}

/** One request to `url`; throws on what no retry can help (refused key, 4xx, a body too large, the caller's abort). */
export async function sendAttempt(o: AttemptSettings, url: string, signal: AbortSignal | undefined): Promise<Exchange> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  // Cut by the caller, the deadline, or a body over the bound.
  const cut = new AbortController();
  const linked = linkSignals([signal, timeout, cut.signal]);
  let response: HttpReply;
  let body: BoundedBody;
  try {
    // Redirects are not followed here: fetch would follow one anywhere with the key header.
    response = await o.transport(url, o.origin.headersFor(url), linked.signal);
    if (isRedirectStatus(response.status)) {
      await response.discard();
      return { kind: 'redirect', status: response.status, location: response.header('location') };
    }
    body = await response.text(o.maxResponseBytes);
    if (typeof body !== 'string') cut.abort(new Error('response body over the size bound'));
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    if (timeout.aborted) return { kind: 'timeout' };
    return { kind: 'network', error: err };
  } finally {
    linked.dispose();
  }
  if (typeof body !== 'string') throw new GeckoResponseTooLargeError(url, o.maxResponseBytes, body.tooLarge);
  // Before anything cuts an excerpt of it, parses it, logs a value of it or stores it.
  body = o.scrubber.body(body);
  const retryAfterMs = () => parseRetryAfterMs(response.header('retry-after'), Date.now());
  if (response.status === 429) return { kind: 'throttled', retryAfterMs: retryAfterMs() };
  if (response.status === 401 || response.status === 403) throw new GeckoAuthError(response.status, o.keyed, url);
  if (response.status >= 500) return { kind: 'server', status: response.status };
  if (response.status < 200 || response.status > 299) {
    throw new GeckoHttpError(
      `GeckoTerminal answered HTTP ${response.status} (${body.slice(0, 200)}): ${url}`,
      response.status,
      url,
    );
  }
  if (isThrottleBody(body)) return { kind: 'throttled', retryAfterMs: retryAfterMs() };
  const age = Number(response.header('age') ?? Number.NaN);
  return Number.isFinite(age) && age >= 0 ? { kind: 'ok', body, ageMs: age * 1000 } : { kind: 'ok', body };
}

/** The error of a call whose every attempt failed like `outcome`; `cause` describes a network failure. */
export function finalAttemptError(
  outcome: FailedAttempt,
  url: string,
  attempts: number,
  timeoutMs: number,
  cause: (error: unknown) => string,
): Error {
  switch (outcome.kind) {
    case 'server':
      return new GeckoHttpError(
        `GeckoTerminal answered HTTP ${outcome.status} on all ${attempts} attempts: ${url}`,
        outcome.status,
        url,
      );
    case 'timeout':
      return new GeckoTimeoutError(
        `GeckoTerminal did not answer within ${timeoutMs} ms on all ${attempts} attempts: ${url}`,
        url,
      );
    case 'network':
      return new GeckoNetworkError(
        `cannot reach GeckoTerminal after ${attempts} attempts (${cause(outcome.error)}): ${url}`,
        url,
        { cause: outcome.error },
      );
  }
}
