// The simulator's switchable faults (throttles, server errors, broken bodies, slow replies) and the broken bodies
// it serves, rotated so that a run sees every kind a parser must refuse.

export interface SimFaults {
  /** Fraction of requests answered as throttled. */
  throttleRate: number;
  /** `status`: HTTP 429; `body`: HTTP 200 with `{"status":{"error_code":429}}`; `mixed`: either, at random. */
  throttleStyle: 'status' | 'body' | 'mixed';
  /** Retry-After on throttles: seconds, a raw header value (e.g. an HTTP date), or null for none. */
  retryAfter: number | string | null;
  /** Fraction of the remaining requests answered with `serverErrorStatus`. */
  serverErrorRate: number;
  serverErrorStatus: number;
  /** Fraction of the remaining requests answered with a broken 200 body. */
  malformedRate: number;
  /** Every reply waits this long first. */
  slowMs: number;
}

export const NO_FAULTS: SimFaults = {
  throttleRate: 0,
  throttleStyle: 'status',
  retryAfter: 1,
  serverErrorRate: 0,
  serverErrorStatus: 503,
  malformedRate: 0,
  slowMs: 0,
};

export const THROTTLE_BODY = JSON.stringify({
  status: {
    error_code: 429,
    error_message:
      "You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing to subscribe to our API plans for higher rate limits.",
  },
});
/**
 * Broken bodies of the kinds a parser must refuse, rotated so a run sees each one: an unreadable envelope, or
 * (variants 3–5 of trades) one broken trade whose page-mates are still good (`firstBroken`).
 */
export function malformedBody(
  body: string,
  variant: number,
  isTrades: boolean,
): { body: string; firstBroken: boolean } {
  const out = (text: string, firstBroken = false) => ({ body: text, firstBroken });
  const doc = JSON.parse(body) as {
    data: Array<{ attributes: Record<string, unknown>; relationships?: Record<string, unknown> }>;
  };
  const first = doc.data[0];
  const kinds = isTrades ? 6 : 4;
  switch (first ? variant % kinds : variant % 3) {
    case 0:
      return out(body.slice(0, Math.max(1, Math.floor(body.length / 2))));
    case 1:
      return out('<html><body><h1>502 Bad Gateway</h1></body></html>');
    case 2:
      return out(JSON.stringify({ data: { oops: true } }));
    case 3:
      if (isTrades) first!.attributes.block_number = String(first!.attributes.block_number);
      else delete first!.relationships?.dex;
      return out(JSON.stringify(doc), isTrades);
    case 4:
      first!.attributes.volume_in_usd = 'NaN';
      return out(JSON.stringify(doc), true);
    default:
      first!.attributes.kind = 'swap';
      return out(JSON.stringify(doc), true);
  }
}
