// `npm run bench:compare -- [--trades 200000] [--collectors 8] [--duplicates 0.3] [--reps 3] [--rate R|P%]
//                           [--json] [--report bench/results/NAME.md]`
//
// The funnel's promises, measured on the same generated trades in one run: the ceiling (one
// thread, one connection, the fastest insert we found: what SQLite itself allows here), the direct way
// (a connection per producer, check-then-insert, retries on SQLITE_BUSY) and the funnel (one writer thread).
// Contenders alternate A B C A B C … (fresh temp database per run) so a noisy machine hurts all alike;
// medians per contender, then ratios funnel/ceiling, funnel/direct and the p99 latency ratio funnel/direct.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../src/cli/cli-error.ts';
import { intFlag, parseFlags, runScript } from '../src/cli/command.ts';
import { DEFAULT_COLLECTOR_NICE } from '../src/common/thread-priority.ts';
import { recordArrivalOrder, writeArrivalFile } from './arrival-order.ts';
import { type CeilingResult, DEFAULT_CEILING_CHUNK_ROWS, DEFAULT_CEILING_TX_ROWS } from './ceiling.ts';
import { runChildJson } from './child-json.ts';
import { collectGarbage } from './collect-garbage.ts';
import type { LoadResult, ThreadReport } from './load-run.ts';
import { LOAD_SHAPE_FLAGS, loadShapeFrom } from './load-shape-flags.ts';
import { type MachineSummary, machineSummary } from './machine.ts';
import { round } from './rounding.ts';
import { renderBarChart } from './svg-chart.ts';

export type Contender = 'ceiling' | 'ceiling-sorted' | 'ceiling-ignore' | 'direct' | 'direct-legacy' | 'funnel';
/**
 * What one rep runs, unit by unit. The ceiling runs the writer's own statements (bench/ceiling.ts); `ceiling-sorted`
 * (best case) and `ceiling-ignore` (the old ceiling, INSERT OR IGNORE without the checks) ride along right after
 * `ceiling`: all three run in one child process (bench/ceiling.ts --order both), so their pre-built rows never sit in this process's heap
 * and RSS while the threaded contenders run. The funnel sits next to the ceiling: on a shared machine the load
 * from other tenants comes in bursts, and the ratio between the two is the figure that matters most. The funnel
 * comes first, so rep 1's ceiling already replays a recorded arrival order (see arrival-order.ts).
 */
const UNITS: readonly (readonly Contender[])[] = [
  ['funnel'],
  ['ceiling', 'ceiling-sorted', 'ceiling-ignore'],
  ['direct'],
  ['direct-legacy'],
];
/** Every contender, in the order tables and charts show them. */
export const CONTENDERS: readonly Contender[] = [
  'ceiling',
  'ceiling-sorted',
  'ceiling-ignore',
  'funnel',
  'direct',
  'direct-legacy',
];

/** Odd reps run the units in order, even reps backwards (A B C, C B A, …): a drift during the run favours no one. */
export function rotationFor(rep: number): Contender[] {
  return (rep % 2 === 1 ? UNITS : [...UNITS].reverse()).flat();
}

/**
 * `direct` runs the old way's code on the new SQLite settings (WAL…): the rollback switch. `direct-legacy` runs
 * it as the Python collector ran it: SQLite's own settings on a rollback-journal file (`pragmas: 'default'`:
 * journal_mode=DELETE, synchronous=FULL), the "before" of the migration.
 */
const LEGACY_DB_CONFIG = { pragmas: 'default' } as const;

export type RateSpec =
  | { kind: 'unpaced' }
  | { kind: 'absolute'; rowsPerSec: number }
  | { kind: 'percent-of-ceiling'; percent: number };

export interface CompareOptions {
  trades: number;
  collectors: number;
  duplicates: number;
  reps: number;
  rate?: RateSpec;
  seed?: number;
  /** Producer batch size (runLoad's batchSize; also the funnel interleaving the ceiling replays). */
  batchSize?: number;
  /** Rows per ceiling transaction (default 5000, the writer's group-commit bound) and per multi-row INSERT (default 50). */
  ceilingTxRows?: number;
  ceilingChunkRows?: number;
  /** Directory for the temp database files (default: a fresh one under the OS temp dir, removed after). */
  workDir?: string;
  /** The command line to record in the report. */
  command?: string;
  /** Progress lines (one per run); the CLI sends them to stderr. */
  onProgress?: (line: string) => void;
}

export interface LatencyFigures {
  p50: number;
  p95: number;
  p99: number;
}

/** One run of one contender, reduced to the figures compared. */
export interface ContenderFigures {
  rowsPerSec: number;
  /** "go" → last row committed. */
  seconds: number;
  /** Shutdown after the clock stopped (funnel close, ceiling's closing checkpoint). */
  closeSeconds: number;
  /** The database's journal mode after the run ('wal', or 'delete' for direct on the old settings). */
  journalMode: string;
  offered: number;
  unique: number;
  stored: number;
  lockErrors: number;
  busyRetries: number;
  failedBatches: number;
  latencyMs: LatencyFigures;
  peakRssMb: number;
  /** Process RSS right before the run started (after a GC): what peakRssMb grew from. */
  rssBeforeMb: number;
  cpuSeconds: number;
  /**
   * CPU of the one thread that writes, from /proc/.../schedstat alike: the funnel's writer thread, the ceiling's
   * thread that runs the statements; null off Linux, and for direct (every producer writes).
   */
  writerCpuSeconds: number | null;
}

