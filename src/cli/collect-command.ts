// `gecko-collector collect`: flags → startCollection; a live progress line on a TTY (pino logs otherwise);
// SIGINT/SIGTERM stop cleanly (flush, drain the writer, summary, exit 0), a second one exits at once.

import fs from 'node:fs';
import { DEFAULT_COLLECTOR_NICE, MAX_NICE } from '../common/thread-priority.ts';
import { BATCH_PRESETS, type BatchPresetName } from '../config/batch-config.ts';
import { logger } from '../logging/logger.ts';
import {
  COLLECTION_DEFAULTS,
  type CollectionProgress,
  type CollectionSummary,
  startCollection,
} from '../run/collection-run.ts';
import { parsePoolsFile } from '../run/pool-assignments.ts';
import { isDecimalString } from '../trades/decimal-string.ts';
import { EXIT_FAILURE, EXIT_OK, UsageError } from './cli-error.ts';
import { type CliIo, type Command, choiceFlag, intFlag, numberFlag, parseFlags } from './command.ts';

const D = COLLECTION_DEFAULTS;
const PRESETS = Object.keys(BATCH_PRESETS) as BatchPresetName[];
const MANAGERS = ['funnel', 'direct'] as const;
const PRAGMAS = ['optimized', 'default'] as const;
const NON_TTY_PROGRESS_EVERY_MS = 10_000;

const HELP = `usage: gecko-collector collect [flags]

Collects DEX trades from GeckoTerminal with several collector threads and stores them in SQLite through one
writer thread. Stops after --duration, or on Ctrl-C (SIGINT/SIGTERM): polling stops, everything fetched is
flushed and committed, a summary is printed. A second Ctrl-C exits at once (code 130).

pools (one of; with --simulate the default is the simulator's pools):
  --pools A,B,...          pool addresses, comma separated
  --pools-file FILE        one pool address per line, # starts a comment
  --top N                  the network's top N pools (fetched first; N from 1 to 200)

flags:
  --network NAME           network id (default: ${D.network})
  --db URL                 database URL (default: ${D.dbUrl}; absolute: sqlite:////abs/path.db)
  --collectors N           collector threads (default: ${D.collectors})
  --duration S             stop after S seconds (default: run until Ctrl-C)
  --manager M              funnel (one writer thread) or direct (the old way: a connection per collector)
                           (default: ${D.manager})
  --preset P               batch preset: ${PRESETS.map((p) => `${p} {${BATCH_PRESETS[p].maxBatchSize} rows, ${BATCH_PRESETS[p].maxWaitMs} ms}`).join(', ')}
                           (default: ${D.preset}; development with --simulate, whose trade rate is low)
  --no-batching            rollback switch: no batch processor; each poll's new trades are stored in one write
                           (the SQLite settings and the writer stay) (default: batching on)
  --pragmas P              optimized (WAL, tuned cache/mmap/checkpoints) or default (rollback switch: SQLite's
                           stock settings, rollback journal) (default: optimized)
  --poll-interval S        seconds between two polls of one pool (default: ${D.pollIntervalMs / 1000}, the API's cache
                           time; ${D.simulate.pollIntervalMs / 1000} with --simulate)
  --calls-per-minute N     API calls per minute, all collectors together (default: ${D.callsPerMinute}, the public limit;
                           ${D.simulate.callsPerMinute} with --simulate)
  --min-volume-usd X       only trades above this USD volume (default: all)
  --base-url URL           API base URL (default: https://api.geckoterminal.com/api/v2)
  --simulate               run an in-process GeckoTerminal simulator on 127.0.0.1 and collect from it
                           (default: off)
  --metrics-port P         serve Prometheus metrics at http://HOST:P/metrics while collecting (0: a free port,
                           printed on stderr; funnel only) (default: off)
  --metrics-host H         address the metrics server listens on (default: ${D.metricsHost})
  --collector-nice N       CPU priority of the collector threads as a nice value, 0 to 19: they yield the CPU to
                           the writer thread they all wait on (Linux only; 0 = the process's own) (default: ${DEFAULT_COLLECTOR_NICE})
  -h, --help               this text

Logs: pino JSON on stderr (level from GECKO_LOG_LEVEL, default info; warn while a TTY shows the progress line).
The summary goes to stdout. The latest metrics snapshot is kept in <db>.metrics.json (refreshed every
${D.metricsFileIntervalMs / 1000} s and at the end) for \`gecko-collector doctor\`.`;

const FLAGS = {
  network: { type: 'string' },
  pools: { type: 'string' },
  'pools-file': { type: 'string' },
  top: { type: 'string' },
  db: { type: 'string' },
  collectors: { type: 'string' },
  duration: { type: 'string' },
  manager: { type: 'string' },
  preset: { type: 'string' },
  'poll-interval': { type: 'string' },
  'calls-per-minute': { type: 'string' },
  'min-volume-usd': { type: 'string' },
  'base-url': { type: 'string' },
  simulate: { type: 'boolean' },
  'no-batching': { type: 'boolean' },
  pragmas: { type: 'string' },
  'metrics-port': { type: 'string' },
  'metrics-host': { type: 'string' },
  'collector-nice': { type: 'string' },
} as const;

