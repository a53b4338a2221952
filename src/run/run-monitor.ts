// A running collection as operators watch it: its API figures (overall and per pool) for /metrics, its health
// for /healthz, and the watch for refused credentials, which a collector reports through the shared counters.

import type { Logger } from '../logging/logger.ts';
import { evaluateHealth, type HealthReport } from '../monitoring/health.ts';
import type { CollectionFigures, PoolFigures } from '../monitoring/metrics-snapshot.ts';
import type { CollectorCounters, PoolAssignment } from '../protocol/collector-task.ts';
import { PoolCounters } from '../protocol/pool-counters.ts';

const AUTH_WATCH_MS = 100;

export interface RunMonitorOptions {
  counters: CollectorCounters;
  /** The pools the run holds now (the set may change while it runs), each with its slot as `index`. */
  pools: () => readonly PoolAssignment[];
  /** Slots of the per-pool counters: at least every slot a pool may take. */
  poolSlots: number;
  pollIntervalMs: number;
  staleIntervals: number;
  /** The funnel's breaker state; undefined in direct mode. */
  breakerState: () => string | undefined;
  isStopping: () => boolean;
  /** Called once when a collector reports that the API refused the credentials. */
  onAuthRefused: (status: number) => void;
  log: Logger;
}

export class RunMonitor {
  readonly poolCounters: PoolCounters;
  /** Epoch ms; reset when every collector is polling. */
  startedAt = Date.now();
  private authStatus: number | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: RunMonitorOptions) {
    this.poolCounters = new PoolCounters(options.poolSlots);
    this.timer = setInterval(() => this.checkAuth(), AUTH_WATCH_MS);
    this.timer.unref();
  }

  /** The HTTP status with which the API refused the credentials, if it did. */
  get authRefused(): number | undefined {
    this.checkAuth();
    return this.authStatus;
  }

  private checkAuth(): void {
    if (this.authStatus !== undefined) return;
    const { counters } = this.options;
    for (let slot = 0; slot < counters.slots; slot++) {
      const status = counters.read(slot).authRefused;
      if (status > 0) {
        this.authStatus = status;
        clearInterval(this.timer);
        this.options.onAuthRefused(status);
        return;
      }
    }
  }

  pools(): PoolFigures[] {
    return this.options.pools().map((a, i) => {
      const p = this.poolCounters.read(a.index ?? i);
      return {
        pool: a.poolId,
        polls: p.polls,
        requests: p.requests,
        throttled: p.throttled,
        errors: p.errors,
        stored: p.stored,
        rejected: p.rejected,
        lastSuccessAt: p.lastSuccessAt > 0 ? p.lastSuccessAt : null,
      };
    });
  }

  figures(): CollectionFigures {
    const c = this.options.counters.total();
    return {
      startedAt: this.startedAt,
      pollIntervalMs: this.options.pollIntervalMs,
      collectorsRunning: c.running,
      polls: c.polls,
      requests: c.requests,
      throttled: c.throttled,
      succeeded: c.succeeded,
      pollErrors: c.errors,
      malformedResponses: c.badResponses,
      tradesFetched: c.fetched,
      tradesRejected: c.tradesRejected,
      repeats: c.repeats,
      gaps: c.gaps,
      pools: this.pools(),
    };
  }

  health(): HealthReport {
    let last: number | null = null;
    for (const p of this.pools())
      if (p.lastSuccessAt !== null && (last === null || p.lastSuccessAt > last)) last = p.lastSuccessAt;
    return evaluateHealth({
      now: Date.now(),
      startedAt: this.startedAt,
      lastSuccessAt: last,
      pollIntervalMs: this.options.pollIntervalMs,
      staleIntervals: this.options.staleIntervals,
      breakerState: this.options.breakerState(),
      stopping: this.options.isStopping(),
    });
  }

  dispose(): void {
    clearInterval(this.timer);
  }
}