export interface ContenderSummary {
  /** Median of each figure over the reps (figure by figure). */
  median: ContenderFigures;
  runs: number;
  /** stored == unique in every run. */
  storedAll: boolean;
  latencyMeaning: string;
  paced: boolean;
}

export interface CompareRatios {
  /** rows/s funnel ÷ ceiling (funnel arrival order). */
  funnelOverCeiling: number;
  /** rows/s funnel ÷ ceiling in sorted-id order (best case). */
  funnelOverCeilingSorted: number;
  /** rows/s funnel ÷ direct. */
  funnelOverDirect: number;
  /** rows/s funnel ÷ direct on the old settings (rollback journal): the migration's before/after. */
  funnelOverDirectLegacy: number;
  /** p99 post→ack latency funnel ÷ direct (< 1: the funnel answers faster). */
  p99LatencyFunnelOverDirect: number;
  /** p99 latency funnel ÷ direct on the old settings. */
  p99LatencyFunnelOverDirectLegacy: number;
  /**
   * CPU per stored row, the funnel's writer thread ÷ the ceiling (the same offered rows, funnel arrival order):
   * what the writer's own code adds on top of SQLite, independent of how busy the host is.
   */
  writerCpuOverCeilingCpu: number;
  /** CPU per row of the ceiling with the writer's statements ÷ the old INSERT OR IGNORE one: the checks' cost. */
  ceilingCpuOverIgnoreCpu: number;
  /** The funnel's writer thread ÷ the old INSERT OR IGNORE ceiling (CPU per row): the old figure, for reference. */
  writerCpuOverIgnoreCeilingCpu: number;
}

const RATIO_LABEL: Record<keyof CompareRatios, string> = {
  funnelOverCeiling: 'funnel / ceiling (rows/s)',
  funnelOverCeilingSorted: 'funnel / ceiling, sorted ids (rows/s)',
  funnelOverDirect: 'funnel / direct (WAL) (rows/s)',
  funnelOverDirectLegacy: 'funnel / direct (old settings) (rows/s)',
  p99LatencyFunnelOverDirect: 'funnel / direct (WAL) (p99 latency; < 1 = funnel faster)',
  p99LatencyFunnelOverDirectLegacy: 'funnel / direct (old settings) (p99 latency)',
  writerCpuOverCeilingCpu: "funnel writer thread / ceiling with the writer's statements (CPU per row; goal ≤ 1.15)",
  ceilingCpuOverIgnoreCpu: "ceiling with the writer's statements / INSERT OR IGNORE ceiling (CPU per row: the checks)",
  writerCpuOverIgnoreCeilingCpu: 'funnel writer thread / INSERT OR IGNORE ceiling (CPU per row; the old figure)',
};

/** Seconds, from "go" to the last ack: the writer thread's time split three ways, and every other thread's CPU. */
export interface FunnelThreads {
  runs: number;
  writerOnCpu: number;
  /** Runnable, waiting for a CPU (other threads or tenants had it). */
  writerWaitingForCpu: number;
  /** The rest of the window: nothing to commit (no batch queued). */
  writerIdle: number;
  producersCpu: number;
  /** Checkpointer, V8's platform threads (GC for every isolate, background compiles), libuv's pool. */
  otherThreadsCpu: number;
  mainCpu: number;
}

/** CPU microseconds per offered row (the same rows for both), median over the reps and [lowest, highest]. */
export interface CpuPerRow {
  writerUs: number;
  writerUsRange: [number, number];
  ceilingUs: number;
  ceilingUsRange: [number, number];
  /** The old INSERT OR IGNORE ceiling, printed beside: the difference is what the writer's checks cost. */
  ignoreCeilingUs: number;
  ignoreCeilingUsRange: [number, number];
}

export interface CompareRun {
  rep: number;
  contender: Contender;
  figures: ContenderFigures;
}

export interface CompareResult {
  machine: MachineSummary;
  date: string;
  command: string;
  options: {
    trades: number;
    collectors: number;
    duplicates: number;
    reps: number;
    rate: string;
    seed: number;
    batchSize: number;
    ceilingTxRows: number;
    ceilingChunkRows: number;
    /** The producer threads' nice value (runLoad's default, as the product's collector threads). */
    collectorNice: number;
  };
  /** What the paced contenders (direct, funnel) were offered: 0 = unpaced (saturation). */
  offeredRate: { rowsPerSec: number; basis: string };
  rotation: string;
  ceilingMethod: string;
  ceilingOrders: { ceiling: string; 'ceiling-sorted': string };
  contenders: Record<Contender, ContenderSummary>;
  /** Ratios of the medians. */
  ratios: CompareRatios;
  /** Median of the per-rep ratios (each rep's contenders ran back to back: robust to slow drifts). */
  pairedRatios: CompareRatios;
  /** Lowest and highest per-rep ratio: how far one rep on this machine can be from the median. */
  pairedRatioRange: Record<keyof CompareRatios, [number, number]>;
  /** CPU µs per offered row of the writing thread, funnel writer vs ceiling: medians and per-rep ranges; null off Linux. */
  cpuPerRow: CpuPerRow | null;
  runs: CompareRun[];
  /** Where the funnel's CPU went, thread by thread (medians over its runs); null off Linux. */
  funnelThreads: FunnelThreads | null;
  /** Everything that makes the figures untrustworthy (stored != unique, failed batches...); empty = sane. */
  problems: string[];
  seconds: number;
}

