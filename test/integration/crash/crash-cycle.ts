// One crash cycle as a function (the CLI and the vitest share it): run the collecting child, SIGKILL it at a
// seeded random moment, restart the funnel on the same file (which replays the spool), then check every acked
// batch is wholly present, no batch is half-written, integrity_check is ok and the spool is empty.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { defaultSpoolPath } from '../../../src/spool/spool-location.ts';
import { REPO_ROOT } from '../../support/repo.ts';
import {
  type AckLine,
  batchTradeIds,
  type DisruptMode,
  firstTradeIndex,
  mixedDisrupt,
  parseChildLine,
  seededRandom,
} from './crash-plan.ts';

const CHILD = path.join(import.meta.dirname, 'crash-child.js');
const ROOT = REPO_ROOT;
const STDERR_TAIL = 4000;

export interface CrashCycleOptions {
  dbPath: string;
  cycle: number;
  /** Seeds the kill moment, the drill and the trades. */
  seed: number;
  senders: number;
  /** 'mixed' picks isolate / full / none by cycle number. */
  disrupt?: DisruptMode | 'mixed';
  batchSize?: number;
  pauseMs?: number;
  maxInFlight?: number;
  /** The kill lands uniformly in [min, max] ms after the child's first ACK line. */
  killWindowMs?: readonly [number, number];
  /** Give up (and fail the cycle) if no ACK arrives within this long after the spawn. */
  startTimeoutMs?: number;
  /** Log level for the child's pino logs (kept only as a stderr tail for failures). */
  childLogLevel?: string;
  /**
   * Runs after the restart, before the check; only for the harness's own test, which damages the file here
   * to prove a lost or half-written batch is reported rather than missed.
   */
  tamper?: (dbPath: string, acks: readonly AckLine[]) => void;
}

/** A batch the check found incomplete: enough to rerun and look at it. */
export interface BatchRef {
  worker: number;
  batch: number;
  first: number;
  count: number;
  present: number;
  route: AckLine['route'] | 'unacked';
}

export interface CrashCycleResult {
  cycle: number;
  disrupt: DisruptMode;
  killAfterMs: number;
  /** Which drill spell the kill landed in, if any. */
  killedDuring: DisruptMode | null;
  /** Batches whose ACK line the parent read (every one was acked before the kill). */
  acked: number;
  deferred: number;
  /** Acked batches with all their trades in the database after the restart. */
  present: number;
  /** Acked batches with none of their trades. */
  lost: number;
  /** Batches (acked or not) with some but not all of their trades: a torn transaction. */
  halfWritten: number;
  /** Batches committed before the kill whose ack never made it out: fine, they were never promised. */
  unackedPresent: number;
  /** Acked trades the writer rejected as invalid (expected 0 with synthetic trades). */
  rejected: number;
  /** storeTrades() calls that rejected in the child (the sender got the batch back). */
  sendFailures: number;
  /** Trades in the file not belonging to any batch this check looked at (previous cycles excluded). */
  unaccountedRows: number;
  integrity: string;
  integrityOk: boolean;
  /** Batches the restart's initialize() replayed from the spool. */
  spoolReplayed: number;
  /** Batches still in the spool after that replay (must be 0). */
  spoolLeft: number;
  lostBatches: BatchRef[];
  halfWrittenBatches: BatchRef[];
  /** Set when the child did not behave (exited on its own, never acked, printed garbage). */
  childError: string | null;
  durationMs: number;
  ok: boolean;
}

interface ChildRun {
  acks: AckLine[];
  killAfterMs: number;
  killedDuring: DisruptMode | null;
  sendFailures: number;
  childError: string | null;
}

function resolveDisrupt(d: CrashCycleOptions['disrupt'], cycle: number): DisruptMode {
  return d === undefined || d === 'mixed' ? mixedDisrupt(cycle) : d;
}

