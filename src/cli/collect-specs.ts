// The settings of `collect` (and of the commands that talk to the API the same way), each with its flag,
// environment variable and config file keys (the Python collector's config.yaml names where they mean something
// here), its check and its default.

import { DEFAULT_COLLECTOR_NICE, MAX_NICE } from '../common/thread-priority.ts';
import { BATCH_PRESETS, type BatchPresetName } from '../config/batch-config.ts';
import { DEFAULT_DATABASE_CONFIG } from '../config/database-config.ts';
import { SettingError } from '../config/setting-error.ts';
import type { SettingSpec } from '../config/settings.ts';
import {
  booleanValue,
  choiceValue,
  httpUrlValue,
  intValue,
  listValue,
  secondsValue,
  textValue,
  type ValueParser,
} from '../config/value-parsers.ts';
import { GECKO_API_BASE_URL, GECKO_PRO_API_BASE_URL } from '../gecko/gecko-client.ts';
import { SCHEDULE_MODES, SCHEDULE_PRIORITIES } from '../protocol/pool-schedule.ts';
import { COLLECTION_DEFAULTS, defaultCollectors } from '../run/collection-options.ts';
import { SIM_MARKETS } from '../sim/sim-market.ts';
import { isDecimalString } from '../trades/decimal-string.ts';
import { commonSpecs, type SettingContext } from './common-specs.ts';
import { poolSetSpecs, retentionSpecs } from './long-run-settings.ts';

const D = COLLECTION_DEFAULTS;

const NETWORK = /^[a-z0-9_-]+$/i;
const networkValue = textValue('a network id like solana', (s) => NETWORK.test(s));
/** `collection.networks: [solana]`: the Python collector's list; this one collects one network per run. */
const networksValue: ValueParser<string> = (raw, where) => {
  if (!Array.isArray(raw)) return networkValue(raw, where);
  if (raw.length !== 1)
    throw new SettingError(
      `${where} must name one network: a run collects one network (run one collector per network, each with its own database), got ${JSON.stringify(raw)}`,
    );
  return networkValue(raw[0], where);
};

// Eight characters at least: every spelling of the key is masked in server text, and a short one would be found
// inside ordinary trades and pool names (real keys are `CG-` and about 24 more).
const API_KEY = /^[\x21-\x7e]{8,}$/;

const PRESETS = Object.keys(BATCH_PRESETS) as BatchPresetName[];

