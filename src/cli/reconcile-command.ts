// `gecko-collector reconcile`: checks the store against the API's own candles (keyless too): per pool and per
// bucket, the USD volume stored against the API's, volume-weighted; keeps the API's candles (ohlcv_candles).

import { isPostgresUrl, maskPassword } from '../config/postgres-url.ts';
import { recordedMinVolumeUsd } from '../fill/collected-filter.ts';
import { type ReconcileSummary, runReconcile } from '../fill/reconcile-run.ts';
import { LockOptimizedDatabaseManager } from '../funnel/lock-optimized-manager.ts';
import { GeckoTerminalClient } from '../gecko/gecko-client.ts';
import { TIMEFRAME_NAMES, type Timeframe } from '../gecko/timeframes.ts';
import { logger } from '../logging/logger.ts';
import { SharedRateLimiter } from '../rate-limit/shared-rate-limiter.ts';
import { COLLECTION_DEFAULTS } from '../run/collection-options.ts';
import { openFillReads } from '../storage/open-fill-reads.ts';
import { collectSpecs, flagOptions, type LogFormat, loadSettings } from './cli-settings.ts';
import { type CliIo, type Command, choiceFlag, numberFlag, parseFlags } from './command.ts';
import { EXIT_FAILURE, EXIT_OK } from './exit-codes.ts';
import { exitOnSignalNow } from './exit-now.ts';
import { routeCliLogs } from './log-output.ts';
import { formatReconcile } from './reconcile-text.ts';
import { StatusLine } from './terminal-status.ts';
import { filterOrUsage } from './trade-query-flags.ts';

const D = COLLECTION_DEFAULTS;
const SETTINGS = [
  'db',
  'api-key',
  'base-url',
  'network',
  'calls-per-minute',
  'min-volume-usd',
  'request-timeout',
  'max-response-bytes',
  'log-level',
  'log-format',
];
export const DEFAULT_SHORT_PERCENT = 2;

const HELP = `usage: gecko-collector reconcile [flags]

Checks the store against the API's own candles (OHLCV, keyless too): for
each pool, the API's candles over the whole buckets the stored trades span
(paged back with before_timestamp, 1000 a call), kept in ohlcv_candles
(source 'api'), each bucket's USD volume compared with the bucket built
from the stored trades (the ohlcv_* views). Completeness is volume-weighted:
stored / API volume, each bucket counted up to the API's. The result of
each pool is kept for doctor (reconcile_runs).

  --timeframe T         ${TIMEFRAME_NAMES.join(' | ')}
                        (default 1h; 1m for short runs)
  --short P             flag buckets short by more than P % (default ${DEFAULT_SHORT_PERCENT})
  --pool ID             only this pool (an id, or an address with --network);
                        repeat for several
  --since, --until TIME only buckets in this span
  --min-volume-usd X    the store was collected with it (default: what the last
                        run recorded); its trades cannot add up to the API's
  --network N           the network (default ${D.network}; GECKO_NETWORK)
  --calls-per-minute N  API budget (default ${D.callsPerMinute}; ${D.callsPerMinuteWithKey} with a key)
  --api-key KEY         optional (GECKO_API_KEY): the paid API
  --db PATH|URL         database (default sqlite:///gecko_data.db; GECKO_DB_URL)
  --config FILE         YAML settings (also GECKO_CONFIG)
  --base-url URL        API base URL
  --json                print one JSON object instead of text
  --log-level L, --log-format F, --request-timeout S, --max-response-bytes N

Prints one line per pool (buckets, short buckets, completeness), the total,
and the short buckets (stored against the API's volume, the 20 largest
shortfalls; --json lists every one). Ctrl-C stops after the current pool.
Exit status: 0 done, 1 a pool could not be reconciled, 2 bad flags.`;

export interface ReconcileCommandResult extends ReconcileSummary {
  ok: boolean;
  database: string;
  elapsedMs: number;
}

export const reconcileCommand: Command = {
  name: 'reconcile',
  summary: "compare the store with the API's candles (volume completeness)",
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const specs = collectSpecs({ tty: io.stderr.isTTY === true }).filter((s) => SETTINGS.includes(s.key));
    const { values } = parseFlags(argv, {
      ...flagOptions(specs, []),
      timeframe: { type: 'string' },
      short: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      pool: { type: 'string', multiple: true },
      json: { type: 'boolean' },
    });
    const { pool: _pool, ...settingFlags } = values;
    const { settings: s } = loadSettings(specs, settingFlags);
    const network = s.get<string>('network')!;
    const filter = filterOrUsage({
      ...(values.pool ? { pool: values.pool } : {}),
      network,
      ...(values.since !== undefined ? { since: values.since } : {}),
      ...(values.until !== undefined ? { until: values.until } : {}),
    });
    const timeframe = choiceFlag<Timeframe>('timeframe', values.timeframe, '1h', TIMEFRAME_NAMES);
    const threshold = numberFlag('short', values.short, DEFAULT_SHORT_PERCENT, 0, 100) / 100;
    const url = s.get<string>('db')!;
    const minVolumeUsd = s.get<string>('min-volume-usd') ?? recordedMinVolumeUsd(url);
    const apiKey = s.get<string>('api-key');
    const status = new StatusLine(io.stderr);
    const restoreLogs = routeCliLogs(status, {
      level: s.get<string>('log-level')!,
      format: s.get<LogFormat>('log-format')!,
      colors: status.live && !process.env.NO_COLOR,
    });
    const controller = new AbortController();
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (++signals === 1) {
        status.print(`${signal}: stopping after the current pool; again to exit now`);
        controller.abort();
      } else exitOnSignalNow(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const started = performance.now();
    const manager = new LockOptimizedDatabaseManager({ url });
    try {
      await manager.initialize();
      const reads = await openFillReads(url);
      const callsPerMinute = s.get<number>('calls-per-minute')!;
      const client = new GeckoTerminalClient({
        rateLimiter: new SharedRateLimiter({
          callsPerMinute,
          minSpacingMs: Math.min(Math.ceil(60_000 / callsPerMinute), D.minSpacingMs),
        }),
        ...(apiKey !== undefined ? { apiKey } : {}),
        baseUrl: s.get<string>('base-url')!,
        timeoutMs: s.get<number>('request-timeout')! * 1000,
        maxResponseBytes: s.get<number>('max-response-bytes')!,
        logger: logger.child({ component: 'reconcile' }),
      });
      let summary: ReconcileSummary;
      try {
        summary = await runReconcile({
          reads,
          write: (payload) => manager.write(payload),
          client,
          network,
          timeframe,
          threshold,
          minVolumeUsd,
          ...(filter.poolIds ? { poolIds: filter.poolIds } : {}),
          ...(filter.since ? { sinceSec: filter.since.getTime() / 1000 } : {}),
          ...(filter.until ? { untilSec: filter.until.getTime() / 1000 } : {}),
          signal: controller.signal,
          onProgress: (done, pools, calls) => status.show(`reconcile: pools ${done}/${pools}, ${calls} calls`),
        });
      } finally {
        await reads.close();
      }
      status.clear();
      const result: ReconcileCommandResult = {
        ok: summary.pools.every((p) => p.error === undefined),
        database: isPostgresUrl(url) ? maskPassword(url) : url,
        ...summary,
        elapsedMs: Math.round(performance.now() - started),
      };
      io.stdout.write(`${values.json ? JSON.stringify(result) : formatReconcile(result)}\n`);
      return result.ok ? EXIT_OK : EXIT_FAILURE;
    } finally {
      status.clear();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await manager.close();
      restoreLogs();
    }
  },
};