const LATENCY_MEANING: Record<Contender, string> = {
  ceiling: 'per transaction (BEGIN IMMEDIATE → COMMIT)',
  'ceiling-sorted': 'per transaction (BEGIN IMMEDIATE → COMMIT)',
  'ceiling-ignore': 'per transaction (BEGIN IMMEDIATE → COMMIT)',
  direct: 'per batch, storeTradeData call → return (incl. lock retries)',
  'direct-legacy': 'per batch, storeTradeData call → return (incl. lock retries)',
  funnel: 'per batch, post → ack (commit)',
};

function rssMb(): number {
  return Math.round((process.memoryUsage.rss() / 2 ** 20) * 10) / 10;
}

const CEILING_ENTRY = fileURLToPath(new URL('./ceiling.js', import.meta.url));

/** Runs the ceilings in a child process (own RSS and CPU), returns [funnel order, sorted, INSERT OR IGNORE]. */
async function runCeilingChild(args: string[]): Promise<[CeilingResult, CeilingResult, CeilingResult]> {
  // Compiled JavaScript, as the harness itself: the same code path in either RSS figure.
  const results = await runChildJson<CeilingResult[]>(
    CEILING_ENTRY,
    ['--order', 'both', '--json', ...args],
    'ceiling child',
  );
  if (
    results.length !== 3 ||
    results[0]!.order !== 'funnel' ||
    results[1]!.order !== 'sorted' ||
    results[2]!.statements !== 'insert-or-ignore'
  )
    throw new Error(`unexpected ceiling output: ${JSON.stringify(results).slice(0, 200)}`);
  return [results[0]!, results[1]!, results[2]!];
}

/** The figures the ceiling and load results report alike, under the same names. */
function sharedFigures(
  r: CeilingResult | LoadResult,
): Pick<
  ContenderFigures,
  | 'rowsPerSec'
  | 'seconds'
  | 'closeSeconds'
  | 'journalMode'
  | 'offered'
  | 'unique'
  | 'stored'
  | 'peakRssMb'
  | 'cpuSeconds'
> {
  const { rowsPerSec, seconds, closeSeconds, journalMode, offered, unique, stored, peakRssMb, cpuSeconds } = r;
  return { rowsPerSec, seconds, closeSeconds, journalMode, offered, unique, stored, peakRssMb, cpuSeconds };
}

function fromCeiling(r: CeilingResult): ContenderFigures {
  return {
    ...sharedFigures(r),
    // The thread that ran the statements, measured as the funnel's writer thread is (null off Linux, as the writer's).
    writerCpuSeconds: r.threadCpuSeconds,
    lockErrors: 0,
    busyRetries: 0,
    failedBatches: 0,
    latencyMs: { p50: r.txLatencyMs.p50, p95: r.txLatencyMs.p95, p99: r.txLatencyMs.p99 },
    rssBeforeMb: r.rssBeforeMb,
  };
}

