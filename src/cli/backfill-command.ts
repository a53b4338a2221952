// `gecko-collector backfill`: fills what collection missed from the paid API's trades in a time range (every
// open gap, each pool's span since its cursor, or with --since each pool's whole span) through the write funnel.

import { isPostgresUrl, maskPassword } from '../config/postgres-url.ts';
import { type BackfillProgress, type BackfillSummary, runBackfill } from '../fill/backfill-run.ts';
import { DEFAULT_RANGE_PAGE_SIZE } from '../gecko/range-requests.ts';
import { COLLECTION_DEFAULTS } from '../run/collection-options.ts';
import { type CliIo, type Command, intFlag } from './command.ts';
import { EXIT_AUTH, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.ts';
import { parseSessionFlags, withSession } from './store-api-session.ts';

const D = COLLECTION_DEFAULTS;
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
    const {
      values,
      settings: s,
      network,
      filter,
    } = parseSessionFlags(argv, io, {
      'page-size': { type: 'string' },
      concurrency: { type: 'string' },
    });
    if (values.until !== undefined && values.since === undefined)
      io.stderr.write('gecko-collector backfill: --until applies with --since; ignored\n');
    const pageSize = intFlag('page-size', values['page-size'] as string | undefined, DEFAULT_RANGE_PAGE_SIZE, 1, 1000);
    const concurrency = intFlag('concurrency', values.concurrency as string | undefined, 4, 1, 64);
    const apiKey = s.get<string>('api-key');
    if (apiKey === undefined) {
      io.stderr.write(`gecko-collector backfill: ${KEYLESS_REFUSAL}\n`);
      return EXIT_USAGE;
    }
    const started = performance.now();
    const stopping = 'stopping (finishing the answers in flight, draining the writer)';
    return withSession(io, s, { component: 'backfill', stopping, apiKey }, async (session) => {
      const minVolumeUsd = s.get<string>('min-volume-usd');
      const summary = await runBackfill({
        reads: session.reads,
        write: session.write,
        client: session.client,
        network,
        pageSize,
        concurrency,
        ...(filter.poolIds ? { poolIds: filter.poolIds } : {}),
        ...(filter.since ? { sinceSec: Math.floor(filter.since.getTime() / 1000) } : {}),
        ...(filter.since && filter.until ? { untilSec: Math.ceil(filter.until.getTime() / 1000) } : {}),
        ...(minVolumeUsd !== undefined ? { minVolumeUsd } : {}),
        maxClockSkewMs: s.get<number>('max-clock-skew')! * 1000,
        signal: session.signal,
        onProgress: (p) => session.progress(progressText(p), p),
      });
      session.done();
      const result: BackfillCommandResult = {
        ok: summary.failures.length === 0 && summary.authRefused === undefined,
        database: isPostgresUrl(session.url) ? maskPassword(session.url) : session.url,
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
    });
  },
};
