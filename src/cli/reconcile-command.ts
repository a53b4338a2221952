// `gecko-collector reconcile`: checks the store against the API's own candles (keyless too): per pool and per
// bucket, the USD volume stored against the API's, volume-weighted; keeps the API's candles (ohlcv_candles).

import { isPostgresUrl, maskPassword } from '../config/postgres-url.ts';
import { recordedMinVolumeUsd } from '../fill/collected-filter.ts';
import { type ReconcileSummary, runReconcile } from '../fill/reconcile-run.ts';
import { TIMEFRAME_NAMES, type Timeframe } from '../gecko/timeframes.ts';
import { COLLECTION_DEFAULTS } from '../run/collection-options.ts';
import { type CliIo, type Command, choiceFlag, numberFlag } from './command.ts';
import { EXIT_FAILURE, EXIT_OK } from './exit-codes.ts';
import { formatReconcile } from './reconcile-text.ts';
import { parseSessionFlags, withSession } from './store-api-session.ts';

const D = COLLECTION_DEFAULTS;
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
    const {
      values,
      settings: s,
      network,
      filter,
    } = parseSessionFlags(argv, io, {
      timeframe: { type: 'string' },
      short: { type: 'string' },
    });
    const timeframe = choiceFlag<Timeframe>('timeframe', values.timeframe as string | undefined, '1h', TIMEFRAME_NAMES);
    const threshold = numberFlag('short', values.short as string | undefined, DEFAULT_SHORT_PERCENT, 0, 100) / 100;
    const minVolumeUsd = s.get<string>('min-volume-usd') ?? recordedMinVolumeUsd(s.get<string>('db')!);
    const started = performance.now();
    const options = {
      component: 'reconcile',
      stopping: 'stopping after the current pool',
      apiKey: s.get<string>('api-key'),
    };
    return withSession(io, s, options, async (session) => {
      const summary = await runReconcile({
        reads: session.reads,
        write: session.write,
        client: session.client,
        network,
        timeframe,
        threshold,
        minVolumeUsd,
        ...(filter.poolIds ? { poolIds: filter.poolIds } : {}),
        ...(filter.since ? { sinceSec: filter.since.getTime() / 1000 } : {}),
        ...(filter.until ? { untilSec: filter.until.getTime() / 1000 } : {}),
        signal: session.signal,
        onProgress: (done, pools, calls) =>
          session.progress(`reconcile: pools ${done}/${pools}, ${calls} calls`, { poolsDone: done, pools, calls }),
      });
      session.done();
      const result: ReconcileCommandResult = {
        ok: summary.pools.every((p) => p.error === undefined),
        database: isPostgresUrl(session.url) ? maskPassword(session.url) : session.url,
        ...summary,
        elapsedMs: Math.round(performance.now() - started),
      };
      io.stdout.write(`${values.json ? JSON.stringify(result) : formatReconcile(result)}\n`);
      return result.ok ? EXIT_OK : EXIT_FAILURE;
    });
  },
};