function fromLoad(r: LoadResult, rssBeforeMb: number): ContenderFigures {
  const writer = r.threads?.writer;
  return {
    ...sharedFigures(r),
    writerCpuSeconds: writer ? round(writer.cpuMs / 1000, 3) : null,
    lockErrors: r.lockErrors,
    busyRetries: r.busyRetries,
    failedBatches: r.failedBatches,
    latencyMs: { p50: r.batchLatencyMs.p50, p95: r.batchLatencyMs.p95, p99: r.batchLatencyMs.p99 },
    rssBeforeMb,
  };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function medianFigures(runs: readonly ContenderFigures[]): ContenderFigures {
  const m = (f: (r: ContenderFigures) => number, digits = 2) => round(median(runs.map(f)), digits);
  return {
    rowsPerSec: m((r) => r.rowsPerSec, 0),
    seconds: m((r) => r.seconds, 3),
    closeSeconds: m((r) => r.closeSeconds, 3),
    journalMode: [...new Set(runs.map((r) => r.journalMode))].join('/'),
    offered: m((r) => r.offered, 0),
    unique: m((r) => r.unique, 0),
    stored: m((r) => r.stored, 0),
    lockErrors: m((r) => r.lockErrors, 1),
    busyRetries: m((r) => r.busyRetries, 1),
    failedBatches: m((r) => r.failedBatches, 1),
    latencyMs: {
      p50: m((r) => r.latencyMs.p50, 3),
      p95: m((r) => r.latencyMs.p95, 3),
      p99: m((r) => r.latencyMs.p99, 3),
    },
    peakRssMb: m((r) => r.peakRssMb, 1),
    rssBeforeMb: m((r) => r.rssBeforeMb, 1),
    cpuSeconds: m((r) => r.cpuSeconds, 2),
    writerCpuSeconds: runs.some((r) => r.writerCpuSeconds === null) ? null : m((r) => r.writerCpuSeconds!, 3),
  };
}

function ratiosOf(
  f: Record<Contender, Pick<ContenderFigures, 'rowsPerSec' | 'latencyMs' | 'writerCpuSeconds'>>,
): CompareRatios {
  return {
    funnelOverCeiling: round(f.funnel.rowsPerSec / f.ceiling.rowsPerSec, 3),
    funnelOverCeilingSorted: round(f.funnel.rowsPerSec / f['ceiling-sorted'].rowsPerSec, 3),
    funnelOverDirect: round(f.funnel.rowsPerSec / f.direct.rowsPerSec, 3),
    funnelOverDirectLegacy: round(f.funnel.rowsPerSec / f['direct-legacy'].rowsPerSec, 3),
    p99LatencyFunnelOverDirect: round(f.funnel.latencyMs.p99 / f.direct.latencyMs.p99, 3),
    p99LatencyFunnelOverDirectLegacy: round(f.funnel.latencyMs.p99 / f['direct-legacy'].latencyMs.p99, 3),
    // null (off Linux: no per-thread CPU) → NaN, which the caller reports as not measured.
    writerCpuOverCeilingCpu: round((f.funnel.writerCpuSeconds ?? Number.NaN) / (f.ceiling.writerCpuSeconds ?? 1), 3),
    ceilingCpuOverIgnoreCpu: round((f.ceiling.writerCpuSeconds ?? 1) / (f['ceiling-ignore'].writerCpuSeconds ?? 1), 3),
    writerCpuOverIgnoreCeilingCpu: round(
      (f.funnel.writerCpuSeconds ?? Number.NaN) / (f['ceiling-ignore'].writerCpuSeconds ?? 1),
      3,
    ),
  };
}

/** The median and the range of each ratio over the reps (each rep's own contenders, run back to back). */
export function summarizePerRep(
  perRep: readonly CompareRatios[],
): Pick<CompareResult, 'pairedRatios' | 'pairedRatioRange'> {
  const keys = Object.keys(RATIO_LABEL) as (keyof CompareRatios)[];
  const each = (k: keyof CompareRatios) => perRep.map((r) => r[k]);
  return {
    pairedRatios: Object.fromEntries(keys.map((k) => [k, round(median(each(k)), 3)])) as unknown as CompareRatios,
    pairedRatioRange: Object.fromEntries(
      keys.map((k) => [k, [Math.min(...each(k)), Math.max(...each(k))]]),
    ) as CompareResult['pairedRatioRange'],
  };
}

export function describeRate(rate: RateSpec): string {
  if (rate.kind === 'unpaced') return 'unpaced';
  if (rate.kind === 'absolute') return `${rate.rowsPerSec}`;
  return `${rate.percent}%`;
}

/** Runs every contender `reps` times, rotating A B C …, and summarizes. */
export async function runCompare(o: CompareOptions): Promise<CompareResult> {
  const t0 = performance.now();
  const { runLoad } = await import('./load-run.ts');
  const seed = o.seed ?? 7;
  const batchSize = o.batchSize ?? 200;
  const ceilingTxRows = o.ceilingTxRows ?? DEFAULT_CEILING_TX_ROWS;
  const ceilingChunkRows = o.ceilingChunkRows ?? DEFAULT_CEILING_CHUNK_ROWS;
  const rate = o.rate ?? { kind: 'unpaced' };
  const progress = o.onProgress ?? (() => {});
  const ownDir = !o.workDir;
  const dir = o.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gecko-compare-'));
  fs.mkdirSync(dir, { recursive: true });
  const machine = machineSummary();
  const runs: CompareRun[] = [];
  const funnelThreadRuns: { seconds: number; threads: ThreadReport | null }[] = [];
  let offered = {
    rowsPerSec: rate.kind === 'absolute' ? rate.rowsPerSec : 0,
    basis:
      rate.kind === 'absolute' ? 'absolute (--rate)' : 'unpaced: producers post as fast as acks allow (saturation)',
  };
  let ceilingMethod = '';
  const ceilingOrders = { ceiling: '', 'ceiling-sorted': '' };
  let fileNo = 0;
  const freshDb = (name: string) => path.join(dir, `${String(fileNo++).padStart(3, '0')}-${name}.db`);
  // The database and everything named after it (-wal, -shm, the funnel's .spool…).
  const removeDb = (p: string) => {
    const base = path.basename(p);
    for (const f of fs.readdirSync(path.dirname(p)))
      if (f.startsWith(base)) fs.rmSync(path.join(path.dirname(p), f), { recursive: true, force: true });
  };

  // The funnel order the ceiling replays: recorded after each funnel run (the latest one wins). One left in a
  // caller's workDir by an interrupted run is of no funnel of this run.
  const arrivalFile = path.join(dir, 'funnel-arrival.bin');
  fs.rmSync(arrivalFile, { force: true });
  const ceilingArgs = () => [
    '--trades',
    String(o.trades),
    '--collectors',
    String(o.collectors),
    '--duplicates',
    String(o.duplicates),
    '--seed',
    String(seed),
    '--batch',
    String(batchSize),
    '--tx',
    String(ceilingTxRows),
    '--chunk',
    String(ceilingChunkRows),
    '--dir',
    dir,
    ...(fs.existsSync(arrivalFile) ? ['--arrival', arrivalFile] : []),
  ];
  try {
    if (rate.kind === 'percent-of-ceiling') {
      // The paced funnel runs before any ceiling of rep 1, so the rate comes from a ceiling run of its own.
      const [calibration] = await runCeilingChild(ceilingArgs());
      offered = {
        rowsPerSec: Math.max(1, Math.round((calibration.rowsPerSec * rate.percent) / 100)),
        basis: `${rate.percent}% of a ceiling run made before rep 1, not counted in the medians (${calibration.rowsPerSec} rows/s, planned arrival order)`,
      };
      progress(`calibration: ceiling ${calibration.rowsPerSec} rows/s → offered ${offered.rowsPerSec} rows/s`);
    }
    for (let rep = 1; rep <= o.reps; rep++) {
      let sortedCeiling: CeilingResult | undefined;
      let ignoreCeiling: CeilingResult | undefined;
      for (const contender of rotationFor(rep)) {
        let figures: ContenderFigures;
        if (contender === 'ceiling') {
          const [funnelOrder, sorted, ignore] = await runCeilingChild(ceilingArgs());
          sortedCeiling = sorted;
          ignoreCeiling = ignore;
          ceilingMethod = `${funnelOrder.method}, up to ${funnelOrder.txRows} rows per BEGIN IMMEDIATE … COMMIT, writer pragmas, PASSIVE checkpoint every 5 s (timed) and one at the end (after the clock); own child process`;
          ceilingOrders.ceiling = funnelOrder.orderDescription;
          ceilingOrders['ceiling-sorted'] = sorted.orderDescription;
          figures = fromCeiling(funnelOrder);
        } else if (contender === 'ceiling-sorted') {
          figures = fromCeiling(sortedCeiling!);
        } else if (contender === 'ceiling-ignore') {
          figures = fromCeiling(ignoreCeiling!);
        } else {
          collectGarbage();
          const before = rssMb();
          const dbPath = freshDb(contender);
          const r = await runLoad({
            manager: contender === 'funnel' ? 'funnel' : 'direct',
            ...(contender === 'direct-legacy' ? { dbConfig: LEGACY_DB_CONFIG } : {}),
            collectors: o.collectors,
            trades: o.trades,
            duplicates: o.duplicates,
            dbPath,
            batchSize,
            seed,
            rate: offered.rowsPerSec,
          });
          if (contender === 'funnel') {
            funnelThreadRuns.push({ seconds: r.seconds, threads: r.threads });
            writeArrivalFile(
              arrivalFile,
              recordArrivalOrder(dbPath, {
                trades: o.trades,
                collectors: o.collectors,
                duplicates: o.duplicates,
                seed,
                batchSize,
              }),
            );
          }
          removeDb(dbPath);
          figures = fromLoad(r, before);
        }
        runs.push({ rep, contender, figures });
        progress(
          `rep ${rep}/${o.reps} ${contender.padEnd(14)} ${String(figures.rowsPerSec).padStart(7)} rows/s  p99 ${figures.latencyMs.p99} ms  ` +
            `lock errors ${figures.lockErrors}  stored ${figures.stored}/${figures.unique}  ${figures.seconds}s`,
        );
      }
    }
  } finally {
    fs.rmSync(arrivalFile, { force: true });
    if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
  }

  const contenders = {} as Record<Contender, ContenderSummary>;
  const problems: string[] = [];
  for (const c of CONTENDERS) {
    const mine = runs.filter((r) => r.contender === c).map((r) => r.figures);
    const storedAll = mine.every((f) => f.stored === f.unique);
    if (!storedAll)
      problems.push(`${c}: stored != unique in some run (${mine.map((f) => `${f.stored}/${f.unique}`).join(', ')})`);
    const failed = mine.reduce((a, f) => a + f.failedBatches, 0);
    if (failed) problems.push(`${c}: ${failed} failed batches`);
    contenders[c] = {
      median: medianFigures(mine),
      runs: mine.length,
      storedAll,
      latencyMeaning: c.startsWith('ceiling')
        ? `per transaction of up to ${ceilingTxRows} rows (BEGIN IMMEDIATE → COMMIT)`
        : LATENCY_MEANING[c],
      paced: offered.rowsPerSec > 0 && !c.startsWith('ceiling'),
    };
  }
  if (contenders.funnel.median.lockErrors !== 0)
    problems.push(`funnel: ${contenders.funnel.median.lockErrors} lock errors (median), expected 0`);
  const ratios = ratiosOf(
    Object.fromEntries(CONTENDERS.map((c) => [c, contenders[c].median])) as Record<Contender, ContenderFigures>,
  );
  const perRep: CompareRatios[] = [];
  for (let rep = 1; rep <= o.reps; rep++) {
    const f = Object.fromEntries(runs.filter((r) => r.rep === rep).map((r) => [r.contender, r.figures])) as Record<
      Contender,
      ContenderFigures
    >;
    perRep.push(ratiosOf(f));
  }
  const { pairedRatios, pairedRatioRange } = summarizePerRep(perRep);
  const cpuPerRow = cpuPerRowOf(runs, o.reps);
  for (const [k, v] of Object.entries(ratios))
    if (!Number.isFinite(v) && !(k.startsWith('writerCpuOver') && !cpuPerRow))
      problems.push(`ratio ${k} is not finite (${v})`);

  return {
    machine,
    date: new Date().toISOString(),
    command:
      o.command ??
      `runCompare(${JSON.stringify({ trades: o.trades, collectors: o.collectors, duplicates: o.duplicates, reps: o.reps, rate: describeRate(rate) })})`,
    options: {
      trades: o.trades,
      collectors: o.collectors,
      duplicates: o.duplicates,
      reps: o.reps,
      rate: describeRate(rate),
      seed,
      batchSize,
      ceilingTxRows,
      ceilingChunkRows,
      collectorNice: DEFAULT_COLLECTOR_NICE,
    },
    offeredRate: offered,
    rotation: `odd reps: ${rotationFor(1).join(' → ')}; even reps: ${rotationFor(2).join(' → ')}; ${o.reps} rep(s); a fresh temp database file per run; the ceilings in a child process, replaying the arrival order recorded in the latest funnel run; a GC before each threaded run`,
    ceilingMethod,
    ceilingOrders,
    contenders,
    ratios,
    pairedRatios,
    pairedRatioRange,
    cpuPerRow,
    runs,
    funnelThreads: funnelThreadsOf(funnelThreadRuns),
    problems,
    seconds: round((performance.now() - t0) / 1000, 1),
  };
}

function cpuPerRowOf(runs: readonly CompareRun[], reps: number): CpuPerRow | null {
  const us = (c: Contender) => {
    const per: number[] = [];
    for (let rep = 1; rep <= reps; rep++) {
      const f = runs.find((r) => r.rep === rep && r.contender === c)?.figures;
      if (!f || f.writerCpuSeconds === null) return null;
      per.push((f.writerCpuSeconds * 1e6) / f.offered);
    }
    return per;
  };
  const writer = us('funnel');
  const ceiling = us('ceiling');
  const ignore = us('ceiling-ignore');
  if (!writer || !ceiling || !ignore) return null;
  const range = (xs: number[]): [number, number] => [round(Math.min(...xs), 2), round(Math.max(...xs), 2)];
  return {
    writerUs: round(median(writer), 2),
    writerUsRange: range(writer),
    ceilingUs: round(median(ceiling), 2),
    ceilingUsRange: range(ceiling),
    ignoreCeilingUs: round(median(ignore), 2),
    ignoreCeilingUsRange: range(ignore),
  };
}

function funnelThreadsOf(runs: readonly { seconds: number; threads: ThreadReport | null }[]): FunnelThreads | null {
  if (runs.length === 0 || runs.some((r) => !r.threads?.writer)) return null;
  const rs = runs.map((r) => ({ seconds: r.seconds, threads: r.threads!, writer: r.threads!.writer! }));
  const m = (f: (r: (typeof rs)[number]) => number) => round(median(rs.map(f)), 3);
  return {
    runs: rs.length,
    writerOnCpu: m((r) => r.writer.cpuMs / 1000),
    writerWaitingForCpu: m((r) => r.writer.runQueueMs / 1000),
    writerIdle: m((r) => Math.max(0, r.seconds - (r.writer.cpuMs + r.writer.runQueueMs) / 1000)),
    producersCpu: m((r) => r.threads.producers.cpuMs / 1000),
    otherThreadsCpu: m((r) => r.threads.others.reduce((a, t) => a + t.cpuMs, 0) / 1000),
    mainCpu: m((r) => r.threads.main.cpuMs / 1000),
  };
}

// ------------------------------------------------------------------------------------------ reporting

const LABEL: Record<Contender, string> = {
  ceiling: 'ceiling',
  'ceiling-sorted': 'ceiling (sorted ids)',
  'ceiling-ignore': 'ceiling, INSERT OR IGNORE (old)',
  direct: 'direct (WAL)',
  'direct-legacy': 'direct (old settings)',
  funnel: 'funnel',
};

function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function renderTable(r: CompareResult): string {
  const head =
    '| contender | journal | rows/s | stored / unique | lock errors | busy retries | latency p50 ms | p95 ms | p99 ms | peak RSS MB | CPU s | wall s | close s |';
  const sep = '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|';
  const lines = CONTENDERS.map((c) => {
    const s = r.contenders[c];
    const m = s.median;
    return `| ${LABEL[c]}${s.paced ? ' (paced)' : ''} | ${m.journalMode} | ${fmt(m.rowsPerSec)} | ${fmt(m.stored)} / ${fmt(m.unique)}${s.storedAll ? '' : ' ⚠'} | ${fmt(m.lockErrors)} | ${fmt(m.busyRetries)} | ${fmt(m.latencyMs.p50, 2)} | ${fmt(m.latencyMs.p95, 2)} | ${fmt(m.latencyMs.p99, 2)} | ${fmt(m.peakRssMb)} | ${fmt(m.cpuSeconds, 2)} | ${fmt(m.seconds, 2)} | ${fmt(m.closeSeconds, 2)} |`;
  });
  return [head, sep, ...lines].join('\n');
}

export function renderRatios(r: CompareResult): string {
  const x = (v: number) => `${fmt(v, 3)}×`;
  const lines = (Object.keys(RATIO_LABEL) as (keyof CompareRatios)[]).map((k) => {
    const [lo, hi] = r.pairedRatioRange[k];
    return `| ${RATIO_LABEL[k]} | ${x(r.ratios[k])} | ${x(r.pairedRatios[k])} | ${x(lo)} – ${x(hi)} |`;
  });
  return ['| ratio | of medians | median of per-rep ratios | per-rep range |', '|---|--:|--:|--:|', ...lines].join(
    '\n',
  );
}

/** One line: the writer's and the ceiling's CPU per row, their ratio (median of the per-rep ratios) and ranges. */
export function cpuPerRowLine(r: CompareResult, c: CpuPerRow): string {
  const [lo, hi] = r.pairedRatioRange.writerCpuOverCeilingCpu;
  return (
    `CPU per row: funnel writer thread ${fmt(c.writerUs, 2)} µs (per rep ${fmt(c.writerUsRange[0], 2)}–${fmt(c.writerUsRange[1], 2)}), ` +
    `ceiling with the writer's statements ${fmt(c.ceilingUs, 2)} µs (${fmt(c.ceilingUsRange[0], 2)}–${fmt(c.ceilingUsRange[1], 2)}): ` +
    `writer / ceiling ${fmt(r.pairedRatios.writerCpuOverCeilingCpu, 3)}× (per rep ${fmt(lo, 3)}–${fmt(hi, 3)}; goal ≤ 1.15); ` +
    `old INSERT OR IGNORE ceiling ${fmt(c.ignoreCeilingUs, 2)} µs (${fmt(c.ignoreCeilingUsRange[0], 2)}–${fmt(c.ignoreCeilingUsRange[1], 2)}): ` +
    `the checks cost ${fmt(r.pairedRatios.ceilingCpuOverIgnoreCpu, 3)}×, writer / old ceiling ${fmt(r.pairedRatios.writerCpuOverIgnoreCeilingCpu, 3)}×`
  );
}

export function renderMarkdown(r: CompareResult, svgFile: string): string {
  const o = r.options;
  return `# Funnel vs direct vs the ceiling of one SQLite writer

${r.machine.line}

- command: \`${r.command}\`
- date: ${r.date}
- load: ${fmt(o.trades)} offered trades (${fmt(r.contenders.funnel.median.unique)} unique, ${o.duplicates * 100}% re-polled duplicates), ${o.collectors} producer threads (at nice ${o.collectorNice}, as collector threads; the writer at the process's own), batches of ${o.batchSize}, seed ${o.seed}
- offered rate for direct and funnel: ${r.offeredRate.rowsPerSec ? `${fmt(r.offeredRate.rowsPerSec)} rows/s — ${r.offeredRate.basis}` : r.offeredRate.basis}; the ceiling is never paced
- ${r.rotation}; medians of ${o.reps} run(s) per contender, figure by figure

![throughput and latency per contender](${svgFile})

${renderTable(r)}

${renderRatios(r)}
${r.cpuPerRow ? `\n${cpuPerRowLine(r, r.cpuPerRow)}\n` : ''}
${r.funnelThreads ? renderFunnelThreads(r.funnelThreads, r.contenders) : ''}
Notes
- rows/s = offered rows (duplicates included) ÷ wall seconds from "go" until the last row is committed (the
  ceiling's last COMMIT, the funnel's last ack, direct's last store call returned), the same definition for every
  contender. Shutdown after that (the funnel manager's close, the ceiling's closing checkpoint) is the "close s" column.
- Latency: ceiling ${r.contenders.ceiling.latencyMeaning}; direct ${r.contenders.direct.latencyMeaning}; funnel ${r.contenders.funnel.latencyMeaning}.
- direct (WAL): the old way's code (a connection per producer, check-then-insert, retries on SQLITE_BUSY) on the new
  SQLite settings, i.e. the \`--manager direct\` rollback switch. direct (old settings): the same code as the Python
  collector ran it, on SQLite's own settings (rollback journal, synchronous=FULL): the migration's "before".
- Ceiling method: ${r.ceilingMethod}. Rows generated and validated before the clock starts, bound on it as the writer binds them.
- Ceiling order: ${r.ceilingOrders.ceiling}. Ceiling (sorted ids): ${r.ceilingOrders['ceiling-sorted']}.
- Peak RSS and CPU seconds: direct and funnel are measured process-wide (producer threads and the writer
  thread live in the harness process); the ceilings run in their own child process, whose RSS includes the
  pre-built rows (both orders share one child: the sorted run starts with the funnel-order run's memory).
${r.problems.length ? `\n**Problems:**\n${r.problems.map((p) => `- ${p}`).join('\n')}\n` : ''}`;
}

function renderFunnelThreads(t: FunnelThreads, c: Record<Contender, ContenderSummary>): string {
  const s = (v: number) => fmt(v, 2);
  return `Where the funnel's time went (medians of ${t.runs} run(s), per-thread CPU from /proc), against the ceiling's ${s(c.ceiling.median.cpuSeconds)} CPU s
for the same rows:

| funnel thread | seconds |
|---|--:|
| writer, on a CPU | ${s(t.writerOnCpu)} |
| writer, runnable but waiting for a CPU | ${s(t.writerWaitingForCpu)} |
| writer, idle (nothing queued) | ${s(t.writerIdle)} |
| producers (CPU, all of them) | ${s(t.producersCpu)} |
| checkpointer, V8 platform threads (GC, compiles), libuv (CPU) | ${s(t.otherThreadsCpu)} |
| main thread (CPU) | ${s(t.mainCpu)} |
`;
}

export function renderSvg(r: CompareResult): string {
  const cats = CONTENDERS.map((c) => LABEL[c] + (r.contenders[c].paced ? ' (paced)' : ''));
  const lat = (k: keyof LatencyFigures) => CONTENDERS.map((c) => r.contenders[c].median.latencyMs[k]);
  return renderBarChart({
    title: 'gecko-collector: funnel vs direct vs the ceiling of one SQLite writer',
    subtitle: [
      r.machine.line,
      `${r.options.trades} trades, ${r.options.collectors} collectors, ${r.options.duplicates * 100}% duplicates, medians of ${r.options.reps} rep(s), rate ${r.options.rate}; ${r.date}`,
    ],
    panels: [
      {
        title: 'Throughput',
        unit: 'rows/s, higher is better',
        categories: cats,
        series: [{ name: 'rows/s', values: CONTENDERS.map((c) => r.contenders[c].median.rowsPerSec) }],
      },
      {
        title: 'Batch latency',
        unit: `ms, lower is better; ceiling = per ${r.options.ceilingTxRows}-row transaction`,
        categories: cats,
        scale: 'log',
        series: [
          { name: 'p50', values: lat('p50') },
          { name: 'p95', values: lat('p95') },
          { name: 'p99', values: lat('p99') },
        ],
      },
    ],
  });
}

/** Writes NAME.md and NAME.svg beside it; returns both paths. */
export function writeReport(r: CompareResult, mdPath: string): { md: string; svg: string } {
  const md = path.resolve(mdPath);
  const svg = `${md.replace(/\.md$/i, '')}.svg`;
  fs.mkdirSync(path.dirname(md), { recursive: true });
  fs.writeFileSync(svg, renderSvg(r));
  fs.writeFileSync(md, renderMarkdown(r, path.basename(svg)));
  return { md, svg };
}

// ------------------------------------------------------------------------------------------------ CLI

const USAGE = `usage: npm run bench:compare -- [--trades N] [--collectors N] [--duplicates F] [--reps N] [--rate ROWS_PER_SEC|PERCENT%]
                                [--seed N] [--batch N] [--ceiling-tx ROWS] [--ceiling-chunk ROWS] [--json] [--report PATH.md]`;

export function parseRate(v: string | undefined): RateSpec | string {
  if (v === undefined) return { kind: 'unpaced' };
  const pct = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v);
  if (pct) {
    const percent = Number(pct[1]);
    if (!(percent > 0)) return `--rate percentage must be > 0, got ${JSON.stringify(v)}`;
    return { kind: 'percent-of-ceiling', percent };
  }
  if (!/^\s*\d+\s*$/.test(v))
    return `--rate must be rows/s (an integer >= 0) or a percentage of the ceiling like 50%, got ${JSON.stringify(v)}`;
  const n = Number(v);
  return n === 0 ? { kind: 'unpaced' } : { kind: 'absolute', rowsPerSec: n };
}