/** Runs the child until the kill; resolves with everything it printed. */
async function runChild(o: Required<Omit<CrashCycleOptions, 'tamper'>> & { mode: DisruptMode }): Promise<ChildRun> {
  const random = seededRandom(o.seed * 1_000_003 + o.cycle);
  const [lo, hi] = o.killWindowMs;
  const killAfterMs = Math.round(lo + random() * (hi - lo));
  const args = [
    CHILD,
    '--db',
    o.dbPath,
    '--cycle',
    String(o.cycle),
    '--senders',
    String(o.senders),
    '--batch-size',
    String(o.batchSize),
    '--pause-ms',
    String(o.pauseMs),
    '--in-flight',
    String(o.maxInFlight),
    '--seed',
    String(o.seed),
    '--disrupt',
    o.mode,
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, GECKO_LOG_LEVEL: o.childLogLevel },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-STDERR_TAIL);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );

  const acks: AckLine[] = [];
  let sendFailures = 0;
  let phase: DisruptMode | null = null;
  let killedDuring: DisruptMode | null = null;
  let killed = false;
  let childError: string | null = null;
  let killTimer: NodeJS.Timeout | undefined;
  const kill = (why: string | null) => {
    if (killed) return;
    killed = true;
    if (why) childError = why;
    killedDuring = phase;
    child.kill('SIGKILL');
  };
  const startTimer = setTimeout(() => kill(`no ACK within ${o.startTimeoutMs} ms of the spawn`), o.startTimeoutMs);

  // Read to EOF, not just to the kill: lines written before the kill are still in the pipe and are acks too.
  for await (const line of createInterface({ input: child.stdout })) {
    const m = parseChildLine(line);
    if (m === null) {
      if (line.trim() !== '') childError ??= `unexpected line from the child: ${JSON.stringify(line.slice(0, 200))}`;
      continue;
    }
    if (m.kind === 'ACK') {
      acks.push(m);
      if (acks.length === 1) {
        clearTimeout(startTimer);
        killTimer = setTimeout(() => kill(null), killAfterMs);
      }
    } else if (m.kind === 'PHASE') {
      phase = m.on ? m.mode : null;
    } else if (m.kind === 'FAIL') {
      sendFailures++;
    }
  }
  clearTimeout(startTimer);
  clearTimeout(killTimer);
  const { code, signal } = await exited;
  if (!killed || signal !== 'SIGKILL') {
    childError ??= `child exited on its own (code ${code}, signal ${signal})`;
  }
  if (childError) childError += `; stderr tail: ${stderr.trim().split('\n').slice(-5).join(' | ')}`;
  return { acks, killAfterMs, killedDuring, sendFailures, childError };
}

function countTrades(dbPath: string): number {
  if (!fs.existsSync(dbPath)) return 0;
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const hasTrades = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'trades'").get();
    return hasTrades ? (db.prepare('SELECT count(*) AS n FROM trades').get() as { n: number }).n : 0;
  } finally {
    db.close();
  }
}

/** "The next initialize() after a crash": a fresh funnel on the file replays the spool, then closes cleanly. */
async function restartAndReplay(dbPath: string): Promise<{ replayed: number; left: number }> {
  const manager = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(dbPath) });
  await manager.initialize();
  try {
    return { replayed: manager.replayedTotal, left: manager.deferredDepth().batches };
  } finally {
    await manager.close();
  }
}

