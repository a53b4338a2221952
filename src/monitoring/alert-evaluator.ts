// Turns metrics snapshots into alerts (lock retry rate, breaker open too long, small
// batches, slow query), judging rates over a recent window and logging each alert once per transition.

import { ConfigError } from '../errors.ts';
import { componentLogger, type Logger } from '../logging/logger.ts';
import { BATCH_ORIGINS, FILL_NEUTRAL_ORIGINS } from '../protocol/flush-reason.ts';
import type {
  ActiveAlert,
  AlertName,
  AlertThresholds,
  BatchFigures,
  CollectorMetricsSnapshot,
} from './metrics-snapshot.ts';

export const DEFAULT_ALERT_THRESHOLDS: Readonly<AlertThresholds> = Object.freeze({
  lockRetryRate: 0.05,
  breakerOpenMs: 60_000,
  minBatchFill: 0.5,
  queryLatencyMs: 100,
  minBatchesForFill: 20,
});

// A Record keyed by the union makes the compiler flag this list when an AlertName is added or removed.
const ALERT_NAME_SET = {
  'lock-retry-rate': true,
  'breaker-open-too-long': true,
  'small-batches': true,
  'slow-query': true,
} as const satisfies Record<AlertName, true>;

/** Every alert name, in the order `evaluate()` reports them (the exporter emits one gauge per name). */
export const ALERT_NAMES: readonly AlertName[] = Object.freeze(Object.keys(ALERT_NAME_SET) as AlertName[]);

export type AlertInput = Omit<CollectorMetricsSnapshot, 'alerts'>;

export interface AlertEvaluatorOptions {
  /** Default: the `alerts` component logger. */
  logger?: Logger;
  /** Epoch ms; injectable so tests control `since` and the breaker's open duration. */
  now?: () => number;
  /** Rates are judged over roughly this much recent history (previous snapshots' counters). Default 60000 ms. */
  windowMs?: number;
  /**
   * Fewest write operations in the window for the windowed retry rate to count; below it the cumulative
   * rate is used, since a handful of operations says nothing. Default 20.
   */
  minWindowOperations?: number;
}

/** The cumulative counters kept from earlier snapshots to compute windowed rates. */
interface CounterSample {
  at: number;
  busyRetries: number;
  operations: number;
  /** Batches and rows that batch fill is judged on (see judgedBatches). */
  batches: number;
  rows: number;
}

/**
 * The batches whose size says something about batching efficiency: all but timer and close flushes. A
 * batch the timer cut is small because fewer than maxBatchSize trades came within maxWaitMs (low traffic),
 * and close cuts one tail per processor; counting them would raise the alert on every quiet run. Without
 * a split by reason every batch counts.
 */
export function judgedBatches(batch: BatchFigures): { batches: number; rows: number } {
  if (!batch.byReason) return { batches: batch.batches, rows: batch.rows };
  let batches = 0;
  let rows = 0;
  for (const origin of BATCH_ORIGINS) {
    if (FILL_NEUTRAL_ORIGINS.has(origin)) continue;
    batches += batch.byReason[origin].batches;
    rows += batch.byReason[origin].rows;
  }
  return { batches, rows };
}

const THRESHOLD_FIELDS = Object.keys(DEFAULT_ALERT_THRESHOLDS) as (keyof AlertThresholds)[];

