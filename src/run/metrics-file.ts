// `<db>.metrics.json`: the latest metrics snapshot of a collection run, kept beside the database so `doctor`
// can show the last run's breaker, deferred queue and alert figures offline. Replaced atomically
// (common/atomic-file.ts).

import fs from 'node:fs';
import { replaceFileText } from '../common/atomic-file.ts';
import { GeckoCollectorError } from '../errors.ts';
import type { Logger } from '../logging/logger.ts';
import type { CollectorMetricsSnapshot } from '../monitoring/metrics-snapshot.ts';

export const RUN_METRICS_FORMAT = 'gecko-collector/run-metrics';
export const RUN_METRICS_VERSION = 1;

export interface RunMetricsFile {
  format: typeof RUN_METRICS_FORMAT;
  version: typeof RUN_METRICS_VERSION;
  /** When this file was written, epoch ms. */
  writtenAt: number;
  /** When the run started, epoch ms. */
  startedAt: number;
  /** Set in the file written at the end of the run; null while it runs (or if it died before its end). */
  finishedAt: number | null;
  pid: number;
  manager: 'funnel' | 'direct';
  pragmas: 'optimized' | 'default';
  batching: boolean;
  /** The run's --min-volume-usd, when it had one: only trades above it were collected. */
  minVolumeUsd?: string;
  /** The funnel's snapshot; null in direct mode, which has no funnel (no breaker, deferred queue or writer). */
  snapshot: CollectorMetricsSnapshot | null;
  /** The run's lock figures: the snapshot's, or in direct mode the collectors' own connections' (at the end). */
  lock: { lockErrors: number; busyRetries: number };
  /** Why figures are missing, when they are. */
  note?: string;
}

/** The file exists but is not a run-metrics file this build can read. */
export class MetricsFileError extends GeckoCollectorError {
  readonly code = 'METRICS_FILE_INVALID';
}

export function metricsFilePath(databasePath: string): string {
  return `${databasePath}.metrics.json`;
}

/** Writes `content` so a reader sees the old file or the new one, never half of one (replaceFileText). */
export function writeMetricsFile(path: string, content: RunMetricsFile): Promise<void> {
  return replaceFileText(path, `${JSON.stringify(content, null, 2)}\n`);
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function need(cond: boolean, path: string, what: string): void {
  if (!cond) throw new MetricsFileError(`${path}: ${what}`);
}

const SNAPSHOT_NUMBERS = {
  lock: ['lockErrors', 'busyRetries', 'operations', 'rowsInserted'],
  batch: ['avgBatchSize', 'maxBatchSize', 'batches', 'rows'],
  breaker: ['opens', 'rejections', 'failures', 'successes', 'timeInOpenMs'],
  deferred: ['batches', 'rows', 'bytes', 'deferredTotal', 'replayedTotal'],
  writer: ['restarts', 'backlog'],
} as const;

/** Checks the parts of a snapshot that readers rely on (a file from another build or a hand edit may lack them). */
function checkSnapshot(path: string, s: unknown): asserts s is CollectorMetricsSnapshot {
  need(isObject(s), path, 'snapshot is not an object');
  const snap = s as Json;
  need(typeof snap.at === 'number', path, 'snapshot.at is not a number');
  for (const [part, fields] of Object.entries(SNAPSHOT_NUMBERS)) {
    const o = snap[part];
    need(isObject(o), path, `snapshot.${part} is missing`);
    for (const f of fields) need(typeof (o as Json)[f] === 'number', path, `snapshot.${part}.${f} is not a number`);
  }
  need(typeof (snap.breaker as Json).state === 'string', path, 'snapshot.breaker.state is not a string');
  need(Array.isArray(snap.alerts), path, 'snapshot.alerts is not a list');
}

/** Parses and checks a run-metrics file's text; MetricsFileError says what is wrong. */
export function parseMetricsFile(path: string, text: string): RunMetricsFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new MetricsFileError(`${path}: not JSON (${(err as Error).message})`);
  }
  need(isObject(data), path, 'not a JSON object');
  const d = data as Json;
  need(d.format === RUN_METRICS_FORMAT, path, `format is ${JSON.stringify(d.format)}, expected ${RUN_METRICS_FORMAT}`);
  need(
    d.version === RUN_METRICS_VERSION,
    path,
    `version ${JSON.stringify(d.version)} is not supported (this build reads ${RUN_METRICS_VERSION})`,
  );
  for (const f of ['writtenAt', 'startedAt', 'pid'] as const)
    need(typeof d[f] === 'number', path, `${f} is not a number`);
  need(d.finishedAt === null || typeof d.finishedAt === 'number', path, 'finishedAt is not a number or null');
  need(d.manager === 'funnel' || d.manager === 'direct', path, 'manager is not funnel or direct');
  need(d.pragmas === 'optimized' || d.pragmas === 'default', path, 'pragmas is not optimized or default');
  need(typeof d.batching === 'boolean', path, 'batching is not true or false');
  need(
    isObject(d.lock) && typeof d.lock.lockErrors === 'number' && typeof d.lock.busyRetries === 'number',
    path,
    'lock figures are missing',
  );
  need(d.note === undefined || typeof d.note === 'string', path, 'note is not a string');
  if (d.snapshot !== null) checkSnapshot(path, d.snapshot);
  return d as unknown as RunMetricsFile;
}

/** The file's content, or null when there is none; MetricsFileError when it is unreadable or malformed. */
export function readMetricsFile(path: string): RunMetricsFile | null {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new MetricsFileError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseMetricsFile(path, text);
}

export interface MetricsFileWriterOptions {
  path: string;
  /** How often the file is refreshed while the run lasts. */
  intervalMs: number;
  /** Builds the file's content; null skips this refresh (nothing worth writing yet). */
  build: (final: boolean) => Promise<RunMetricsFile | null>;
  logger: Logger;
}

/**
 * Refreshes the file every `intervalMs` and once more at the end. Writes never overlap (a slow snapshot just
 * skips a tick), and a failed write is logged, never thrown: metrics must not stop a collection.
 */
export class MetricsFileWriter {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private finished = false;

  constructor(private readonly options: MetricsFileWriterOptions) {}

  start(): void {
    if (this.timer || this.finished) return;
    this.timer = setInterval(() => {
      if (!this.running) void this.refresh(false);
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer, waits for a refresh in progress, writes the final file. */
  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.timer);
    await this.running;
    await this.refresh(true);
  }

  /** Stops without a final write (the run could not take a final snapshot). */
  async stop(): Promise<void> {
    this.finished = true;
    clearInterval(this.timer);
    await this.running;
  }

  private refresh(final: boolean): Promise<void> {
    const { path, build, logger } = this.options;
    const run = (async () => {
      try {
        const content = await build(final);
        // A periodic write still in flight when finish() came must not land after the final one.
        if (content && (final || !this.finished)) await writeMetricsFile(path, content);
      } catch (err) {
        logger.warn({ err, path }, 'metrics file not written');
      }
    })();
    const tracked: Promise<void> = run.finally(() => {
      if (this.running === tracked) this.running = undefined;
    });
    this.running = tracked;
    return run;
  }
}