async function main(): Promise<void> {
  const { values: args } = parseFlags(process.argv.slice(2), {
    ...LOAD_SHAPE_FLAGS,
    reps: { type: 'string' },
    rate: { type: 'string' },
    seed: { type: 'string' },
    batch: { type: 'string' },
    'ceiling-tx': { type: 'string' },
    'ceiling-chunk': { type: 'string' },
    json: { type: 'boolean' },
    report: { type: 'string' },
  });
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const rate = parseRate(args.rate);
  if (typeof rate === 'string') throw new UsageError(rate);
  if (args.report !== undefined && !/\.md$/i.test(args.report))
    throw new UsageError(`--report must name a .md file (the .svg goes beside it), got ${JSON.stringify(args.report)}`);
  const options: CompareOptions = {
    ...loadShapeFrom(args),
    reps: intFlag('reps', args.reps, 3, 1),
    rate,
    seed: intFlag('seed', args.seed, 7, 0),
    batchSize: intFlag('batch', args.batch, 200, 1),
    ceilingTxRows: intFlag('ceiling-tx', args['ceiling-tx'], DEFAULT_CEILING_TX_ROWS, 1),
    ceilingChunkRows: intFlag('ceiling-chunk', args['ceiling-chunk'], DEFAULT_CEILING_CHUNK_ROWS, 1),
    command: `npm run bench:compare -- ${process.argv.slice(2).join(' ')}`.trim(),
    onProgress: (line) => process.stderr.write(`${line}\n`),
  };
  // The product logs at info to stdout; keep stdout for the result (one JSON object with --json).
  process.env.GECKO_LOG_LEVEL ??= args.json ? 'silent' : 'warn';

  const machine = machineSummary();
  if (!args.json) process.stdout.write(`${machine.line}\n`);
  else process.stderr.write(`${machine.line}\n`);
  const result = await runCompare(options);
  const report = args.report ? writeReport(result, args.report) : undefined;

  if (args.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    process.stdout.write(
      `load: ${result.options.trades} trades, ${result.options.collectors} collectors, ${result.options.duplicates} duplicates, ${result.options.reps} rep(s), offered rate for direct and funnel: ${result.offeredRate.rowsPerSec ? `${result.offeredRate.rowsPerSec} rows/s, ` : ''}${result.offeredRate.basis}\n\n`,
    );
    process.stdout.write(`${renderTable(result)}\n\n`);
    process.stdout.write(`${renderRatios(result)}\ntotal ${result.seconds}s\n`);
    const cpr = result.cpuPerRow;
    if (cpr) process.stdout.write(`${cpuPerRowLine(result, cpr)}\n`);
    const t = result.funnelThreads;
    if (t) {
      process.stdout.write(
        `funnel writer thread: on a CPU ${t.writerOnCpu}s, waiting for a CPU ${t.writerWaitingForCpu}s, idle ${t.writerIdle}s; ` +
          `producers ${t.producersCpu} CPU s; checkpointer, V8 and libuv threads ${t.otherThreadsCpu} CPU s (medians)\n`,
      );
    }
  }
  if (report) process.stderr.write(`report: ${report.md} (+ ${path.basename(report.svg)})\n`);
  if (result.problems.length) {
    process.stderr.write(
      `bench:compare: figures not trustworthy:\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n`,
    );
    process.exitCode = 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await runScript('bench:compare', USAGE, main);
