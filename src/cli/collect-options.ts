// collect's settings turned into the run's CollectionOptions: which pools, the schedule, the simulator's
// market, and the checks that span several settings.

import type { BatchPresetName } from '../config/batch-config.ts';
import { isPostgresUrl } from '../config/postgres-url.ts';
import { type ResolvedSettings, settingName } from '../config/settings.ts';
import type { ScheduleMode, SchedulePriority } from '../protocol/pool-schedule.ts';
import type { CollectionOptions } from '../run/collection-run.ts';
import type { GeckoSimulatorOptions } from '../sim/gecko-simulator.ts';
import type { SimMarketKind } from '../sim/sim-market.ts';
import { UsageError } from './cli-error.ts';
import { poolsFromFile, retentionOf } from './long-run-settings.ts';

export interface PoolInput {
  pools?: string[];
  /** The file `pools` was read from (reloaded when it changes). */
  poolsFile?: string;
  top?: number;
  watchlist?: boolean;
  /** Said on stderr before the run (skipped watchlist rows...). */
  notice?: string;
}

export function choosePools(s: ResolvedSettings): PoolInput {
  const given = (['pools', 'pools-file', 'watchlist', 'top'] as const).filter((k) =>
    k === 'watchlist' ? s.get('watchlist') === true : s.get(k) !== undefined,
  );
  if (given.length > 1)
    throw new UsageError(
      `give only one of --pools, --pools-file, --watchlist, --top (got ${given.map((g) => s.entry(g)!.from).join(' and ')})`,
    );
  const pools = s.get<string[]>('pools');
  if (pools) return { pools };
  const file = s.get<string>('pools-file');
  if (file !== undefined) return poolsFromFile(file, s.get<string>('network')!, settingName(s.entry('pools-file')!));
  if (s.get('watchlist') === true) return { watchlist: true };
  const top = s.get<number>('top');
  if (top !== undefined) return { top };
  if (s.get('new-pools') !== undefined) return {};
  if (!s.get('simulate'))
    throw new UsageError('say which pools: --pools, --pools-file, --watchlist or --top (or --simulate)');
  return {};
}

