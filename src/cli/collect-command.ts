// `gecko-collector collect`: settings (flags, environment, config file) → startCollection; a live progress
// line on stderr when it is a terminal, logs above it; SIGINT/SIGTERM stop cleanly (flush, drain the writer,
// summary), a second one exits at once. The exit code says how the run ended (see exit-codes.ts).

import { DEFAULT_COLLECTOR_NICE } from '../common/thread-priority.ts';
import { BATCH_PRESETS, type BatchPresetName } from '../config/batch-config.ts';
import { DEFAULT_DATABASE_CONFIG } from '../config/database-config.ts';
import { GECKO_API_BASE_URL, GECKO_PRO_API_BASE_URL } from '../gecko/gecko-client.ts';
import { logger } from '../logging/logger.ts';
import {
  COLLECTION_DEFAULTS,
  type CollectionOptions,
  type CollectionProgress,
  type CollectionSummary,
  startCollection,
} from '../run/collection-run.ts';
import { POOL_SET_DEFAULTS } from '../run/pool-set-options.ts';
import { SKEWED_MARKET_DEFAULTS } from '../sim/sim-market.ts';
import { flagOptions, loadSettings } from './cli-settings.ts';
import { choosePools, collectionOptions } from './collect-options.ts';
import { collectSpecs } from './collect-specs.ts';
import { formatSummary, progressLine, verdictLine } from './collect-summary.ts';
import { type CliIo, type Command, parseFlags } from './command.ts';
import { EXIT_AUTH, EXIT_NO_API, exitCodeForOutcome, exitCodeHelp } from './exit-codes.ts';
import { exitOnSignalNow } from './exit-now.ts';
import { routeCliLogs } from './log-output.ts';
import { StatusLine } from './terminal-status.ts';

const D = COLLECTION_DEFAULTS;
const PRESETS = Object.keys(BATCH_PRESETS) as BatchPresetName[];
const NON_TTY_PROGRESS_EVERY_MS = 10_000;
export const COLLECT_BOOLEANS = ['simulate', 'no-batching', 'watchlist', 'bursts', 'no-fill-gaps'] as const;

