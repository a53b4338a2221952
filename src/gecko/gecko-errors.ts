// Failures of GeckoTerminal calls, one class per kind so a collector can decide (skip, back off, give up)
// from `code` alone: bad body, HTTP status, throttled, timeout, network, bad request arguments.

import { GeckoCollectorError } from '../errors.ts';

/** The response arrived but is not what GeckoTerminal sends: the message names the resource and the field. */
export class GeckoTerminalError extends GeckoCollectorError {
  readonly code = 'GECKO_BAD_RESPONSE';
  constructor(
    message: string,
    /** What was being read, e.g. `trades of pool solana_<address>`. */
    readonly resource: string,
    /** JSON path of the offending value (`data[17].attributes.kind`), or undefined for the whole body. */
    readonly path: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A non-success HTTP status that is not a throttle: 4xx at once, 5xx after the retries ran out. */
export class GeckoHttpError extends GeckoCollectorError {
  readonly code = 'GECKO_HTTP_ERROR';
  constructor(
    message: string,
    readonly status: number,
    readonly url: string,
  ) {
    super(message);
  }
}

/**
 * The API refused the credentials (HTTP 401 or 403): retrying cannot help, so the run stops. The message says
 * which credentials (a key or none) without ever containing the key.
 */
export class GeckoAuthError extends GeckoCollectorError {
  readonly code = 'GECKO_AUTH_REFUSED';
  constructor(
    readonly status: number,
    /** An API key was sent. */
    readonly withKey: boolean,
    readonly url: string,
  ) {
    super(
      withKey
        ? `the API refused the API key (HTTP ${status}${status === 401 ? ' Unauthorized' : ' Forbidden'}): check --api-key / GECKO_API_KEY and the plan it belongs to`
        : `the API refused the request without an API key (HTTP ${status}${status === 401 ? ' Unauthorized' : ' Forbidden'}): this base URL needs --api-key / GECKO_API_KEY`,
    );
  }
}

/** Still throttled (HTTP 429 or a 429 status body) after every throttle retry. */
export class GeckoThrottledError extends GeckoCollectorError {
  readonly code = 'GECKO_THROTTLED';
  constructor(
    message: string,
    readonly url: string,
    /** The last wait the server asked for, when it said. */
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
  }
}

/** The body grew past the size bound while streaming: the request was cut there and is not retried. */
export class GeckoResponseTooLargeError extends GeckoCollectorError {
  readonly code = 'GECKO_RESPONSE_TOO_LARGE';
  constructor(
    readonly url: string,
    readonly limitBytes: number,
    /** Bytes received (or declared by Content-Length) when it was cut. */
    readonly receivedBytes: number,
  ) {
    super(
      `GeckoTerminal response is larger than the ${limitBytes}-byte bound (cut at ${receivedBytes} bytes; raise --max-response-bytes if real responses are this big): ${url}`,
    );
  }
}

/** Every attempt ran past the per-request timeout. */
export class GeckoTimeoutError extends GeckoCollectorError {
  readonly code = 'GECKO_TIMEOUT';
  constructor(
    message: string,
    readonly url: string,
  ) {
    super(message);
  }
}

/**
 * A redirect that is not followed: to another origin (scheme, host or port: so never HTTPS to HTTP), or one hop
 * too many. The API key is sent only to the configured origin, so the request ends here and is not retried.
 */
export class GeckoRedirectError extends GeckoCollectorError {
  readonly code = 'GECKO_REDIRECT_REFUSED';
  constructor(
    message: string,
    readonly status: number,
    readonly url: string,
    /** Where it pointed (origin only, scrubbed), or undefined without a usable Location. */
    readonly locationOrigin: string | undefined,
  ) {
    super(message);
  }
}

/** The connection failed (refused, reset, DNS) on every attempt. */
export class GeckoNetworkError extends GeckoCollectorError {
  readonly code = 'GECKO_NETWORK_ERROR';
  constructor(
    message: string,
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The caller asked for something the API cannot answer (e.g. more than 30 pools in one multi call). */
export class GeckoRequestError extends GeckoCollectorError {
  readonly code = 'GECKO_BAD_REQUEST';
}

/**
 * Why a request never got an answer, from the innermost cause fetch gives (`TypeError: fetch failed` says
 * nothing): its code and text, e.g. `ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:8080`,
 * `ENOTFOUND: getaddrinfo ENOTFOUND host`, `DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate`.
 */
export function networkFailureText(err: unknown): string {
  let code: string | undefined;
  let text = err instanceof Error ? err.message : String(err);
  const seen = new Set<unknown>();
  for (let e: unknown = err; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    const own = (e as { code?: unknown }).code;
    if (typeof own === 'string') code = own;
    const inner = e instanceof AggregateError ? (e.errors[0] as unknown) : undefined;
    const message = e.message || (inner instanceof Error ? inner.message : '');
    if (message !== '') text = message;
  }
  return code === undefined || text.startsWith(code) ? text : `${code}: ${text}`;
}
