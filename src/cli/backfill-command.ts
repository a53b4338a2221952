// `gecko-collector backfill`: fills what collection missed from the paid API's trades in a time range (every
// open gap, each pool's span since its cursor, or with --since each pool's whole span) through the write funnel.

import { isPostgresUrl, maskPassword } from '../config/postgres-url.ts';
import { type BackfillProgress, type BackfillSummary, runBackfill } from '../fill/backfill-run.ts';
import { LockOptimizedDatabaseManager } from '../funnel/lock-optimized-manager.ts';
import { GeckoTerminalClient } from '../gecko/gecko-client.ts';
import { DEFAULT_RANGE_PAGE_SIZE } from '../gecko/range-requests.ts';
import { logger } from '../logging/logger.ts';
import { SharedRateLimiter } from '../rate-limit/shared-rate-limiter.ts';
import { COLLECTION_DEFAULTS } from '../run/collection-options.ts';
import { openFillReads } from '../storage/open-fill-reads.ts';
import { collectSpecs, flagOptions, type LogFormat, loadSettings } from './cli-settings.ts';
import { type CliIo, type Command, intFlag, parseFlags } from './command.ts';
import { EXIT_AUTH, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.ts';
import { exitOnSignalNow } from './exit-now.ts';
import { routeCliLogs } from './log-output.ts';
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
  'max-clock-skew',
  'log-level',
  'log-format',
];

/** The range endpoint is on paid plans only: said in one line (with the prefix it fits 80 columns). */
export const KEYLESS_REFUSAL = 'needs an API key of a paid plan (Analyst or above)';

const HELP = `usage: gecko-collector backfill [flags]

Fills what collection missed from the paid API's trades in a time range
(trades/range: a CoinGecko plan Analyst or above), through the write funnel:
every open gap (collection_gaps), and each pool's span from its cursor up to
now (downtime); with --since, each pool's whole span from then instead. A full
answer is taken as cut short: the span is split at its oldest second and the
older part asked again, until every answer comes back short. Trades are keyed
by id: repeats are harmless, and running it again continues where it stopped.

  --api-key KEY         CoinGecko API key (better: GECKO_API_KEY)
  --since TIME          each pool's span from TIME (a UTC date or date-time)
  --until TIME          with --since: to TIME (default now)
  --pool ID             only this pool (an id, or an address with --network);
                        repeat for several
  --network N           the network (default ${D.network}; GECKO_NETWORK)
  --calls-per-minute N  this command's API budget (default ${D.callsPerMinuteWithKey}); beside
                        a running collect (PostgreSQL), give each its share
  --page-size N         items in a full answer, one taken as cut (default ${DEFAULT_RANGE_PAGE_SIZE})
  --concurrency N       spans asked at once (default 4)
  --min-volume-usd X    only trades above X USD (use the one collect ran with)
  --db PATH|URL         database (default sqlite:///gecko_data.db; GECKO_DB_URL)
  --config FILE         YAML settings (also GECKO_CONFIG)
  --base-url URL        API base URL (default: the paid API)
  --json                print one JSON object instead of text
  --log-level L, --log-format F, --request-timeout S, --max-response-bytes N,
  --max-clock-skew S    as for collect

On a terminal a progress line shows spans done, calls and trades stored.
Then: "backfill: N spans (G gaps, C cursor spans, S since spans) of P pools",
"stored N trades (M already stored), K calls", "gaps: F filled, E failed,
O still open", and one line per span that failed, with its reason.
Ctrl-C stops cleanly: committed trades stay; run it again to continue.
Exit status: 0 done, 1 a span failed, 2 bad flags or no API key, 4 the API
refused the key.`;

export interface BackfillCommandResult extends BackfillSummary {
  ok: boolean;
  database: string;
  elapsedMs: number;
}

function progressText(p: BackfillProgress): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return `backfill: spans ${p.spansDone}/${p.spans}, ${n(p.calls)} calls, ${n(p.inserted)} stored, ${n(p.duplicates)} repeats${p.deferred ? `, ${n(p.deferred)} deferred` : ''}`;
}

