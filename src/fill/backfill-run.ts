// One backfill: plans the spans to ask the range endpoint for (every open gap, each pool's span from its cursor up
// to now, or with `since` each pool's whole span) and fills them a few at a time through the funnel; each gap is
// then marked filled, or keeps its reason; a cursor moves only once its whole span is stored.

import { timestampMs } from '../common/stored-time.ts';
import type { GeckoTerminalClient } from '../gecko/gecko-client.ts';
import { GeckoAuthError } from '../gecko/gecko-errors.ts';
import type { AckMessage, WritePayload } from '../protocol/messages.ts';
import type { GapFillRecord } from '../protocol/records.ts';
import type { FillReads, OpenGap } from '../storage/fill-reads.ts';
import { poolIdParts } from '../trades/pool-id.ts';
import { addFigures, emptyFigures, type FillSpan, fillSpan, type SpanFigures, type SpanOutcome } from './span-fill.ts';

export type SpanKind = 'gap' | 'cursor' | 'since';

export interface PlannedSpan extends FillSpan {
  kind: SpanKind;
  /** The gaps this span fills once complete (a gap span: its own; a since span: those inside it). */
  gaps: OpenGap[];
}

export interface BackfillOptions {
  reads: FillReads;
  write: (payload: WritePayload) => Promise<AckMessage>;
  client: GeckoTerminalClient;
  network: string;
  pageSize: number;
  /** Unix seconds: each pool's whole span from here (instead of gaps and cursor spans). */
  sinceSec?: number;
  /** Unix seconds, with sinceSec: the span's end (default now). */
  untilSec?: number;
  /** Only these pool ids. */
  poolIds?: readonly string[];
  minVolumeUsd?: string;
  maxClockSkewMs?: number;
  /** Spans in flight at once (the rate limit paces the calls). Default 4. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: BackfillProgress) => void;
  now?: () => number;
}

export interface BackfillProgress extends SpanFigures {
  spans: number;
  spansDone: number;
}

export interface SpanFailure {
  poolId: string;
  kind: SpanKind;
  /** ISO 8601 UTC. */
  from: string;
  to: string;
  error: string;
}

/** One span as it went: what it cost and brought (the JSON output lists them). */
export interface SpanDone {
  poolId: string;
  kind: SpanKind;
  fromSec: number;
  toSec: number;
  calls: number;
  inserted: number;
  failed: boolean;
}

export interface BackfillSummary extends SpanFigures {
  /** Every span finished (failed ones too), in the order they finished. */
  spanList: SpanDone[];
  spans: { gap: number; cursor: number; since: number };
  /** Pools with a span to fill. */
  poolCount: number;
  spansDone: number;
  gapsFilled: number;
  gapsFailed: number;
  cursorsMoved: number;
  failures: SpanFailure[];
  /** Stopped by the signal: spans not finished are asked again by the next run. */
  interrupted: boolean;
  /** Gaps of these pools still open after the run. */
  openGaps: number;
  /** The API refused the key for the range endpoint (the run stopped asking). */
  authRefused?: string;
}

const floorSec = (stored: string) => Math.floor(timestampMs(stored) / 1000);
const ceilSec = (stored: string) => Math.ceil(timestampMs(stored) / 1000);
const iso = (sec: number) => new Date(sec * 1000).toISOString();

/** The spans a run asks for, oldest gap first. */
export async function planSpans(o: BackfillOptions, nowSec: number): Promise<PlannedSpan[]> {
  const prefix = `${o.network}_`;
  const wanted = (id: string) => id.startsWith(prefix) && (!o.poolIds || o.poolIds.includes(id));
  const gaps = (await o.reads.openGaps(o.poolIds)).filter((g) => wanted(g.poolId));
  const span = (poolId: string, startSec: number, endSec: number, kind: SpanKind, of: OpenGap[]): PlannedSpan => ({
    poolId,
    ...poolIdParts(poolId),
    startSec,
    endSec,
    kind,
    gaps: of,
  });
  if (o.sinceSec !== undefined) {
    const since = o.sinceSec;
    const until = o.untilSec ?? nowSec;
    const pools = new Set((await o.reads.poolSpans(prefix)).map((p) => p.poolId).filter(wanted));
    for (const id of o.poolIds ?? []) if (wanted(id)) pools.add(id);
    return [...pools].sort().map((poolId) =>
      span(
        poolId,
        since,
        until,
        'since',
        gaps.filter((g) => g.poolId === poolId && floorSec(g.gapStart) >= since && ceilSec(g.gapEnd) <= until),
      ),
    );
  }
  const out = gaps.map((g) => span(g.poolId, floorSec(g.gapStart), ceilSec(g.gapEnd), 'gap', [g]));
  for (const p of await o.reads.poolSpans(prefix)) {
    if (!wanted(p.poolId) || p.cursorTimestamp === null) continue;
    const from = floorSec(p.cursorTimestamp);
    if (from < nowSec) out.push(span(p.poolId, from, nowSec, 'cursor', []));
  }
  return out;
}

