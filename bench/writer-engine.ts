// `npm run bench:writer -- [--trades 200000] [--collectors 8] [--duplicates 0.3] [--reps 3] [--json]`
//
// The writer's engine alone, in this one thread, against the ceiling on the same rows: where the funnel's
// gap to the ceiling comes from once threads, ports and the second core are out of the picture. The engine
// (GroupCommitWriter) gets the batches as the producers send them, in the planned arrival order, one
// full group commit at a time (saturation), with the id sort off and on; the ceiling runs the same rows in
// transactions of the same size. The variants take turns transaction by transaction, each on its own file
// (rotating who goes first), and each one's time is summed over its own transactions: on a shared machine the
// other tenants' load comes in bursts of seconds, which whole-run alternation cannot cancel and this does.
// Engine time includes validating each batch, which the ceiling does before its clock starts.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { intFlag, parseFlags, runScript } from '../src/cli/command.ts';
import { componentLogger } from '../src/logging/logger.ts';
import type { AckMessage, WriterToCollector } from '../src/protocol/messages.ts';
import type { TradeRecord } from '../src/protocol/records.ts';
import { syntheticTrade } from '../src/sim/synthetic-trades.ts';
import { sqliteEngineOn } from '../src/storage/sqlite/write-engine.ts';
import { GroupCommitWriter } from '../src/writer/group-commit-writer.ts';
import { roundRobinOrder } from './arrival-order.ts';
import {
  type CeilingRows,
  DEFAULT_CEILING_CHUNK_ROWS,
  DEFAULT_CEILING_TX_ROWS,
  openAsWriter,
  planCeilingTransactions,
  prepareCeilingRows,
} from './ceiling.ts';
import { median } from './compare.ts';
import { LOAD_SHAPE_FLAGS, loadShapeFrom } from './load-shape-flags.ts';
import { machineSummary } from './machine.ts';
import { round } from './rounding.ts';

export type EngineVariant = 'ceiling' | 'engine' | 'engine-sorted';
const VARIANTS: readonly EngineVariant[] = ['ceiling', 'engine', 'engine-sorted'];

export interface EngineRun {
  variant: EngineVariant;
  rowsPerSec: number;
  cpuSeconds: number;
  stored: number;
}

export interface EngineOptions {
  trades: number;
  collectors: number;
  duplicates: number;
  reps: number;
  batchSize?: number;
  seed?: number;
  onProgress?: (line: string) => void;
}

/** The producers' batches in the planned round-robin arrival order (the ceiling's rows come in the same one). */
function arrivalBatches(o: EngineOptions): TradeRecord[][] {
  return roundRobinOrder(o.trades, o.collectors, o.duplicates, o.batchSize ?? 200).batches.map(({ indices }) =>
    indices.map((k) => syntheticTrade(k, { seed: o.seed ?? 7 })),
  );
}

/** One variant on its own database file, run transaction by transaction. */
interface Stepper {
  step(t: number): Promise<void> | void;
  checkpoint(): void;
  /** Closes the file; returns the rows stored. */
  close(): Promise<number>;
}

function storedIn(db: Database.Database): number {
  return db.prepare('SELECT count(*) FROM trades').pluck().get() as number;
}

/** The engine, fed `perStep` batches per step, each step awaited until every batch in it is acked. */
function engineStepper(dbPath: string, sort: boolean, batches: TradeRecord[][], perStep: number): Stepper {
  const { db, settings } = openAsWriter(dbPath, { sortGroupById: sort });
  const log = componentLogger('bench-writer');
  const engine = new GroupCommitWriter(sqliteEngineOn(db, settings, log), settings, log);
  // Copies made before any clock runs, as a port delivers one per message: no variant sees strings another touched.
  const own = batches.map((b) => structuredClone(b));
  return {
    step: (t) =>
      new Promise<void>((resolve, reject) => {
        const mine = own.slice(t * perStep, (t + 1) * perStep);
        let replies = 0;
        const onReply = (m: WriterToCollector) => {
          if (m.kind === 'nack') reject(new Error(`batch ${m.batchId} nacked: ${m.error.message}`));
          else if ((m as AckMessage).rejected.length)
            reject(new Error(`batch ${m.batchId}: ${(m as AckMessage).rejected[0]!.reason}`));
          else if (++replies === mine.length) resolve();
        };
        mine.forEach((trades, k) => engine.enqueue({ kind: 'write', batchId: t * perStep + k, trades }, onReply));
      }),
    checkpoint: () => void db.pragma('wal_checkpoint(PASSIVE)'),
    close: async () => {
      await engine.whenIdle();
      const stored = storedIn(db);
      await engine.close();
      return stored;
    },
  };
}

function ceilingStepper(dbPath: string, rows: CeilingRows, txRows: number): Stepper {
  const { db } = openAsWriter(dbPath);
  const plan = planCeilingTransactions(db, rows, txRows, DEFAULT_CEILING_CHUNK_ROWS);
  return {
    // The producers' last batches are short: the engine may take one step more than the ceiling has transactions.
    step: (t) => void (t < plan.transactions && plan.run(t)),
    checkpoint: () => void db.pragma('wal_checkpoint(PASSIVE)'),
    close: async () => {
      const stored = storedIn(db);
      db.close();
      return stored;
    },
  };
}