const HELP = `usage: gecko-collector collect [flags]

Collects DEX trades from GeckoTerminal with several collector threads and stores them in SQLite through one
writer thread. Stops after --duration, or on Ctrl-C / SIGTERM: polling stops, everything fetched is flushed
and committed, a summary is printed. A second Ctrl-C exits at once (code 130).

pools (one of; with --simulate the default is the simulator's pools):
  --pools A,B,...          pool addresses, comma separated
  --pools-file FILE        one pool address per line (# starts a comment), or the Python collector's
                           watchlist.csv (header with pool_id; inactive rows are skipped)
  --watchlist              the active pools of the database's watchlist table (the Python collector's)
  --top N                  the network's top N pools (fetched first; N from 1 to 200)
  --new-pools N            also (or only) the N newest pools (1 to 200)

pool set and retention (for runs of months):
  --refresh-pools S        fetch the --top/--new-pools lists (and
                           --watchlist) again every S seconds (also 15m,
                           1h; 0: never) (default: ${POOL_SET_DEFAULTS.refreshPoolsMs / 1000})
  --pool-grace S           a pool that left the list is dropped after S
                           seconds; its cursor is kept (default: ${POOL_SET_DEFAULTS.poolGraceMs / 1000})
  --older-than AGE         prune days older than AGE (30d) every 6 h while
                           collecting, as 'prune' does (retention.older_than;
                           retention.every: how often) (default: never)
  --archive DIR            with --older-than: archive each day to DIR first
                           (retention.archive_dir)
  A --pools-file is read again when it changes and on SIGHUP (a file that
  does not parse is refused in one log line, the set kept). A log line for
  each pool that joins or leaves.

flags:
  --config FILE            YAML settings (also GECKO_CONFIG); flags win over environment variables, which
                           win over the file; 'gecko-collector config --print' shows the result
  --network NAME           network id (default: ${D.network})
  --db PATH|URL            database file: a path or sqlite:///gecko_data.db (default: sqlite:///gecko_data.db);
                           or a PostgreSQL server: postgresql://user@host:port/database[?schema=name]
  --spool PATH             where batches the database cannot take now wait to be replayed (default: beside an
                           SQLite file, <db>.spool; for PostgreSQL the first free of pg-<host>-<port>-<db>.spool,
                           pg-…-<db>.2.spool, … in the state directory: $STATE_DIRECTORY (systemd), else
                           $XDG_STATE_HOME/gecko-collector, else ~/.local/state/gecko-collector)
  --lease-ttl S            PostgreSQL: collect processes given the same pools and database share the pools
                           through leases of S seconds; a process that dies has its pools taken over within
                           about S seconds (default: ${D.leaseTtlMs / 1000})
  --max-clock-skew S       a trade whose block time is more than S seconds ahead of this machine's clock is
                           rejected with its reason and never moves its pool's cursor (default: ${DEFAULT_DATABASE_CONFIG.maxClockSkewMs / 1000})
  --collectors N           collector threads (default: one per ${D.callsPerMinutePerCollector} calls/min,
                           at least 1, at most ${D.maxDefaultCollectors}: 1 at the public rate)
  --duration S             stop after S seconds (default: run until stopped)
  --api-key KEY            CoinGecko API key (better: GECKO_API_KEY or the config file; a flag shows in ps):
                           the paid API at ${GECKO_PRO_API_BASE_URL}
  --no-fill-gaps           with an API key, the gaps a run records are filled from the time-range endpoint
                           with spare budget (live polls first); this turns that off (api.fill_gaps: false)
  --base-url URL           API base URL (default: ${GECKO_API_BASE_URL}; with an API key the paid API's)
  --calls-per-minute N     API calls per minute, all collectors together (default: ${D.callsPerMinute}, the public
                           limit; ${D.callsPerMinuteWithKey} with an API key: set your plan's; ${D.simulate.callsPerMinute} with --simulate)
  --schedule M             adaptive: each pool by its own trade rate, polled
                           before its newest-300 window can overflow, within
                           --calls-per-minute; fixed: every pool every
                           --poll-interval (default: adaptive; fixed when only
                           --poll-interval is given)
  --poll-interval S        fixed: seconds between two polls of one pool
                           (default: ${D.pollIntervalMs / 1000}; ${D.simulate.pollIntervalMs / 1000} with --simulate)
  --max-poll-interval S    adaptive: a quiet pool is polled at least every S
                           seconds (default: ${D.maxPollIntervalMs / 1000}; ${D.simulate.maxPollIntervalMs / 1000} with --simulate)
  --counter-samples S      read the pools' own trade counters (one pools/multi call per 30 pools) every S
                           seconds: the coverage's missed trades come from them where they reach
                           (default: ${D.counterSampleMs / 1000}; 0: rate x span only; not with --min-volume-usd)
  --priority P             adaptive, budget too small for every pool: trades
                           (calls go where they save the most trades) or pools
                           (each keeps --max-poll-interval first)
                           (default: ${D.priority})
  --cache-seconds S        the API's answer cache: no pool is polled sooner
                           than S seconds after its last answer (default: ${D.keylessCacheMs / 1000}
                           keyless, 0 with an API key); with --simulate the
                           simulator caches its answers so (default there: 0)
  --min-volume-usd X       only trades above this USD volume (default: all)
  --max-response-bytes N   largest API response body accepted; a longer one is cut off while it streams and
                           counts as an error of that pool's poll (default: ${D.maxResponseBytes}, 4 MiB)
  --request-timeout S      seconds one API request may take, headers and whole body (default: ${D.requestTimeoutMs / 1000})
  --max-retry-after S      longest Retry-After waited for; a longer one is cut to it, for the throttled pool only
                           (default: ${D.maxRetryAfterMs / 1000})
  --simulate               run an in-process GeckoTerminal simulator on 127.0.0.1 and collect from it
  --market M               with --simulate: uniform (every pool at ${D.simulate.tradesPerSecond} trades/s)
                           or skewed (heavy-tailed: ${SKEWED_MARKET_DEFAULTS.busiestTradesPerSecond} trades/s for the
                           busiest pool down to ${SKEWED_MARKET_DEFAULTS.quietestTradesPerSecond}) (default: uniform)
  --seed S                 with --simulate: the pools, rates and trades
                           (default: ${D.simulate.seed})
  --bursts                 with --simulate: some pools' rates jump x10 for a
                           while, as after a launch (see simulate --help)
  --manager M              funnel (one writer thread) or direct (the old way: a connection per collector)
                           (default: ${D.manager})
  --preset P               batch preset: ${PRESETS.map((p) => `${p} {${BATCH_PRESETS[p].maxBatchSize} rows, ${BATCH_PRESETS[p].maxWaitMs} ms}`).join(', ')}
                           (default: ${D.preset}; development with --simulate, whose trade rate is low)
  --no-batching            rollback switch: no batch processor; each poll's new trades are stored in one write
  --pragmas P              optimized (WAL, tuned cache/mmap/checkpoints) or default (rollback switch: SQLite's
                           stock settings, rollback journal) (default: optimized)
  --metrics-port P         serve Prometheus metrics at http://HOST:P/metrics, health at /healthz and the live
                           status page at / (its figures at /status.json) (0: a free port, printed on stderr;
                           funnel only) (default: off)
  --health-port P          serve only /healthz on this port: 200 while polling and writing, 503 when the breaker
                           is open or no poll succeeded for 3 poll intervals (default: off)
  --metrics-host H         address those servers listen on (default: ${D.metricsHost})
  --collector-nice N       CPU priority of the collector threads as a nice value, 0 to 19 (Linux; 0 = the
                           process's own) (default: ${DEFAULT_COLLECTOR_NICE})
  --log-level L            fatal, error, warn, info, debug, trace, silent (default: warn on a terminal, else info)
  --log-format F           pretty or json (default: pretty on a terminal, else json lines)
  --json                   print the summary as one JSON object on stdout
  -h, --help               this text

environment: GECKO_CONFIG, GECKO_DB_URL, GECKO_API_KEY, GECKO_BASE_URL, GECKO_CALLS_PER_MINUTE, GECKO_NETWORK,
GECKO_POOLS_FILE, GECKO_COLLECTORS, GECKO_MAX_RESPONSE_BYTES, GECKO_REQUEST_TIMEOUT, GECKO_MAX_RETRY_AFTER, GECKO_POLL_INTERVAL, GECKO_DURATION, GECKO_MIN_VOLUME_USD,
GECKO_METRICS_PORT, GECKO_METRICS_HOST, GECKO_HEALTH_PORT, GECKO_LOG_LEVEL, GECKO_LOG_FORMAT,
GECKO_MAX_CLOCK_SKEW.

Logs and the progress line go to stderr (the progress line only on a terminal); the summary to stdout. The
latest metrics snapshot is kept in <db>.metrics.json for \`gecko-collector doctor\`.

${exitCodeHelp()}`;