/** The simulator's market flags as its options (undefined when none is given); they need --simulate. */
function simulatorMarket(s: ResolvedSettings, simulate: boolean): GeckoSimulatorOptions | undefined {
  const given = (['market', 'seed', 'bursts'] as const).filter((k) => s.given(k));
  const cacheSeconds = s.get<number>('cache-seconds');
  if (given.length === 0 && !(simulate && cacheSeconds !== undefined)) return undefined;
  if (!simulate) throw new UsageError(`${s.entry(given[0]!)!.from} needs --simulate`);
  const market = s.get<SimMarketKind>('market');
  const seed = s.get<number>('seed');
  return {
    ...(market !== undefined ? { market } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(s.get<boolean>('bursts') === true ? { bursts: true } : {}),
    ...(cacheSeconds !== undefined ? { cacheSeconds } : {}),
  };
}

/** The schedule's settings: fixed when asked, or when only --poll-interval is given. */
function scheduleOptions(s: ResolvedSettings, simulate: boolean): Partial<CollectionOptions> {
  const mode = s.given('schedule') ? s.get<ScheduleMode>('schedule')! : s.given('poll-interval') ? 'fixed' : 'adaptive';
  const cacheSeconds = s.get<number>('cache-seconds');
  const ms = (key: string) => Math.round(s.get<number>(key)! * 1000);
  if (mode === 'fixed' && (s.given('max-poll-interval') || s.given('priority')))
    throw new UsageError(
      `${s.entry(s.given('priority') ? 'priority' : 'max-poll-interval')!.from} is for --schedule adaptive`,
    );
  return {
    schedule: mode,
    pollIntervalMs: ms('poll-interval'),
    maxPollIntervalMs: ms('max-poll-interval'),
    priority: s.get<SchedulePriority>('priority')!,
    // With --simulate the simulator's cache (and so the schedule's floor) comes with its options.
    ...(cacheSeconds !== undefined && !simulate ? { minPollIntervalMs: Math.round(cacheSeconds * 1000) } : {}),
  };
}

/** The run's options from the settings; UsageError for combinations that make no sense. */
export function collectionOptions(s: ResolvedSettings, pools: PoolInput): CollectionOptions {
  const simulate = s.get<boolean>('simulate') === true;
  const market = simulatorMarket(s, simulate);
  // A URL or key from the environment or the config file (a service's) is left aside by a --simulate demo.
  if (simulate && s.entry('base-url')?.source === 'flag')
    throw new UsageError('--base-url and --simulate exclude each other (the simulator has its own URL)');
  if (simulate && s.entry('api-key')?.source === 'flag')
    throw new UsageError('--api-key and --simulate exclude each other (the simulator needs no key)');
  const manager = s.get<'funnel' | 'direct'>('manager')!;
  const metricsPort = s.get<number>('metrics-port');
  const healthPort = s.get<number>('health-port');
  if (s.given('metrics-host') && metricsPort === undefined && healthPort === undefined)
    throw new UsageError(`${s.entry('metrics-host')!.from} needs --metrics-port or --health-port`);
  if (metricsPort !== undefined && manager === 'direct')
    throw new UsageError(
      `${s.entry('metrics-port')!.from} needs --manager funnel (direct mode has no breaker, deferred queue or writer to report)`,
    );
  const duration = s.get<number>('duration');
  const minVolumeUsd = s.get<string>('min-volume-usd');
  const apiKey = simulate ? undefined : s.get<string>('api-key');
  const pragmas = s.get<'optimized' | 'default'>('pragmas')!;
  const dbUrl = s.get<string>('db')!;
  if (isPostgresUrl(dbUrl) && manager === 'direct')
    throw new UsageError('--manager direct is the SQLite rollback path; PostgreSQL always goes through the funnel');
  const spoolPath = s.get<string>('spool');
  if (spoolPath !== undefined && manager === 'direct')
    throw new UsageError(`${s.entry('spool')!.from} needs --manager funnel (the direct manager has no spool)`);
  return {
    network: s.get<string>('network')!,
    ...(pools.pools ? { pools: pools.pools } : {}),
    ...(pools.poolsFile !== undefined ? { poolsFile: pools.poolsFile } : {}),
    ...(pools.top !== undefined ? { top: pools.top } : {}),
    ...(pools.watchlist ? { watchlist: true } : {}),
    ...(s.get<number>('new-pools') !== undefined ? { newPools: s.get<number>('new-pools')! } : {}),
    refreshPoolsMs: Math.round(s.get<number>('refresh-pools')! * 1000),
    ...retentionOf(s),
    poolGraceMs: Math.round(s.get<number>('pool-grace')! * 1000),
    dbUrl,
    ...(spoolPath !== undefined ? { spoolPath } : {}),
    leaseTtlMs: Math.round(s.get<number>('lease-ttl')! * 1000),
    database: {
      ...(pragmas !== 'optimized' ? { pragmas } : {}),
      echo: s.get<boolean>('echo')!,
      poolSize: s.get<number>('pool-size')!,
      maxOverflow: s.get<number>('max-overflow')!,
      maxClockSkewMs: Math.round(s.get<number>('max-clock-skew')! * 1000),
    },
    collectors: s.get<number>('collectors')!,
    manager,
    batch: s.get<BatchPresetName>('preset')!,
    batching: s.get<boolean>('no-batching') !== true,
    ...(metricsPort !== undefined ? { metricsPort } : {}),
    ...(healthPort !== undefined ? { healthPort } : {}),
    metricsHost: s.get<string>('metrics-host')!,
    collectorNice: s.get<number>('collector-nice')!,
    ...scheduleOptions(s, simulate),
    callsPerMinute: s.get<number>('calls-per-minute')!,
    maxResponseBytes: s.get<number>('max-response-bytes')!,
    requestTimeoutMs: Math.round(s.get<number>('request-timeout')! * 1000),
    maxRetryAfterMs: Math.round(s.get<number>('max-retry-after')! * 1000),
    ...(simulate ? {} : { baseUrl: s.get<string>('base-url')! }),
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(s.get<boolean>('no-fill-gaps') === true ? { fillGaps: false } : {}),
    counterSampleMs: Math.round(s.get<number>('counter-samples')! * 1000),
    ...(minVolumeUsd !== undefined ? { minVolumeUsd } : {}),
    simulate: market ?? simulate,
    ...(duration !== undefined ? { durationMs: Math.round(duration * 1000) } : {}),
  };
}