/** Untimed checkpoints this often (in steps), the same for every variant: keeps the WAL files bounded. */
const CHECKPOINT_EVERY_STEPS = 8;

export async function runWriterEngineBench(o: EngineOptions): Promise<{
  runs: EngineRun[];
  medians: Record<EngineVariant, { rowsPerSec: number; cpuSeconds: number }>;
  unique: number;
  rowsPerTransaction: number;
}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gecko-writer-bench-'));
  try {
    const batchSize = o.batchSize ?? 200;
    const batches = arrivalBatches(o);
    const ceilingRows = prepareCeilingRows({
      trades: o.trades,
      collectors: o.collectors,
      duplicates: o.duplicates,
      seed: o.seed ?? 7,
      batchSize,
    });
    // Whole batches per group commit, as many as the writer's bound takes; the ceiling commits as many rows.
    const perStep = Math.max(1, Math.floor(DEFAULT_CEILING_TX_ROWS / batchSize));
    const rowsPerTransaction = perStep * batchSize;
    const steps = Math.ceil(batches.length / perStep);
    const runs: EngineRun[] = [];
    let n = 0;
    for (let rep = 0; rep < o.reps; rep++) {
      const steppers = VARIANTS.map((variant) => {
        const dbPath = path.join(dir, `run-${n++}.db`);
        return variant === 'ceiling'
          ? ceilingStepper(dbPath, ceilingRows, rowsPerTransaction)
          : engineStepper(dbPath, variant === 'engine-sorted', batches, perStep);
      });
      const wallMs = VARIANTS.map(() => 0);
      const cpuUs = VARIANTS.map(() => 0);
      for (let t = 0; t < steps; t++) {
        for (let k = 0; k < VARIANTS.length; k++) {
          const v = (t + k) % VARIANTS.length;
          const cpu0 = process.cpuUsage();
          const t0 = performance.now();
          await steppers[v]!.step(t);
          wallMs[v]! += performance.now() - t0;
          const cpu = process.cpuUsage(cpu0);
          cpuUs[v]! += cpu.user + cpu.system;
        }
        if ((t + 1) % CHECKPOINT_EVERY_STEPS === 0) for (const s of steppers) s.checkpoint();
      }
      for (let v = 0; v < VARIANTS.length; v++) {
        const stored = await steppers[v]!.close();
        const r: EngineRun = {
          variant: VARIANTS[v]!,
          rowsPerSec: Math.round(ceilingRows.offered / (wallMs[v]! / 1000)),
          cpuSeconds: round(cpuUs[v]! / 1e6, 3),
          stored,
        };
        runs.push(r);
        o.onProgress?.(
          `rep ${rep + 1}/${o.reps} ${r.variant.padEnd(14)} ${String(r.rowsPerSec).padStart(7)} rows/s  cpu ${r.cpuSeconds.toFixed(2)} s  stored ${r.stored}`,
        );
      }
      for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { force: true });
    }
    const medians = Object.fromEntries(
      VARIANTS.map((v) => {
        const mine = runs.filter((r) => r.variant === v);
        return [
          v,
          {
            rowsPerSec: Math.round(median(mine.map((r) => r.rowsPerSec))),
            cpuSeconds: round(median(mine.map((r) => r.cpuSeconds)), 3),
          },
        ];
      }),
    ) as Record<EngineVariant, { rowsPerSec: number; cpuSeconds: number }>;
    return { runs, medians, unique: ceilingRows.unique, rowsPerTransaction };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const USAGE =
  'usage: npm run bench:writer -- [--trades 200000] [--collectors 8] [--duplicates 0.3] [--reps 3] [--json]';

async function main(): Promise<void> {
  const { values: args } = parseFlags(process.argv.slice(2), {
    ...LOAD_SHAPE_FLAGS,
    reps: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const o: EngineOptions = {
    ...loadShapeFrom(args),
    reps: intFlag('reps', args.reps, 3, 1),
    onProgress: (line) => process.stderr.write(`${line}\n`),
  };
  const machine = machineSummary();
  process.stderr.write(`${machine.line}\n`);
  const r = await runWriterEngineBench(o);
  const ratio = (v: EngineVariant) => round(r.medians[v].rowsPerSec / r.medians.ceiling.rowsPerSec, 3);
  const ratios = { engineOverCeiling: ratio('engine'), engineSortedOverCeiling: ratio('engine-sorted') };
  if (args.json) {
    process.stdout.write(
      `${JSON.stringify({ machine, options: { ...o, onProgress: undefined }, unique: r.unique, rowsPerTransaction: r.rowsPerTransaction, medians: r.medians, ratios, runs: r.runs })}\n`,
    );
    return;
  }
  process.stdout.write(
    `${machine.line}\n${o.trades} trades (${r.unique} unique), ${o.collectors} producers' planned (round-robin) arrival order, ${r.rowsPerTransaction} rows per transaction, turns taken transaction by transaction, medians of ${o.reps}\n`,
  );
  for (const v of VARIANTS)
    process.stdout.write(
      `${v.padEnd(14)} ${String(r.medians[v].rowsPerSec).padStart(7)} rows/s  cpu ${r.medians[v].cpuSeconds.toFixed(2)} s\n`,
    );
  process.stdout.write(
    `engine / ceiling ${ratios.engineOverCeiling}; sorted engine / ceiling ${ratios.engineSortedOverCeiling}\n`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await runScript('bench/writer-engine', USAGE, main);