const FLAGS = { ...flagOptions(collectSpecs({ tty: false }), COLLECT_BOOLEANS), json: { type: 'boolean' } } as const;

/** A failure before the run started that has an exit code of its own; undefined for the rest. */
function startFailureCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  if (code === 'GECKO_AUTH_REFUSED') return EXIT_AUTH;
  // Fetching the top pools is the run's first request: when it fails, no request succeeded.
  if (
    code === 'GECKO_NETWORK_ERROR' ||
    code === 'GECKO_TIMEOUT' ||
    code === 'GECKO_THROTTLED' ||
    code === 'GECKO_HTTP_ERROR' ||
    code === 'GECKO_REDIRECT_REFUSED'
  )
    return EXIT_NO_API;
  return undefined;
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(argv, FLAGS);
  const tty = io.stderr.isTTY === true;
  const { settings } = loadSettings(collectSpecs({ tty }), values);
  const pools = choosePools(settings);
  const options = collectionOptions(settings, pools);

  const status = new StatusLine(io.stderr);
  const restoreLogs = routeCliLogs(status, {
    level: settings.get<string>('log-level')!,
    format: settings.get<'json' | 'pretty'>('log-format')!,
    colors: status.live && !process.env.NO_COLOR,
  });
  try {
    if (pools.notice) status.print(pools.notice);
    return await collect(options, io, status, values.json === true);
  } finally {
    restoreLogs();
  }
}

async function collect(options: CollectionOptions, io: CliIo, status: StatusLine, json: boolean): Promise<number> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      status.print(`${signal}: stopping (finishing requests, flushing, draining the writer); again to exit at once`);
      controller.abort();
      return;
    }
    status.print(`${signal} again: exiting now (batches not yet committed are fetched again by the next run)`);
    exitOnSignalNow(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let reload: (() => Promise<void>) | undefined;
  // SIGHUP reads the pool set's sources again (a pools file, the lists); the pool-set log lines say what changed.
  const onHangup = () => void reload?.();
  process.on('SIGHUP', onHangup);

  const onProgress = (p: CollectionProgress) => {
    if (status.live) status.show(progressLine(p));
    else if (!p.starting) {
      logger.info(
        {
          component: 'collect-command',
          ...p.counters,
          duplicates: p.duplicates,
          writerBacklog: p.writerBacklog,
          rowsPerSec: Math.round(p.rowsPerSec),
        },
        'progress',
      );
    }
  };

  let summary: CollectionSummary;
  try {
    // A service's log gets a progress record every NON_TTY_PROGRESS_EVERY_MS: nothing to work out in between.
    const progressIntervalMs = status.live ? undefined : NON_TTY_PROGRESS_EVERY_MS;
    const handle = await startCollection({
      ...options,
      signal: controller.signal,
      onProgress,
      ...(progressIntervalMs ? { progressIntervalMs } : {}),
    });
    reload = () => handle.reloadPools();
    if (handle.metricsUrl) status.print(`metrics: ${handle.metricsUrl}`);
    if (handle.healthUrl) status.print(`health: ${handle.healthUrl}`);
    if (handle.statusUrl) status.print(`status page: ${handle.statusUrl}`);
    if (options.watchlist) status.print(`pools from the ${handle.poolSource}`);
    summary = await handle.done;
  } catch (err) {
    const code = startFailureCode(err);
    if (code === undefined) throw err;
    status.clear();
    io.stderr.write(`gecko-collector collect: ${(err as Error).message}\n`);
    return code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onHangup);
    status.clear();
  }
  io.stdout.write(`${json ? JSON.stringify(summary) : formatSummary(summary)}\n`);
  const verdict = verdictLine(summary);
  if (verdict) io.stderr.write(`gecko-collector collect: ${verdict}\n`);
  return exitCodeForOutcome(summary.outcome);
}

export const collectCommand: Command = {
  name: 'collect',
  summary: 'collect trades from GeckoTerminal (or --simulate) into SQLite or PostgreSQL',
  help: HELP,
  run,
};
