// The task each collector thread is started with: everything it needs from the run's settings, so what the
// user configured (batching, in-flight bound, nice, grace) reaches the thread through one place.

import type { CollectorTask, PoolAssignment } from '../protocol/collector-task.ts';
import { COLLECTION_DEFAULTS, type CollectionOptions, type RunSettings } from './collection-options.ts';

/** What every collector of one run shares. */
export interface SharedTaskParts {
  network: string;
  baseUrl: string;
  rateLimiterBuffer: SharedArrayBuffer;
  stopBuffer: SharedArrayBuffer;
  countersBuffer: SharedArrayBuffer;
  poolCountersBuffer?: SharedArrayBuffer;
  /** PoolScheduleCells: every pool's rate and interval, for one plan over the one budget. */
  scheduleBuffer?: SharedArrayBuffer;
  /** The paid API's key (sent in a header, never logged). */
  apiKey?: string;
  /** User-Agent of the collectors' requests (names this process). */
  userAgent?: string;
}

export function collectorTask(
  collectorId: number,
  pools: PoolAssignment[],
  settings: RunSettings,
  options: Pick<CollectionOptions, 'batch' | 'stopGraceMs' | 'minVolumeUsd'>,
  shared: SharedTaskParts,
): CollectorTask {
  return {
    collectorId,
    pools,
    ...shared,
    pollIntervalMs: settings.pollIntervalMs,
    schedule: settings.schedule,
    batch: options.batch ?? COLLECTION_DEFAULTS.preset,
    batching: settings.batching,
    manager: settings.manager,
    maxInFlight: settings.maxInFlight,
    maxClockSkewMs: settings.writer.maxClockSkewMs,
    stopGraceMs: options.stopGraceMs ?? COLLECTION_DEFAULTS.stopGraceMs,
    nice: settings.collectorNice,
    responseLimits: settings.responseLimits,
    ...(options.minVolumeUsd !== undefined ? { minVolumeUsd: options.minVolumeUsd } : {}),
  };
}
