// The live view's figures (GET /status.json, `gecko-collector status`): per pool from the database's read-only
// reads, how fresh, how busy, how often polled and how complete; beside them the run's breaker, spool, writer
// queue and budget plan when a run's snapshot is at hand (the live one, or its metrics file).

import { type PoolStatusRow, STATUS_HOURS } from '../storage/pool-status.ts';
import type { CollectorMetricsSnapshot } from './metrics-snapshot.ts';

export interface PoolStatus {
  pool: string;
  name: string | null;
  /** ISO; null without a stored trade. */
  lastTradeAt: string | null;
  lastTradeAgeS: number | null;
  /** Over the last 10 minutes. */
  tradesPerMin: number;
  /** The schedule's interval and rate estimate (null until a schedule sets them). */
  pollIntervalS: number | null;
  tradeRatePerS: number | null;
  /** Stored / (stored + estimated missed) over the last day, 0..1; null when not known. */
  coverage: number | null;
  openGaps: number;
  estimatedMissed: number | null;
  /** Trades stored per hour over the last 24 hours, oldest first. */
  hourly: number[];
  /** From the run serving the view: polls, errors and when the last poll answered (ISO). */
  polls?: number;
  errors?: number;
  lastPollAt?: string | null;
}

export interface BudgetPlan {
  /** API calls a minute the pools' schedule needs, and the budget. */
  neededPerMin: number;
  budgetPerMin: number;
}

export type RunState = 'running' | 'finished' | 'died';

export interface RunStatus {
  /** ISO. */
  startedAt: string;
  /** When the figures were taken (ISO): now for a live run, the metrics file's time otherwise. */
  figuresAt: string;
  /** running; finished (its final figures); died: no final figures and no process behind them any more. */
  state: RunState;
  collectorsRunning: number | null;
  breaker: { state: string; opens: number; rejections: number };
  spool: { batches: number; rows: number; oldestAgeMs: number | null };
  writerBacklog: number;
  alerts: string[];
  budget: BudgetPlan | null;
}

export interface StatusReport {
  /** ISO. */
  at: string;
  engine: 'sqlite' | 'postgres';
  /** The database (a path, or the server URL without credentials). */
  database: string;
  run: RunStatus | null;
  pools: PoolStatus[];
}

export interface StatusInput {
  nowMs: number;
  engine: 'sqlite' | 'postgres';
  database: string;
  rows: readonly PoolStatusRow[];
  /** The run's figures, when there is a run to show. */
  snapshot?: CollectorMetricsSnapshot | null;
  /** Default running (a live run's own figures); a metrics file's run may have finished or died. */
  state?: RunState;
  startedAtMs?: number;
  budget?: BudgetPlan | null;
  /** Only these pools, in this order (a run's own; one without a cursor yet shows as not polled). */
  pools?: readonly string[];
}

/** A pool the database knows nothing about yet. */
function emptyRow(poolId: string): PoolStatusRow {
  return {
    poolId,
    name: null,
    lastTradeMs: null,
    lastPolledMs: null,
    recentTrades: 0,
    pollIntervalMs: null,
    tradeRatePerS: null,
    openGaps: 0,
    estimatedMissed: 0,
    hourly: new Array<number>(STATUS_HOURS).fill(0),
  };
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

function coverageOf(row: PoolStatusRow): number | null {
  if (row.estimatedMissed === null) return null;
  const stored = row.hourly.reduce((n, x) => n + x, 0);
  const whole = stored + row.estimatedMissed;
  return whole > 0 ? round(stored / whole, 4) : null;
}

/** The plan a snapshot carries (a metrics file's), when the run had a schedule. */
function budgetOf(s: CollectorMetricsSnapshot): BudgetPlan | null {
  const plan = s.collection?.schedule;
  return plan ? { neededPerMin: plan.neededPerMin, budgetPerMin: plan.budgetPerMin } : null;
}

function runStatus(input: StatusInput, s: CollectorMetricsSnapshot): RunStatus {
  return {
    startedAt: new Date(input.startedAtMs ?? s.collection?.startedAt ?? s.at).toISOString(),
    figuresAt: new Date(s.at).toISOString(),
    state: input.state ?? 'running',
    collectorsRunning: s.collection?.collectorsRunning ?? null,
    breaker: { state: s.breaker.state, opens: s.breaker.opens, rejections: s.breaker.rejections },
    spool: { batches: s.deferred.batches, rows: s.deferred.rows, oldestAgeMs: s.deferred.oldestAgeMs },
    writerBacklog: s.writer.backlog,
    alerts: s.alerts.map((a) => a.name),
    budget: input.budget ?? budgetOf(s),
  };
}

export function buildStatusReport(input: StatusInput): StatusReport {
  const byPool = new Map((input.snapshot?.collection?.pools ?? []).map((p) => [p.pool, p]));
  const stored = new Map(input.rows.map((r) => [r.poolId, r]));
  const rows = input.pools ? input.pools.map((id) => stored.get(id) ?? emptyRow(id)) : input.rows;
  return {
    at: new Date(input.nowMs).toISOString(),
    engine: input.engine,
    database: input.database,
    run: input.snapshot ? runStatus(input, input.snapshot) : null,
    pools: rows.map((r): PoolStatus => {
      const live = byPool.get(r.poolId);
      return {
        pool: r.poolId,
        name: r.name,
        lastTradeAt: iso(r.lastTradeMs),
        lastTradeAgeS: r.lastTradeMs === null ? null : Math.max(0, round((input.nowMs - r.lastTradeMs) / 1000, 1)),
        tradesPerMin: round(r.recentTrades / 10, 1),
        pollIntervalS: r.pollIntervalMs === null ? null : r.pollIntervalMs / 1000,
        tradeRatePerS: r.tradeRatePerS === null ? null : round(r.tradeRatePerS, 3),
        coverage: coverageOf(r),
        openGaps: r.openGaps,
        estimatedMissed: r.estimatedMissed === null ? null : Math.round(r.estimatedMissed),
        hourly: r.hourly,
        ...(live ? { polls: live.polls, errors: live.errors, lastPollAt: iso(live.lastSuccessAt) } : {}),
      };
    }),
  };
}