export function formatBackfill(r: BackfillCommandResult): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const { gap, cursor, since } = r.spans;
  const lines = [
    `backfill: ${gap + cursor + since} spans (${gap} gaps, ${cursor} cursor spans, ${since} since spans) of ${r.poolCount} pools`,
    `stored ${n(r.inserted)} trades (${n(r.duplicates)} already stored${r.deferred ? `, ${n(r.deferred)} deferred to the spool` : ''}${r.rejected ? `, ${n(r.rejected)} rejected` : ''}), ${n(r.calls)} calls`,
    `gaps: ${r.gapsFilled} filled, ${r.gapsFailed} failed, ${r.openGaps} still open; ${r.cursorsMoved} cursors moved`,
  ];
  for (const f of r.failures) lines.push(`failed: ${f.poolId} ${f.kind} ${f.from} .. ${f.to}: ${f.error}`);
  if (r.interrupted) lines.push('interrupted: committed trades stay; run backfill again to continue');
  return lines.join('\n');
}

export const backfillCommand: Command = {
  name: 'backfill',
  summary: "fill gaps and downtime from the paid API's trades in a time range",
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const specs = collectSpecs({ tty: io.stderr.isTTY === true }).filter((s) => SETTINGS.includes(s.key));
    const { values } = parseFlags(argv, {
      ...flagOptions(specs, []),
      since: { type: 'string' },
      until: { type: 'string' },
      pool: { type: 'string', multiple: true },
      'page-size': { type: 'string' },
      concurrency: { type: 'string' },
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
    if (values.until !== undefined && values.since === undefined)
      io.stderr.write('gecko-collector backfill: --until applies with --since; ignored\n');
    const pageSize = intFlag('page-size', values['page-size'], DEFAULT_RANGE_PAGE_SIZE, 1, 1000);
    const concurrency = intFlag('concurrency', values.concurrency, 4, 1, 64);
    const apiKey = s.get<string>('api-key');
    if (apiKey === undefined) {
      io.stderr.write(`gecko-collector backfill: ${KEYLESS_REFUSAL}\n`);
      return EXIT_USAGE;
    }
    const url = s.get<string>('db')!;
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
        status.print(`${signal}: stopping (finishing the answers in flight, draining the writer); again to exit now`);
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
        apiKey,
        baseUrl: s.get<string>('base-url')!,
        timeoutMs: s.get<number>('request-timeout')! * 1000,
        maxResponseBytes: s.get<number>('max-response-bytes')!,
        logger: logger.child({ component: 'backfill' }),
      });
      let summary: BackfillSummary;
      try {
        const minVolumeUsd = s.get<string>('min-volume-usd');
        summary = await runBackfill({
          reads,
          write: (payload) => manager.write(payload),
          client,
          network,
          pageSize,
          concurrency,
          ...(filter.poolIds ? { poolIds: filter.poolIds } : {}),
          ...(filter.since ? { sinceSec: Math.floor(filter.since.getTime() / 1000) } : {}),
          ...(filter.since && filter.until ? { untilSec: Math.ceil(filter.until.getTime() / 1000) } : {}),
          ...(minVolumeUsd !== undefined ? { minVolumeUsd } : {}),
          maxClockSkewMs: s.get<number>('max-clock-skew')! * 1000,
          signal: controller.signal,
          onProgress: (p) => status.show(progressText(p)),
        });
      } finally {
        await reads.close();
      }
      status.clear();
      const result: BackfillCommandResult = {
        ok: summary.failures.length === 0 && summary.authRefused === undefined,
        database: isPostgresUrl(url) ? maskPassword(url) : url,
        ...summary,
        elapsedMs: Math.round(performance.now() - started),
      };
      io.stdout.write(`${values.json ? JSON.stringify(result) : formatBackfill(result)}\n`);
      if (summary.authRefused !== undefined) {
        io.stderr.write(
          `gecko-collector backfill: ${summary.authRefused} (the range endpoint needs Analyst or above)\n`,
        );
        return EXIT_AUTH;
      }
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
