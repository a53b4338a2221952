// Fills one span of one pool from the range endpoint: asks for [start, end]; a full answer (the page cap) is cut
// to its newest trades, so the span is split at the answer's oldest second and the older part asked again, until
// an answer comes back short. Each answer's trades go to the funnel as one batch, acknowledged after COMMIT.

import { timestampMs } from '../common/stored-time.ts';
import type { GeckoTerminalClient } from '../gecko/gecko-client.ts';
import { GeckoAuthError } from '../gecko/gecko-errors.ts';
import { getTradesInRange } from '../gecko/range-requests.ts';
import type { AckMessage, WritePayload } from '../protocol/messages.ts';
import type { TradeRecord } from '../protocol/records.ts';

/** A span of a pool to fill: whole unix seconds, both included (the range endpoint's bounds). */
export interface FillSpan {
  poolId: string;
  network: string;
  address: string;
  startSec: number;
  endSec: number;
}

export interface SpanFigures {
  calls: number;
  /** Trades the answers held (repeats of a split's boundary second included). */
  fetched: number;
  inserted: number;
  duplicates: number;
  /** Trades the database did not take now: in the spool, written when it does. */
  deferred: number;
  rejected: number;
}

export interface SpanOutcome extends SpanFigures {
  /** The newest trade the answers held (where a cursor may move once the span is stored). */
  newest: { id: string; timestamp: string } | null;
  /** Why the span is not complete; absent when it is. */
  error?: string;
}

export interface SpanFillDeps {
  client: GeckoTerminalClient;
  /** The funnel: resolves once the batch is committed or durably deferred. */
  write: (payload: WritePayload) => Promise<AckMessage>;
  /** Items in a full answer: one this long is taken as cut. */
  pageSize: number;
  minVolumeUsd?: string;
  maxClockSkewMs?: number;
  signal?: AbortSignal;
  /** After each answer is stored. */
  onAnswer?: (figures: SpanFigures) => void;
}

export const emptyFigures = (): SpanFigures => ({
  calls: 0,
  fetched: 0,
  inserted: 0,
  duplicates: 0,
  deferred: 0,
  rejected: 0,
});

/** Adds `b` into `a`. */
export function addFigures(a: SpanFigures, b: SpanFigures): void {
  a.calls += b.calls;
  a.fetched += b.fetched;
  a.inserted += b.inserted;
  a.duplicates += b.duplicates;
  a.deferred += b.deferred;
  a.rejected += b.rejected;
}

const secondOf = (t: TradeRecord) => Math.floor(timestampMs(t.blockTimestamp) / 1000);

/**
 * Fills `span`; an API error ends it with `error` set (what was stored before stays: a resume asks again, and
 * repeats are harmless). An abort (the caller's signal), a refused key (GeckoAuthError: every span would get the
 * same) and a storage failure are thrown.
 */
export async function fillSpan(span: FillSpan, deps: SpanFillDeps): Promise<SpanOutcome> {
  const out: SpanOutcome = { ...emptyFigures(), newest: null };
  let end = span.endSec;
  for (;;) {
    deps.signal?.throwIfAborted();
    let page: Awaited<ReturnType<typeof getTradesInRange>>;
    try {
      out.calls++;
      page = await getTradesInRange(deps.client, span.network, span.address, {
        startSec: span.startSec,
        endSec: end,
        ...(deps.minVolumeUsd !== undefined ? { minVolumeUsd: deps.minVolumeUsd } : {}),
        ...(deps.maxClockSkewMs !== undefined ? { maxClockSkewMs: deps.maxClockSkewMs } : {}),
        ...(deps.signal ? { signal: deps.signal } : {}),
      });
    } catch (err) {
      if (deps.signal?.aborted || err instanceof GeckoAuthError) throw err;
      return { ...out, error: (err as Error).message };
    }
    out.fetched += page.trades.length;
    out.rejected += page.rejectedCount;
    let oldest = Number.POSITIVE_INFINITY;
    for (const t of page.trades) {
      oldest = Math.min(oldest, secondOf(t));
      if (out.newest === null || t.blockTimestamp > out.newest.timestamp)
        out.newest = { id: t.id, timestamp: t.blockTimestamp };
    }
    if (page.trades.length > 0) {
      const ack = await deps.write({ trades: page.trades });
      if (ack.deferred) out.deferred += page.trades.length;
      else {
        out.inserted += ack.inserted;
        out.duplicates += ack.duplicates;
        out.rejected += ack.rejected.length;
      }
    }
    deps.onAnswer?.(out);
    if (page.items < deps.pageSize) return out;
    // Cut: every trade later than the oldest second returned is in; that second itself may be missing some.
    if (!Number.isFinite(oldest))
      return { ...out, error: `a full answer (${page.items} items) held no usable trade: cannot split the span` };
    // The whole answer in the span's first second: that one second is what may be missing some.
    if (oldest <= span.startSec && end > span.startSec) {
      end = span.startSec;
      continue;
    }
    if (oldest <= span.startSec || oldest >= end)
      return {
        ...out,
        error: `more than ${deps.pageSize} trades within the second ${new Date(oldest * 1000).toISOString()}: the range endpoint's whole-second bounds cannot split it`,
      };
    end = oldest;
  }
}