function readPools(values: {
  pools?: string | undefined;
  'pools-file'?: string | undefined;
  top?: string | undefined;
}): { pools?: string[]; top?: number } {
  const given = (['pools', 'pools-file', 'top'] as const).filter((k) => values[k] !== undefined);
  if (given.length > 1)
    throw new UsageError(
      `give only one of --pools, --pools-file, --top (got ${given.map((g) => `--${g}`).join(' and ')})`,
    );
  try {
    if (values.pools !== undefined) {
      const pools = values.pools
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '');
      if (pools.length === 0) throw new UsageError('--pools needs at least one pool address');
      return { pools };
    }
    if (values['pools-file'] !== undefined) {
      const file = values['pools-file'];
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        throw new UsageError(
          `cannot read --pools-file ${JSON.stringify(file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
      const pools = parsePoolsFile(text);
      if (pools.length === 0) throw new UsageError(`--pools-file ${JSON.stringify(file)} lists no pool address`);
      return { pools };
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err as Error).message);
  }
  if (values.top !== undefined) return { top: intFlag('top', values.top, 0, 1, 200) };
  return {};
}

function baseUrlFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--base-url must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--base-url must be an http(s) URL, got ${JSON.stringify(value)}`);
  return value;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function progressLine(p: CollectionProgress): string {
  if (p.starting) return `starting ${p.collectors} collectors for ${p.pools} pools...`;
  const c = p.counters;
  const parts = [
    `${(p.elapsedMs / 1000).toFixed(0)}s`,
    `requests ${fmt(c.requests)}`,
    `429s ${fmt(c.throttled)}`,
    `trades new ${fmt(c.inserted)} dup ${fmt(p.duplicates)}`,
    `gaps ${fmt(c.gaps)}`,
    `errors ${fmt(c.errors)}`,
    `writer queue ${p.writerBacklog}`,
    `${fmt(p.rowsPerSec)} rows/s`,
  ];
  return `${parts.join(' | ')}${p.stopping ? ' | stopping...' : ''}`;
}

export function formatSummary(s: CollectionSummary): string {
  const rows: [string, string][] = [
    ['duration', `${(s.durationMs / 1000).toFixed(1)} s (start-up ${(s.startupMs / 1000).toFixed(1)} s)`],
    [
      'manager',
      `${s.manager}, ${s.collectors} collectors, ${s.pools} pools (${s.network})${s.batching ? '' : ', batching off'}${s.pragmas === 'default' ? ', default pragmas' : ''}`,
    ],
    ['requests', `${s.requests} (polls ${s.polls})`],
    ['throttled', String(s.throttled)],
    ['trades fetched', String(s.fetched)],
    ['trades stored (new)', String(s.stored)],
    ['duplicates', `${s.duplicates} (${s.repeats} repeats dropped, ${s.storeDuplicates} already stored)`],
    ['rejected rows', String(s.rejected)],
    ['gaps', String(s.gaps)],
    ['errors', `${s.errors} (${s.badResponses} malformed responses)`],
    ['lock errors', `${s.lockErrors} (busy retries ${s.busyRetries})`],
    ['rows/s', s.rowsPerSec.toFixed(1)],
    ['database', s.dbPath],
  ];
  if (s.simulator) {
    const sim = s.simulator;
    const before = sim.servedStoredBefore > 0 ? `; ${sim.servedStoredBefore} of them stored by an earlier run` : '';
    rows.push([
      'simulator served',
      `${sim.distinctTradesServed} distinct trades (${sim.tradesServed} with repeats, ${sim.requests} requests)${before}`,
    ]);
    rows.push([
      'stored == served',
      `${sim.storedMatchesServed ? 'yes' : 'no'} (${s.stored} stored, ${sim.servedNew} served new; ${sim.servedInDatabase} of the ${sim.distinctTradesServed} served in the database)`,
    ]);
  }
  if (s.metrics) {
    const m = s.metrics;
    rows.push([
      'breaker',
      `${m.breaker.state} (opened ${m.breaker.opens} times); deferred ${m.deferred.deferredTotal}, replayed ${m.deferred.replayedTotal}, waiting ${m.deferred.batches}`,
    ]);
    if (m.alerts.length > 0) rows.push(['alerts', m.alerts.map((a) => a.name).join(', ')]);
  }
  if (s.metricsFile) rows.push(['metrics file', s.metricsFile]);
  if (s.collectorFailures.length > 0) rows.push(['collector failures', s.collectorFailures.join('; ')]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return ['collection summary', ...rows.map(([k, v]) => `  ${`${k}:`.padEnd(width)}${v}`)].join('\n');
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(argv, FLAGS);
  const simulate = values.simulate ?? false;
  const { pools, top } = readPools(values);
  const baseUrl = baseUrlFlag(values['base-url']);
  if (simulate && baseUrl !== undefined)
    throw new UsageError('--base-url and --simulate exclude each other (the simulator has its own URL)');
  if (!simulate && pools === undefined && top === undefined)
    throw new UsageError('say which pools: --pools, --pools-file or --top (or --simulate)');
  const network = values.network ?? D.network;
  if (!/^[a-z0-9_-]+$/i.test(network))
    throw new UsageError(`--network must be a network id like solana, got ${JSON.stringify(network)}`);
  const minVolumeUsd = values['min-volume-usd'];
  if (minVolumeUsd !== undefined && !isDecimalString(minVolumeUsd))
    throw new UsageError(`--min-volume-usd must be a non-negative decimal, got ${JSON.stringify(minVolumeUsd)}`);
  const collectors = intFlag('collectors', values.collectors, D.collectors, 1, 256);
  const durationS =
    values.duration === undefined ? undefined : numberFlag('duration', values.duration, 0, 0.1, 365 * 86_400);
  const manager = choiceFlag('manager', values.manager, D.manager, MANAGERS);
  // The simulator's trade rate fills 50-row batches, not 200-row ones: without this every demo run raises the
  // small-batches alert for a reason that says nothing about the database.
  const preset = choiceFlag('preset', values.preset, simulate ? 'development' : D.preset, PRESETS);
  const pollS = numberFlag(
    'poll-interval',
    values['poll-interval'],
    (simulate ? D.simulate.pollIntervalMs : D.pollIntervalMs) / 1000,
    0,
    86_400,
  );
  const callsPerMinute = numberFlag(
    'calls-per-minute',
    values['calls-per-minute'],
    simulate ? D.simulate.callsPerMinute : D.callsPerMinute,
    0.01,
    60_000,
  );
  const dbUrl = values.db ?? D.dbUrl;
  if (!dbUrl.startsWith('sqlite:///'))
    throw new UsageError(
      `--db must look like sqlite:///gecko_data.db or sqlite:////abs/path.db, got ${JSON.stringify(dbUrl)}`,
    );
  const batching = values['no-batching'] !== true;
  const pragmas = choiceFlag('pragmas', values.pragmas, 'optimized', PRAGMAS);
  const metricsPort =
    values['metrics-port'] === undefined ? undefined : intFlag('metrics-port', values['metrics-port'], 0, 0, 65_535);
  const metricsHost = values['metrics-host'];
  const collectorNice = intFlag('collector-nice', values['collector-nice'], DEFAULT_COLLECTOR_NICE, 0, MAX_NICE);
  if (metricsHost !== undefined && metricsPort === undefined)
    throw new UsageError('--metrics-host needs --metrics-port');
  if (metricsHost !== undefined && !/^[A-Za-z0-9.:_-]+$/.test(metricsHost))
    throw new UsageError(`--metrics-host must be a host name or address, got ${JSON.stringify(metricsHost)}`);
  if (metricsPort !== undefined && manager === 'direct')
    throw new UsageError(
      '--metrics-port needs --manager funnel (direct mode has no breaker, deferred queue or writer to report)',
    );

  const tty = io.stdout.isTTY === true;
  if (tty && !process.env.GECKO_LOG_LEVEL) {
    // JSON log lines would tear the progress line apart; collector threads read the level from the env at start.
    process.env.GECKO_LOG_LEVEL = 'warn';
    logger.level = 'warn';
  }

  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      io.stderr.write(
        `${tty ? '\n' : ''}${signal}: stopping (finishing requests, flushing, draining the writer); again to exit at once\n`,
      );
      controller.abort();
      return;
    }
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let lastLogged = 0;
  let shownLine = false;
  const onProgress = (p: CollectionProgress) => {
    if (tty) {
      io.stdout.write(`\r${progressLine(p)}\x1b[K`);
      shownLine = true;
    } else if (!p.starting && p.elapsedMs - lastLogged >= NON_TTY_PROGRESS_EVERY_MS) {
      lastLogged = p.elapsedMs;
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
    const handle = await startCollection({
      network,
      ...(pools ? { pools } : {}),
      ...(top !== undefined ? { top } : {}),
      dbUrl,
      collectors,
      manager,
      batch: preset,
      batching,
      ...(pragmas !== 'optimized' ? { database: { pragmas } } : {}),
      ...(metricsPort !== undefined ? { metricsPort } : {}),
      ...(metricsHost !== undefined ? { metricsHost } : {}),
      collectorNice,
      pollIntervalMs: Math.round(pollS * 1000),
      callsPerMinute,
      ...(baseUrl ? { baseUrl } : {}),
      ...(minVolumeUsd !== undefined ? { minVolumeUsd } : {}),
      simulate,
      ...(durationS !== undefined ? { durationMs: Math.round(durationS * 1000) } : {}),
      signal: controller.signal,
      onProgress,
    });
    if (handle.metricsUrl) io.stderr.write(`${tty ? '\r\x1b[K' : ''}metrics: ${handle.metricsUrl}\n`);
    summary = await handle.done;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (shownLine) io.stdout.write('\n');
  }
  io.stdout.write(`${formatSummary(summary)}\n`);
  return summary.collectorFailures.length > 0 ? EXIT_FAILURE : EXIT_OK;
}

export const collectCommand: Command = {
  name: 'collect',
  summary: 'collect trades from GeckoTerminal (or --simulate) into SQLite',
  help: HELP,
  run,
};
