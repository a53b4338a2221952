// One `import` of a CSV file, in this process, on the same code path as `gecko-collector import FILE --db …`
// (the funnel manager, readLegacyCsv over readLines, runImport with the command's batch size), measured: wall
// time, the process's user and system CPU and peak RSS, and per thread the reader's (this thread) and the
// writer's CPU. bench:import runs it as a child process, so its RSS and CPU are its own.
//
// `node dist/bench/import-run.js --csv FILE --db FILE.db [--batch N] [--json]`

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../src/cli/cli-error.ts';
import { intFlag, parseFlags, runScript } from '../src/cli/command.ts';
import { DEFAULT_IMPORT_BATCH } from '../src/cli/import-command.ts';
import type { DatabaseConfig } from '../src/config/database-config.ts';
import { urlFromDatabasePath } from '../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../src/funnel/lock-optimized-manager.ts';
import { runImport } from '../src/import/import-runner.ts';
import { readLegacyCsv } from '../src/import/legacy-csv-reader.ts';
import { readLines } from '../src/import/line-reader.ts';
import { round } from './rounding.ts';
import { NO_TIMES, threadSnapshot, timesBetween } from './thread-cpu.ts';

export interface ImportRunResult {
  rows: number;
  imported: number;
  rejected: number;
  batchSize: number;
  /** Write transactions (group commits) the writer ran. */
  transactions: number;
  /** Start of reading → last batch acknowledged (committed); the manager's close is apart, in closeSeconds. */
  seconds: number;
  closeSeconds: number;
  rowsPerSec: number;
  /** Process CPU over `seconds`. */
  userSeconds: number;
  systemSeconds: number;
  /** Per thread over `seconds` (Linux; null elsewhere): the reader (CSV, checks, packing) and the writer. */
  readerCpuSeconds: number | null;
  writerCpuSeconds: number | null;
  /** Every other thread (V8 GC and compiler threads, libuv's pool, the checkpointer). */
  otherCpuSeconds: number | null;
  peakRssMb: number;
}

export async function runOneImport(
  csv: string,
  dbPath: string,
  batchSize: number,
  dbConfig: Partial<DatabaseConfig> = {},
  maxInFlight?: number,
): Promise<ImportRunResult> {
  const manager = new LockOptimizedDatabaseManager({ ...dbConfig, url: urlFromDatabasePath(dbPath) });
  await manager.initialize();
  const writerTid = manager.info?.osThreadId ?? null;
  let summary: Awaited<ReturnType<typeof runImport>>;
  let seconds: number;
  let cpu: NodeJS.CpuUsage;
  let threads: { reader: number; writer: number; others: number } | null = null;
  let transactions = 0;
  const c0 = performance.now();
  try {
    const before = threadSnapshot();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    summary = await runImport(readLegacyCsv(readLines(csv)), manager, {
      batchSize,
      ...(maxInFlight ? { maxInFlight } : {}),
    });
    seconds = (performance.now() - t0) / 1000;
    cpu = process.cpuUsage(cpu0);
    const after = threadSnapshot();
    if (before && after) {
      const between = (tid: number) => timesBetween(before.get(tid) ?? NO_TIMES, after.get(tid) ?? NO_TIMES).cpuMs;
      let others = 0;
      for (const tid of after.keys()) if (tid !== process.pid && tid !== writerTid) others += between(tid);
      threads = { reader: between(process.pid), writer: writerTid === null ? 0 : between(writerTid), others };
    }
    transactions = (await manager.getLockContentionMetrics()).operations;
  } finally {
    await manager.close();
  }
  const closeSeconds = (performance.now() - c0) / 1000 - seconds;
  const s = (ms: number | undefined) => (ms === undefined ? null : round(ms / 1000, 2));
  return {
    rows: summary.records,
    imported: summary.imported,
    rejected: summary.rejected,
    batchSize,
    transactions,
    seconds: round(seconds, 3),
    closeSeconds: round(closeSeconds, 3),
    rowsPerSec: Math.round(summary.records / seconds),
    userSeconds: round(cpu.user / 1e6, 2),
    systemSeconds: round(cpu.system / 1e6, 2),
    readerCpuSeconds: s(threads?.reader),
    writerCpuSeconds: s(threads?.writer),
    otherCpuSeconds: s(threads?.others),
    peakRssMb: round(process.resourceUsage().maxRSS / 1024, 1),
  };
}

const USAGE =
  'usage: node dist/bench/import-run.js --csv FILE --db NEW.db [--batch N] [--in-flight N] [--db-config JSON] (DatabaseConfig fields) [--json]';

async function main(): Promise<void> {
  const { values: args } = parseFlags(process.argv.slice(2), {
    csv: { type: 'string' },
    db: { type: 'string' },
    batch: { type: 'string' },
    'db-config': { type: 'string' },
    'in-flight': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!args.csv || !args.db) throw new UsageError('--csv and --db are required');
  process.env.GECKO_LOG_LEVEL ??= 'silent';
  const r = await runOneImport(
    path.resolve(args.csv),
    path.resolve(args.db),
    intFlag('batch', args.batch, DEFAULT_IMPORT_BATCH, 1),
    args['db-config'] ? (JSON.parse(args['db-config']) as Partial<DatabaseConfig>) : {},
    args['in-flight'] ? intFlag('in-flight', args['in-flight'], 8, 1) : undefined,
  );
  process.stdout.write(args.json ? `${JSON.stringify(r)}\n` : `${JSON.stringify(r, null, 2)}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await runScript('bench/import-run', USAGE, main);