/** Runs a backfill; resolves with what it did (an interrupted run too: what was committed stays). */
export async function runBackfill(o: BackfillOptions): Promise<BackfillSummary> {
  const now = o.now ?? Date.now;
  const nowSec = Math.floor(now() / 1000);
  const planned = await planSpans(o, nowSec);
  const summary: BackfillSummary = {
    ...emptyFigures(),
    spanList: [],
    spans: { gap: 0, cursor: 0, since: 0 },
    spansDone: 0,
    gapsFilled: 0,
    gapsFailed: 0,
    cursorsMoved: 0,
    failures: [],
    interrupted: false,
    openGaps: 0,
    poolCount: new Set(planned.map((s) => s.poolId)).size,
  };
  for (const s of planned) summary.spans[s.kind]++;
  const done = emptyFigures();
  const report = (live: SpanFigures[]) => {
    const p: BackfillProgress = { ...emptyFigures(), spans: planned.length, spansDone: summary.spansDone };
    addFigures(p, done);
    for (const f of live) addFigures(p, f);
    o.onProgress?.(p);
  };
  const live = new Set<SpanFigures>();
  const queue = [...planned];

  const finish = async (s: PlannedSpan, r: SpanOutcome) => {
    const at = new Date(now()).toISOString();
    const fills: GapFillRecord[] = s.gaps.map((g) => ({
      poolId: g.poolId,
      gapStart: g.gapStart,
      gapEnd: g.gapEnd,
      filledAt: r.error === undefined ? at : null,
      // A since span counts its trades on the span: the gaps inside it get none of their own.
      filledTrades: g.filledTrades + (s.kind === 'gap' ? r.inserted : 0),
      fillError: r.error ?? null,
    }));
    const payload: WritePayload = {};
    if (fills.length > 0) payload.gapFills = fills;
    const movesCursor = r.error === undefined && r.newest !== null && (s.kind === 'cursor' || o.untilSec === undefined);
    if (movesCursor && s.kind !== 'gap')
      payload.cursors = [
        { poolId: s.poolId, lastTradeId: r.newest!.id, lastTradeTimestamp: r.newest!.timestamp, polledAt: at },
      ];
    if (payload.gapFills || payload.cursors) await o.write(payload);
    if (payload.cursors) summary.cursorsMoved++;
    if (r.error === undefined) summary.gapsFilled += fills.length;
    else {
      summary.gapsFailed += fills.length;
      summary.failures.push({
        poolId: s.poolId,
        kind: s.kind,
        from: iso(s.startSec),
        to: iso(s.endSec),
        error: r.error,
      });
    }
  };

  const worker = async () => {
    for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
      if (o.signal?.aborted) return;
      const figures = emptyFigures();
      live.add(figures);
      let r: SpanOutcome;
      try {
        r = await fillSpan(s, {
          client: o.client,
          write: o.write,
          pageSize: o.pageSize,
          ...(o.minVolumeUsd !== undefined ? { minVolumeUsd: o.minVolumeUsd } : {}),
          ...(o.maxClockSkewMs !== undefined ? { maxClockSkewMs: o.maxClockSkewMs } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
          onAnswer: (f) => {
            Object.assign(figures, f);
            report([...live]);
          },
        });
      } catch (err) {
        live.delete(figures);
        addFigures(done, figures);
        if (o.signal?.aborted) return;
        if (!(err instanceof GeckoAuthError)) throw err;
        summary.authRefused = err.message;
        queue.length = 0;
        return;
      }
      live.delete(figures);
      addFigures(done, r);
      await finish(s, r);
      summary.spanList.push({
        poolId: s.poolId,
        kind: s.kind,
        fromSec: s.startSec,
        toSec: s.endSec,
        calls: r.calls,
        inserted: r.inserted,
        failed: r.error !== undefined,
      });
      summary.spansDone++;
      report([...live]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 4) }, worker));
  summary.interrupted = o.signal?.aborted === true;
  addFigures(summary, done);
  summary.openGaps = (await o.reads.openGaps(o.poolIds)).filter((g) => g.poolId.startsWith(`${o.network}_`)).length;
  return summary;
}