export function collectSpecs(ctx: SettingContext): SettingSpec[] {
  const [db, ...logging] = commonSpecs(ctx);
  return [
    {
      key: 'simulate',
      file: [],
      parse: booleanValue,
      fallback: () => ({ value: false }),
      describe: 'collect from an in-process simulator',
    },
    // The simulator's market (flags only, and only with --simulate: a service never runs one).
    {
      key: 'market',
      file: [],
      parse: choiceValue(SIM_MARKETS),
      describe: 'with --simulate: uniform or skewed trade rates',
    },
    {
      key: 'seed',
      file: [],
      parse: intValue(0, 2 ** 31 - 1),
      describe: "with --simulate: the simulator's seed",
    },
    {
      key: 'bursts',
      file: [],
      parse: booleanValue,
      describe: "with --simulate: some pools' rates jump x10 for a while",
    },
    {
      key: 'cache-seconds',
      env: 'GECKO_CACHE_SECONDS',
      file: ['api.cache_seconds'],
      parse: secondsValue(0, 86_400),
      describe: "the API's answer cache: no pool is polled sooner (with --simulate: the simulator's)",
    },
    {
      key: 'api-key',
      env: 'GECKO_API_KEY',
      file: ['api.api_key', 'api.key'],
      secret: true,
      parse: textValue('an API key (8 or more printable characters, no spaces)', (s) => API_KEY.test(s), true),
      describe: 'CoinGecko API key: the paid API (pro-api.coingecko.com)',
    },
    {
      key: 'no-fill-gaps',
      env: 'GECKO_NO_FILL_GAPS',
      file: ['api.fill_gaps'],
      parse: booleanValue,
      parseFile: (raw, where) => !booleanValue(raw, where),
      fallback: () => ({ value: false }),
      describe: "with an API key: don't fill the run's gaps from spare budget (backfill can, later)",
    },
    {
      key: 'base-url',
      env: 'GECKO_BASE_URL',
      file: ['api.base_url'],
      parse: httpUrlValue(),
      fallback: (get) =>
        get('simulate')
          ? undefined
          : get('api-key') !== undefined
            ? { value: GECKO_PRO_API_BASE_URL, note: 'with an API key' }
            : { value: GECKO_API_BASE_URL },
      describe: 'API base URL',
    },
    {
      key: 'network',
      env: 'GECKO_NETWORK',
      file: ['collection.network', 'collection.networks'],
      parse: networkValue,
      parseFile: networksValue,
      fallback: () => ({ value: D.network }),
      describe: 'network id',
    },
    {
      key: 'pools',
      file: ['collection.pools'],
      parse: listValue('a list of pool addresses'),
      describe: 'pool addresses',
    },
    {
      key: 'pools-file',
      env: 'GECKO_POOLS_FILE',
      file: ['watchlist.file'],
      parse: textValue('a file name', (s) => s !== ''),
      describe: 'pools file: one address a line, or the Python collector watchlist.csv',
    },
    {
      key: 'watchlist',
      file: ['watchlist.from_database'],
      parse: booleanValue,
      describe: "pools from the database's watchlist table",
    },
    {
      key: 'top',
      file: ['collection.top_pools'],
      parse: intValue(1, 200),
      describe: "the network's top N pools",
    },
    ...poolSetSpecs(),
    db!,
    {
      key: 'spool',
      env: 'GECKO_SPOOL',
      file: ['database.spool'],
      parse: textValue('a file name', (v) => v !== ''),
      describe: 'spool file (default: <db>.spool; on PostgreSQL pg-<host>-<port>-<db>.spool in the state directory)',
    },
    {
      key: 'lease-ttl',
      env: 'GECKO_LEASE_TTL',
      file: ['collection.lease_ttl'],
      parse: secondsValue(0.2, 86_400),
      fallback: () => ({ value: D.leaseTtlMs / 1000 }),
      describe: 'PostgreSQL: pool lease length in seconds (a dead process’s pools are taken over within it)',
    },
    {
      key: 'max-clock-skew',
      env: 'GECKO_MAX_CLOCK_SKEW',
      file: ['database.max_clock_skew'],
      parse: secondsValue(0, 7 * 86_400),
      fallback: () => ({ value: DEFAULT_DATABASE_CONFIG.maxClockSkewMs / 1000 }),
      describe: 'seconds a trade’s block time may be ahead of this clock; later trades are rejected',
    },
    {
      key: 'duration',
      env: 'GECKO_DURATION',
      file: ['collection.duration'],
      parse: secondsValue(0.1, 365 * 86_400),
      describe: 'stop after this many seconds (unset: until stopped)',
    },
    {
      key: 'poll-interval',
      env: 'GECKO_POLL_INTERVAL',
      file: ['collection.interval', 'collection.poll_interval'],
      parse: secondsValue(0, 86_400),
      fallback: (get) =>
        get('simulate')
          ? { value: D.simulate.pollIntervalMs / 1000, note: 'with --simulate' }
          : { value: D.pollIntervalMs / 1000 },
      describe: 'seconds between two polls of one pool',
    },
    {
      key: 'schedule',
      env: 'GECKO_SCHEDULE',
      file: ['collection.schedule'],
      parse: choiceValue(SCHEDULE_MODES),
      describe:
        'adaptive (each pool by its trade rate, within the budget) or fixed (--poll-interval; the default when that is given)',
    },
    {
      key: 'max-poll-interval',
      env: 'GECKO_MAX_POLL_INTERVAL',
      file: ['collection.max_poll_interval'],
      parse: secondsValue(0.01, 86_400),
      fallback: (get) =>
        get('simulate')
          ? { value: D.simulate.maxPollIntervalMs / 1000, note: 'with --simulate' }
          : { value: D.maxPollIntervalMs / 1000 },
      describe: 'adaptive: seconds a quiet pool waits at most between two polls',
    },
    {
      key: 'counter-samples',
      env: 'GECKO_COUNTER_SAMPLES',
      file: ['collection.counter_samples'],
      parse: secondsValue(0, 86_400),
      fallback: () => ({ value: D.counterSampleMs / 1000 }),
      describe: "seconds between two reads of the pools' trade counters (pools/multi), for the coverage; 0: none",
    },
    {
      key: 'priority',
      env: 'GECKO_PRIORITY',
      file: ['collection.priority'],
      parse: choiceValue(SCHEDULE_PRIORITIES),
      fallback: () => ({ value: D.priority }),
      describe: 'adaptive, budget short: trades (calls where they save most) or pools (every pool alike)',
    },
    {
      key: 'calls-per-minute',
      env: 'GECKO_CALLS_PER_MINUTE',
      file: ['api.calls_per_minute', 'api.rate_limit', 'api.rate_limit.calls_per_minute'],
      parse: intValue(1, 60_000),
      fallback: (get) =>
        get('simulate')
          ? { value: D.simulate.callsPerMinute, note: 'with --simulate' }
          : get('api-key') !== undefined
            ? { value: D.callsPerMinuteWithKey, note: 'with an API key' }
            : { value: D.callsPerMinute, note: 'the public API limit' },
      describe: 'API calls per minute, all collectors together',
    },
    {
      key: 'collectors',
      env: 'GECKO_COLLECTORS',
      file: ['collection.collectors', 'collection.workers'],
      parse: intValue(1, 256),
      // After calls-per-minute, which it follows.
      fallback: (get) => ({
        value: defaultCollectors((get('calls-per-minute') as number | undefined) ?? D.callsPerMinute),
        note: `one per ${D.callsPerMinutePerCollector} calls/min`,
      }),
      describe: 'collector threads',
    },
    {
      key: 'max-response-bytes',
      env: 'GECKO_MAX_RESPONSE_BYTES',
      file: ['api.max_response_bytes'],
      parse: intValue(1024, 1024 * 1024 * 1024),
      fallback: () => ({ value: D.maxResponseBytes }),
      describe: 'largest API response body accepted, in bytes (cut off while streaming; real ones are ~150 KB)',
    },
    {
      key: 'request-timeout',
      env: 'GECKO_REQUEST_TIMEOUT',
      file: ['api.timeout', 'api.request_timeout'],
      parse: secondsValue(0.1, 3600),
      fallback: () => ({ value: D.requestTimeoutMs / 1000 }),
      describe: 'seconds one API request may take, headers and whole body',
    },
    {
      key: 'max-retry-after',
      env: 'GECKO_MAX_RETRY_AFTER',
      file: ['api.max_retry_after'],
      parse: secondsValue(0, 86_400),
      fallback: () => ({ value: D.maxRetryAfterMs / 1000 }),
      describe: 'longest Retry-After honoured, in seconds (a longer one is cut to it, for the throttled pool only)',
    },
    {
      key: 'min-volume-usd',
      env: 'GECKO_MIN_VOLUME_USD',
      file: ['collection.min_trade_volume_usd', 'collection.min_volume_usd'],
      parse: textValue('a non-negative decimal', (s) => isDecimalString(s)),
      describe: 'only trades above this USD volume',
    },
    {
      key: 'manager',
      file: ['database.manager'],
      parse: choiceValue(['funnel', 'direct'] as const),
      fallback: () => ({ value: D.manager }),
      describe: 'funnel (one writer thread) or direct (the old way)',
    },
    {
      key: 'preset',
      file: ['batch.preset'],
      parse: choiceValue(PRESETS),
      fallback: (get) => (get('simulate') ? { value: 'development', note: 'with --simulate' } : { value: D.preset }),
      describe: 'batch preset',
    },
    {
      key: 'no-batching',
      file: ['batch.enabled'],
      parse: booleanValue,
      parseFile: (raw, where) => !booleanValue(raw, where),
      fallback: () => ({ value: false }),
      describe: 'rollback switch: no batch processor',
    },
    {
      key: 'pragmas',
      file: ['database.pragmas'],
      parse: choiceValue(['optimized', 'default'] as const),
      fallback: () => ({ value: 'optimized' }),
      describe: "SQLite settings: optimized, or default (SQLite's stock ones)",
    },
    {
      key: 'echo',
      flag: false,
      file: ['database.echo'],
      parse: booleanValue,
      fallback: () => ({ value: DEFAULT_DATABASE_CONFIG.echo }),
      describe: 'log every SQL statement at debug level',
    },
    {
      key: 'pool-size',
      flag: false,
      file: ['database.pool_size'],
      parse: intValue(0, 64),
      fallback: () => ({ value: DEFAULT_DATABASE_CONFIG.poolSize }),
      describe: 'read-only connections kept open',
    },
    {
      key: 'max-overflow',
      flag: false,
      file: ['database.max_overflow'],
      parse: intValue(0, 64),
      fallback: () => ({ value: DEFAULT_DATABASE_CONFIG.maxOverflow }),
      describe: 'extra read-only connections opened when busy',
    },
    {
      key: 'metrics-port',
      env: 'GECKO_METRICS_PORT',
      file: ['monitoring.metrics_port'],
      parse: intValue(0, 65_535),
      describe: 'serve /metrics and /healthz on this port',
    },
    {
      key: 'metrics-host',
      env: 'GECKO_METRICS_HOST',
      file: ['monitoring.metrics_host'],
      parse: textValue('a host name or address', (s) => /^[A-Za-z0-9.:_-]+$/.test(s)),
      fallback: () => ({ value: D.metricsHost }),
      describe: 'address the metrics and health servers listen on',
    },
    {
      key: 'health-port',
      env: 'GECKO_HEALTH_PORT',
      file: ['monitoring.health_port'],
      parse: intValue(0, 65_535),
      describe: 'serve /healthz on this port (also on the metrics port)',
    },
    {
      key: 'collector-nice',
      file: ['collection.collector_nice'],
      parse: intValue(0, MAX_NICE),
      fallback: () => ({ value: DEFAULT_COLLECTOR_NICE }),
      describe: 'nice value of the collector threads (Linux)',
    },
    ...retentionSpecs(),
    ...logging,
  ];
}
