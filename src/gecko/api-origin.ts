// The one place a request to the API is built: every URL lies on the configured origin (scheme, host, port)
// under its base path, the key header goes only to that origin, and a redirect is followed only within it.

import { GeckoRedirectError, GeckoRequestError } from './gecko-errors.ts';
import type { SecretScrubber } from './secret-scrubber.ts';

export const API_KEY_HEADER = 'x-cg-pro-api-key';
export const GECKO_ACCEPT = 'application/json;version=20230302';
/** Hops followed within the origin per request; the real API answers without any. */
export const MAX_REDIRECT_HOPS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export function isRedirectStatus(status: number): boolean {
  return REDIRECT_STATUSES.has(status);
}

export interface ApiOriginOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  userAgent?: string | undefined;
  /** Masks the key in the Location a refusal names. */
  scrubber: SecretScrubber;
}

export class ApiOrigin {
  /** `https://api.geckoterminal.com`: the only origin requests go to. */
  readonly origin: string;
  private readonly base: string;
  private readonly basePath: string;
  private readonly plainHeaders: Record<string, string>;
  private readonly keyedHeaders: Record<string, string>;
  private readonly scrubber: SecretScrubber;

  constructor(options: ApiOriginOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.baseUrl);
    } catch {
      throw new GeckoRequestError(`invalid API base URL ${JSON.stringify(options.baseUrl)}: not a URL`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
      throw new GeckoRequestError(`invalid API base URL ${JSON.stringify(options.baseUrl)}: must be http(s)`);
    this.origin = parsed.origin;
    this.basePath = parsed.pathname.replace(/\/+$/, '');
    this.base = `${this.origin}${this.basePath}`;
    this.plainHeaders = {
      Accept: GECKO_ACCEPT,
      ...(options.userAgent ? { 'User-Agent': options.userAgent } : {}),
    };
    this.keyedHeaders = options.apiKey ? { ...this.plainHeaders, [API_KEY_HEADER]: options.apiKey } : this.plainHeaders;
    this.scrubber = options.scrubber;
  }

  /** The URL of `path` (segments already checked) under the base URL, with its query. */
  url(path: string, query: URLSearchParams): string {
    const qs = query.toString();
    const url = `${this.base}${path}${qs ? `?${qs}` : ''}`;
    const resolved = new URL(url);
    if (resolved.origin !== this.origin || !resolved.pathname.startsWith(`${this.basePath}/`))
      throw new GeckoRequestError(`request path ${JSON.stringify(path)} leaves the API base URL ${this.base}`);
    return url;
  }

  /** The request's headers: the key only for a URL on the configured origin. */
  headersFor(url: string): Record<string, string> {
    return new URL(url).origin === this.origin ? this.keyedHeaders : this.plainHeaders;
  }

  /**
   * Where a redirect of `from` leads, when it stays on the origin (same scheme, host and port; `hop` counts from
   * 1); GeckoRedirectError, naming the status and the other origin (scrubbed), when it does not.
   */
  follow(from: string, status: number, location: string | null, hop: number): string {
    let target: URL | undefined;
    try {
      target = location === null ? undefined : new URL(location, from);
    } catch {
      target = undefined;
    }
    if (target === undefined)
      throw new GeckoRedirectError(
        `GeckoTerminal answered HTTP ${status} without a usable Location: ${from}`,
        status,
        from,
        undefined,
      );
    const other = this.scrubber.text(target.origin);
    if (target.origin !== this.origin)
      throw new GeckoRedirectError(
        `GeckoTerminal answered HTTP ${status} redirecting to another origin, ${other}: not followed (requests and the API key go only to ${this.origin}; if the API moved, set --base-url): ${from}`,
        status,
        from,
        other,
      );
    if (hop > MAX_REDIRECT_HOPS)
      throw new GeckoRedirectError(
        `GeckoTerminal redirected more than ${MAX_REDIRECT_HOPS} times within ${this.origin}: ${from}`,
        status,
        from,
        other,
      );
    return target.href;
  }
}