/** Batches in the spool file itself, after close (a read-only look, independent of the queue's counters). */
function spoolBatches(dbPath: string): number {
  const spool = defaultSpoolPath(dbPath);
  if (!fs.existsSync(spool)) return 0;
  const db = new Database(spool, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM deferred_batches').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

export async function runCrashCycle(options: CrashCycleOptions): Promise<CrashCycleResult> {
  const t0 = performance.now();
  const o = {
    disrupt: 'mixed' as const,
    batchSize: 20,
    pauseMs: 2,
    maxInFlight: 4,
    killWindowMs: [800, 3000] as const,
    startTimeoutMs: 60_000,
    childLogLevel: 'warn',
    ...options,
  };
  const mode = resolveDisrupt(o.disrupt, o.cycle);
  const rowsBefore = countTrades(o.dbPath);
  const run = await runChild({ ...o, mode });

  const { replayed, left } = await restartAndReplay(o.dbPath);
  const spoolLeft = Math.max(left, spoolBatches(o.dbPath));
  o.tamper?.(o.dbPath, run.acks);

  const db = new Database(o.dbPath, { readonly: true, fileMustExist: true });
  const lostBatches: BatchRef[] = [];
  const halfWrittenBatches: BatchRef[] = [];
  let present = 0;
  let unackedPresent = 0;
  let rowsFound = 0;
  let rejected = 0;
  let integrity: string;
  let rowsAfter: number;
  try {
    const has = db.prepare('SELECT 1 FROM trades WHERE id = ?').pluck();
    const presentIn = (first: number, count: number) =>
      batchTradeIds(first, count, o.seed).reduce((n, id) => n + (has.get(id) ? 1 : 0), 0);

    const ackedBy = new Map<string, AckLine>();
    const lastAcked = new Map<number, number>();
    for (const a of run.acks) {
      ackedBy.set(`${a.worker}/${a.batch}`, a);
      lastAcked.set(a.worker, Math.max(lastAcked.get(a.worker) ?? -1, a.batch));
      rejected += a.rejected;
    }
    // Every batch a sender may have sent: all up to its last ack, then onwards until a run of absent ones
    // longer than its in-flight window (unacked batches may be committed, but must be whole or absent too).
    for (let worker = 0; worker < o.senders; worker++) {
      let absentRun = 0;
      for (let batch = 0; batch <= (lastAcked.get(worker) ?? -1) || absentRun <= o.maxInFlight + 2; batch++) {
        const first = firstTradeIndex(o.cycle, worker, batch, o.batchSize);
        const ack = ackedBy.get(`${worker}/${batch}`);
        const found = presentIn(first, o.batchSize);
        rowsFound += found;
        absentRun = found === 0 ? absentRun + 1 : 0;
        const ref: BatchRef = {
          worker,
          batch,
          first,
          count: o.batchSize,
          present: found,
          route: ack?.route ?? 'unacked',
        };
        if (found > 0 && found < o.batchSize) {
          // A batch the writer partly rejected is acked with fewer rows on purpose; only count the rest as torn.
          if (!(ack && found === o.batchSize - ack.rejected)) halfWrittenBatches.push(ref);
          else present++;
        } else if (ack) {
          if (found === o.batchSize) present++;
          else if (ack.rejected < o.batchSize) lostBatches.push(ref);
        } else if (found === o.batchSize) {
          unackedPresent++;
        }
      }
    }
    integrity = String(db.pragma('integrity_check', { simple: true }));
    rowsAfter = (db.prepare('SELECT count(*) AS n FROM trades').get() as { n: number }).n;
  } finally {
    db.close();
  }

  const integrityOk = integrity === 'ok';
  const result: CrashCycleResult = {
    cycle: o.cycle,
    disrupt: mode,
    killAfterMs: run.killAfterMs,
    killedDuring: run.killedDuring,
    acked: run.acks.length,
    deferred: run.acks.filter((a) => a.route === 'deferred').length,
    present,
    lost: lostBatches.length,
    halfWritten: halfWrittenBatches.length,
    unackedPresent,
    rejected,
    sendFailures: run.sendFailures,
    unaccountedRows: rowsAfter - rowsBefore - rowsFound,
    integrity,
    integrityOk,
    spoolReplayed: replayed,
    spoolLeft,
    lostBatches: lostBatches.slice(0, 20),
    halfWrittenBatches: halfWrittenBatches.slice(0, 20),
    childError: run.childError,
    durationMs: Math.round(performance.now() - t0),
    ok: false,
  };
  result.ok =
    result.lost === 0 &&
    result.halfWritten === 0 &&
    integrityOk &&
    spoolLeft === 0 &&
    result.unaccountedRows === 0 &&
    result.childError === null &&
    result.acked > 0;
  return result;
}

export interface CrashLoopOptions extends Omit<CrashCycleOptions, 'cycle'> {
  cycles: number;
  /** Called after each cycle (the CLI prints as it goes). */
  onCycle?: (result: CrashCycleResult) => void;
}

/** The per-cycle counts, summed over the cycles. */
export interface CrashLoopTotal
  extends Pick<
    CrashCycleResult,
    'acked' | 'deferred' | 'present' | 'lost' | 'halfWritten' | 'unackedPresent' | 'spoolReplayed'
  > {
  cycles: number;
  /** Cycles whose kill landed while the drill had batches going to the spool. */
  killsDuringDrill: number;
  /** True when integrity_check was ok after every cycle. */
  integrityOk: boolean;
  ok: boolean;
  durationMs: number;
}

export async function runCrashLoop(
  options: CrashLoopOptions,
): Promise<{ cycles: CrashCycleResult[]; total: CrashLoopTotal }> {
  const t0 = performance.now();
  const { cycles: n, onCycle, ...rest } = options;
  const cycles: CrashCycleResult[] = [];
  for (let cycle = 0; cycle < n; cycle++) {
    const r = await runCrashCycle({ ...rest, cycle });
    cycles.push(r);
    onCycle?.(r);
  }
  const sum = (k: keyof CrashCycleResult) => cycles.reduce((s, c) => s + (c[k] as number), 0);
  const total: CrashLoopTotal = {
    cycles: cycles.length,
    acked: sum('acked'),
    deferred: sum('deferred'),
    present: sum('present'),
    lost: sum('lost'),
    halfWritten: sum('halfWritten'),
    unackedPresent: sum('unackedPresent'),
    spoolReplayed: sum('spoolReplayed'),
    killsDuringDrill: cycles.filter((c) => c.killedDuring !== null).length,
    integrityOk: cycles.every((c) => c.integrityOk),
    ok: cycles.every((c) => c.ok),
    durationMs: Math.round(performance.now() - t0),
  };
  return { cycles, total };
}