function validateThresholds(input: Partial<AlertThresholds>): AlertThresholds {
  if (typeof input !== 'object' || input === null)
    throw new ConfigError('alertThresholds', input, 'expected an object');
  for (const key of Object.keys(input)) {
    if (!(THRESHOLD_FIELDS as string[]).includes(key)) {
      throw new ConfigError(key, (input as Record<string, unknown>)[key], 'unknown alert threshold');
    }
  }
  // Undefined entries (e.g. from an unset CLI flag) mean "use the default", like an absent key.
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const t: AlertThresholds = { ...DEFAULT_ALERT_THRESHOLDS, ...defined };
  const fraction = (field: 'lockRetryRate' | 'minBatchFill') => {
    const v = t[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
      throw new ConfigError(field, v, 'expected a fraction from 0 to 1');
    }
  };
  const nonNegative = (field: 'breakerOpenMs' | 'queryLatencyMs') => {
    const v = t[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new ConfigError(field, v, 'expected a number >= 0');
  };
  fraction('lockRetryRate');
  fraction('minBatchFill');
  nonNegative('breakerOpenMs');
  nonNegative('queryLatencyMs');
  if (!Number.isInteger(t.minBatchesForFill) || t.minBatchesForFill < 1) {
    throw new ConfigError('minBatchesForFill', t.minBatchesForFill, 'expected an integer >= 1');
  }
  return t;
}

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
const round = (x: number, digits = 1) => Number(x.toFixed(digits));

export class AlertEvaluator {
  readonly thresholds: Readonly<AlertThresholds>;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly windowMs: number;
  private readonly minWindowOperations: number;
  /** Oldest first; the first one is the window's baseline. */
  private samples: CounterSample[] = [];
  /** When each currently active alert became active. */
  private readonly activeSince = new Map<AlertName, number>();

  constructor(thresholds: Partial<AlertThresholds> = {}, options: AlertEvaluatorOptions = {}) {
    this.thresholds = Object.freeze(validateThresholds(thresholds));
    this.log = options.logger ?? componentLogger('alerts');
    this.now = options.now ?? Date.now;
    this.windowMs = options.windowMs ?? 60_000;
    if (!Number.isFinite(this.windowMs) || this.windowMs <= 0) {
      throw new ConfigError('windowMs', this.windowMs, 'expected a number > 0');
    }
    this.minWindowOperations = options.minWindowOperations ?? 20;
    if (!Number.isInteger(this.minWindowOperations) || this.minWindowOperations < 1) {
      throw new ConfigError('minWindowOperations', this.minWindowOperations, 'expected an integer >= 1');
    }
  }

  /** The alerts active for this snapshot, in `ALERT_NAMES` order. Call it on every snapshot (it keeps history). */
  evaluate(snapshot: AlertInput): ActiveAlert[] {
    const now = this.now();
    const baseline = this.advanceWindow(snapshot, now);
    const firing = new Map<AlertName, Omit<ActiveAlert, 'name' | 'since'>>();

    const retry = this.lockRetryRate(snapshot, baseline, now);
    if (retry.rate > this.thresholds.lockRetryRate) {
      firing.set('lock-retry-rate', {
        value: retry.rate,
        threshold: this.thresholds.lockRetryRate,
        message:
          `lock retry rate ${percent(retry.rate)} (${retry.retries} busy retries / ${retry.operations} operations, ` +
          `${retry.scope}) is above ${percent(this.thresholds.lockRetryRate)}`,
      });
    }

    // Measured from when the breaker left CLOSED: half-open probes that fail and re-open it do not reset it.
    const { state, unhealthySince } = snapshot.breaker;
    if (state !== 'CLOSED' && unhealthySince !== null) {
      const openFor = now - unhealthySince;
      if (openFor > this.thresholds.breakerOpenMs) {
        firing.set('breaker-open-too-long', {
          value: openFor,
          threshold: this.thresholds.breakerOpenMs,
          message:
            `circuit breaker ${snapshot.breaker.name} has been ${state} for ${Math.round(openFor / 1000)} s ` +
            `(limit ${round(this.thresholds.breakerOpenMs / 1000)} s)`,
        });
      }
    }

    const fill = this.batchFill(snapshot, baseline, now);
    if (fill !== null) {
      const minRows = this.thresholds.minBatchFill * snapshot.batch.maxBatchSize;
      if (fill.avg < minRows) {
        firing.set('small-batches', {
          value: fill.avg,
          threshold: minRows,
          message:
            `average batch size ${round(fill.avg)} rows (${fill.batches} batches not cut by the max-wait timer or close, ${fill.scope}) is below ` +
            `${percent(this.thresholds.minBatchFill)} of maxBatchSize ${snapshot.batch.maxBatchSize}`,
        });
      }
    }

    const latency = snapshot.lock.queryLatencyMs;
    if (Number.isFinite(latency) && latency > this.thresholds.queryLatencyMs) {
      firing.set('slow-query', {
        value: latency,
        threshold: this.thresholds.queryLatencyMs,
        message: `SELECT 1 took ${round(latency, 2)} ms, above ${this.thresholds.queryLatencyMs} ms`,
      });
    }

    return this.transition(firing, now);
  }

  /** Forgets history and active alerts (e.g. after the database was reopened); logs nothing. */
  reset(): void {
    this.samples = [];
    this.activeSince.clear();
  }

  /**
   * Records this snapshot's counters and returns the sample to compare against: the newest one at least
   * `windowMs` old, else the oldest kept (so the first windows are the time since the previous snapshot).
   */
  private advanceWindow(snapshot: AlertInput, now: number): CounterSample | null {
    const judged = judgedBatches(snapshot.batch);
    const current: CounterSample = {
      at: now,
      busyRetries: snapshot.lock.busyRetries,
      operations: snapshot.lock.operations,
      batches: judged.batches,
      rows: judged.rows,
    };
    // Counters going backwards means they were reset (writer restarted or a fresh manager): old deltas lie.
    const last = this.samples.at(-1);
    if (
      last &&
      (current.busyRetries < last.busyRetries ||
        current.operations < last.operations ||
        current.batches < last.batches ||
        current.rows < last.rows)
    ) {
      this.samples = [];
    }
    while (this.samples.length > 1 && this.samples[1]!.at <= now - this.windowMs) this.samples.shift();
    const baseline = this.samples[0] ?? null;
    this.samples.push(current);
    return baseline;
  }

  private lockRetryRate(snapshot: AlertInput, baseline: CounterSample | null, now: number) {
    const { busyRetries, operations } = snapshot.lock;
    if (baseline) {
      const dOps = operations - baseline.operations;
      if (dOps >= this.minWindowOperations) {
        const dRetries = busyRetries - baseline.busyRetries;
        const seconds = Math.max(1, Math.round((now - baseline.at) / 1000));
        return { rate: dRetries / dOps, retries: dRetries, operations: dOps, scope: `last ${seconds} s` };
      }
    }
    return { rate: busyRetries / Math.max(1, operations), retries: busyRetries, operations, scope: 'since start' };
  }

  private batchFill(snapshot: AlertInput, baseline: CounterSample | null, now: number) {
    const { maxBatchSize } = snapshot.batch;
    if (!(maxBatchSize > 0)) return null;
    const { batches, rows } = judgedBatches(snapshot.batch);
    if (baseline) {
      const dBatches = batches - baseline.batches;
      if (dBatches >= this.thresholds.minBatchesForFill) {
        const seconds = Math.max(1, Math.round((now - baseline.at) / 1000));
        return { avg: (rows - baseline.rows) / dBatches, batches: dBatches, scope: `last ${seconds} s` };
      }
    }
    if (batches >= this.thresholds.minBatchesForFill) {
      return { avg: rows / batches, batches, scope: 'since start' };
    }
    return null;
  }

  private transition(firing: Map<AlertName, Omit<ActiveAlert, 'name' | 'since'>>, now: number): ActiveAlert[] {
    for (const [name, since] of this.activeSince) {
      if (!firing.has(name)) {
        this.activeSince.delete(name);
        this.log.info({ alert: name, activeMs: now - since }, `alert cleared: ${name}`);
      }
    }
    const active: ActiveAlert[] = [];
    for (const name of ALERT_NAMES) {
      const f = firing.get(name);
      if (!f) continue;
      let since = this.activeSince.get(name);
      if (since === undefined) {
        since = now;
        this.activeSince.set(name, since);
        this.log.warn({ alert: name, value: f.value, threshold: f.threshold }, `alert: ${f.message}`);
      }
      active.push({ name, message: f.message, value: f.value, threshold: f.threshold, since });
    }
    return active;
  }
}
