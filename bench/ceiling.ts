// The ceiling: what ONE SQLite writer can do on this machine with nothing else in the way. One thread, one
// connection, the same schema + indexes (migrate) and the same pragmas as the funnel's writer, the rows
// generated and validated BEFORE the clock starts (pre-checked rows), then, on the clock, bound as the writer
// binds them (its writeTradeBindValues into one reused parameter array per multi-row INSERT: the checked values,
// the amounts as numbers for the NUMERIC columns) and stored with the writer's own statements (statements
// 'writer', the default: foreign keys on, the conflict comparison of its ON CONFLICT
// clause, and one cursor move through the cursor guard per producer batch, as the funnel's load sends one), so a
// funnel/ceiling ratio measures only what the funnel adds. CPU is the one thread's that runs the statements
// (/proc/thread-self/schedstat, the source of the funnel writer thread's figure), the process's beside it. Statements 'insert-or-ignore' is the old ceiling
// (no checks beyond the foreign key): the two side by side are the cost of the checks. Either way the fastest
// method found (prepared multi-row `… VALUES (…)×50` in BEGIN IMMEDIATE transactions of
// up to the writer's group-commit bound, 5000 rows: on this 2-core VM, measured with --sweep, ×50 beat
// single-row inserts by ~1.4× and 5000-row transactions beat 200-row ones by ~1.2–1.5×; with 200-row
// transactions the funnel, which group-commits up to 5000 rows, could beat the "ceiling").
//
// Order matters for a TEXT primary key (B-tree page splits), so the rows go in in a stated order:
//   'funnel': the SAME rows in the order the funnel's writer stored them: recorded from a funnel run
//             (--arrival, written by bench:compare; see arrival-order.ts), else as planned: the producers'
//             200-row batches interleaved round-robin (p0 b0, p1 b0, … pN b0, p0 b1, …);
//   'sorted': the same rows sorted by trade id: the best case.
//
// `node dist/bench/ceiling.js [--trades N] [--collectors N] [--duplicates F] [--order funnel|sorted]
//                           [--arrival FILE] [--tx ROWS] [--chunk ROWS] [--sweep] [--json]`
// --sweep tries the insert methods (single-row vs multi-row ×50/×100/×200, transactions of 200…5000 rows)
// on both orders and prints rows/s for each: how the default method was chosen.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { UsageError } from '../src/cli/cli-error.ts';
import { choiceFlag, intFlag, parseFlags, runScript } from '../src/cli/command.ts';
import { summarize } from '../src/common/latency-recorder.ts';
import {
  type DatabaseConfig,
  DEFAULT_DATABASE_CONFIG,
  resolveDatabaseConfig,
  writerSettingsFrom,
} from '../src/config/database-config.ts';
import type { LatencySummary } from '../src/protocol/messages.ts';
import type { CursorUpdate } from '../src/protocol/records.ts';
import type { WriterSettings } from '../src/protocol/writer-settings.ts';
import { syntheticTrade } from '../src/sim/synthetic-trades.ts';
import { applyWriteConnectionSettings } from '../src/storage/sqlite/connection-settings.ts';
import { migrate } from '../src/storage/sqlite/schema-migrations.ts';
import {
  CREATED_AT_PARAM,
  storedTimestamp,
  TRADE_BIND_VALUES,
  tradeInsertSql,
  tradeWriteSql,
  WriteStatements,
  writeTradeBindValues,
} from '../src/storage/sqlite/trade-statements.ts';
import { latestAcceptedTime, TRADE_FIELDS, validateTrade } from '../src/trades/trade-validation.ts';
import { type ArrivalOrder, readArrivalFile, roundRobinOrder } from './arrival-order.ts';
import { LOAD_SHAPE_FLAGS, loadShapeFrom } from './load-shape-flags.ts';
import { round, roundSummary } from './rounding.ts';
import { ownThreadTimes, timesBetween } from './thread-cpu.ts';

export type CeilingOrder = 'funnel' | 'sorted';
/** The writer's statements (conflict comparison, cursor guard), or the old plain INSERT OR IGNORE. */
export type CeilingStatements = 'writer' | 'insert-or-ignore';

export interface CeilingOptions {
  /** Offered trades (duplicates included), as runLoad's `trades`. */
  trades: number;
  collectors: number;
  duplicates: number;
  /** Absolute path of a NEW database file. */
  dbPath: string;
  seed?: number;
  order?: CeilingOrder;
  /** Rows per BEGIN IMMEDIATE … COMMIT (default 5000: the writer's groupCommitMaxRows; 200 = one production batch). */
  txRows?: number;
  /** Rows per multi-row INSERT statement (default 50); 1 = prepared single-row inserts. */
  chunkRows?: number;
  /** The producers' batch size, which sets the funnel interleaving (default 200, as runLoad). */
  batchSize?: number;
  /** The funnel's recorded arrival order (arrival-order.ts); without it, the planned round-robin one. */
  arrival?: ArrivalOrder;
  /** Default 'writer'. */
  statements?: CeilingStatements;
  /**
   * Mirror the writer's WAL policy (wal_autocheckpoint off, a PASSIVE checkpoint at least every 5 s under
   * load, inside the timed part; one at close, after it, as the funnel's shutdown). Default true.
   */
  checkpoints?: boolean;
}

export interface CeilingResult {
  order: CeilingOrder;
  statements: CeilingStatements;
  /** Cursor moves through the guard (writer statements: one per producer batch). */
  cursors: number;
  orderDescription: string;
  method: string;
  txRows: number;
  chunkRows: number;
  offered: number;
  unique: number;
  /** Rows in the table afterwards (must equal `unique`). */
  stored: number;
  /** Rows the INSERTs reported as new (sum of changes). */
  inserted: number;
  transactions: number;
  checkpoints: number;
  /** Start → last COMMIT. */
  seconds: number;
  /** The closing checkpoint, after the clock stopped. */
  closeSeconds: number;
  journalMode: string;
  /** Offered rows / second, the same definition as runLoad's rowsPerSec. */
  rowsPerSec: number;
  /** Wall time of each transaction, BEGIN IMMEDIATE → COMMIT. */
  txLatencyMs: LatencySummary;
  cpuSeconds: number;
  /**
   * CPU of the thread that ran the statements over the timed part, from /proc/thread-self/schedstat (as the funnel's
   * writer thread is measured); null off Linux. What writerCpuOverCeilingCpu divides by.
   */
  threadCpuSeconds: number | null;
  /** cpuSeconds split: user and system (the kernel's part: SQLite's WAL and checkpoint I/O). */
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
  peakRssMb: number;
  /** Process RSS when the clock started (the pre-built rows are in memory by then). */
  rssBeforeMb: number;
  /** Seconds spent generating + validating rows before the clock started (not in `seconds`). */
  prepareSeconds: number;
}

/** Rows ready to bind, in the chosen order. Rebuildable at will: trades are deterministic per (index, seed). */
export interface CeilingRows {
  order: CeilingOrder;
  orderDescription: string;
  offered: number;
  unique: number;
  /** The checked values (TradeRow, validateTrade's) per offered row, in insert order; bound on the clock. */
  rows: unknown[][];
  /** The created_at every row gets (bound by name, once per statement, as the writer binds it). */
  createdAt: string;
  /** Trade indices in insert order (for tests and for the record). */
  indices: number[];
  /** Rows per producer batch: the writer's statements move one cursor after each this many rows. */
  batchSize: number;
  /** Per row, in insert order, the cursor its producer batch would send when the row ends one. */
  cursorOf: (k: number) => CursorUpdate;
  prepareSeconds: number;
}

const FORCED_CHECKPOINT_EVERY_MS = 5000; // as src/writer/wal-checkpoints.ts
/** The biggest transaction the funnel's writer commits (DatabaseConfig.groupCommitMaxRows default). */
export const DEFAULT_CEILING_TX_ROWS = DEFAULT_DATABASE_CONFIG.groupCommitMaxRows;
export const DEFAULT_CEILING_CHUNK_ROWS = 50;

export function describeOrder(
  order: CeilingOrder,
  collectors: number,
  batchSize = 200,
  arrival?: ArrivalOrder,
): string {
  if (order === 'sorted')
    return 'sorted by trade id (best case: every insert appends to the right edge of the primary-key B-tree)';
  if (arrival) {
    const pairs = arrival.batches.length - 1;
    return `funnel arrival order, recorded: the ${batchSize}-row batches in the order the funnel's writer stored them in a funnel run of this load (read back from the rowids of its trades); ${arrival.sameProducerNeighbours} of ${pairs} neighbouring batches came from the same producer`;
  }
  return `funnel arrival order as planned (not recorded): the ${collectors} producers' streams (planProducers: own share, the neighbour's repeats spread through it) cut into ${batchSize}-row batches and interleaved round-robin (producer 0 batch 0, producer 1 batch 0, …, producer ${collectors - 1} batch 0, producer 0 batch 1, …)`;
}

/** Generates and validates every offered trade, in `order`. Not timed by runCeiling. */
export function prepareCeilingRows(
  o: Pick<CeilingOptions, 'trades' | 'collectors' | 'duplicates' | 'seed' | 'order' | 'batchSize' | 'arrival'>,
): CeilingRows {
  const t0 = performance.now();
  const batchSize = o.batchSize ?? 200;
  const seed = o.seed ?? 7;
  const { indices, unique } = o.arrival ?? roundRobinOrder(o.trades, o.collectors, o.duplicates, batchSize);
  const createdAt = storedTimestamp();
  const rows: unknown[][] = [];
  for (let k = 0; k < indices.length; k++) {
    const v = validateTrade(syntheticTrade(indices[k]!, { seed }), k);
    if (!v.ok) throw new Error(`synthetic trade ${indices[k]} failed validation: ${v.reason}`);
    // Checked values, as the writer's row checks leave them: binding them (amounts as numbers) is on the clock.
    rows.push(v.row);
  }
  const funnel: CeilingRows = {
    order: 'funnel',
    orderDescription: describeOrder('funnel', o.collectors, batchSize, o.arrival),
    offered: indices.length,
    unique,
    rows,
    createdAt,
    indices,
    batchSize,
    cursorOf: (k) => cursorFor(rows[k]!, createdAt),
    prepareSeconds: (performance.now() - t0) / 1000,
  };
  return (o.order ?? 'funnel') === 'sorted' ? sortRowsById(funnel) : funnel;
}

/** The cursor a producer sends after a batch ending with this row (checked values: id, pool, …, block time). */
function cursorFor(row: unknown[], polledAt: string): CursorUpdate {
  return {
    poolId: row[1] as string,
    lastTradeId: row[0] as string,
    lastTradeTimestamp: row[TRADE_FIELDS - 1] as string,
    polledAt,
  };
}

/** The same rows sorted by trade id (no regeneration; row arrays are shared). */
export function sortRowsById(data: CeilingRows): CeilingRows {
  const t0 = performance.now();
  const id = (k: number) => data.rows[k]![0] as string;
  const perm = data.rows.map((_, k) => k);
  // Same comparison as the writer's sortGroupById (code-unit order, as SQLite's BINARY collation for ASCII).
  perm.sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
  return {
    ...data,
    order: 'sorted',
    orderDescription: describeOrder('sorted', 0),
    rows: perm.map((k) => data.rows[k]!),
    indices: perm.map((k) => data.indices[k]!),
    cursorOf: (k) => data.cursorOf(perm[k]!),
    prepareSeconds: data.prepareSeconds + (performance.now() - t0) / 1000,
  };
}

/**
 * A file opened as the funnel's writer opens it: the writer's settings from DatabaseConfig defaults (plus
 * `config`), applied to the connection, then the schema. The ceiling and bench:writer's engine both start here.
 */
export function openAsWriter(
  dbPath: string,
  config: Partial<DatabaseConfig> = {},
): { db: Database.Database; settings: WriterSettings } {
  const settings = writerSettingsFrom(
    resolveDatabaseConfig({ ...DEFAULT_DATABASE_CONFIG, ...config, url: `sqlite:///${dbPath}` }),
  );
  const db = new Database(dbPath);
  try {
    applyWriteConnectionSettings(db, settings, 'funnel-writer');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return { db, settings };
}

/** The ceiling's inserts on an open connection, ready to run one transaction at a time. */
export interface CeilingTransactions {
  transactions: number;
  /** Cursor moves the transactions make in all (0 with INSERT OR IGNORE). */
  cursors: number;
  /** BEGIN IMMEDIATE, the inserts of transaction `t`, COMMIT; returns the rows inserted. */
  run(t: number): number;
}

/**
 * Prepares the statements (one per chunk size needed) and plans every chunk's rows up front; running a transaction
 * builds each chunk's parameters from its checked rows as the writer does (writeTradeBindValues into a parameter
 * array reused per chunk size, the amounts' Number() among them), binds and steps. The writer's own statements: trade values anonymous, created_at by name, its
 * ON CONFLICT comparison, and after each producer batch its cursor through the guard; or the old INSERT OR IGNORE.
 * The trades' pools rows are added here, before any clock starts (the writer adds them in its transactions);
 * the foreign key check of every inserted row stays in both.
 */
export function planCeilingTransactions(
  db: Database.Database,
  data: CeilingRows,
  txRows: number,
  chunkRows: number,
  kind: CeilingStatements = 'writer',
): CeilingTransactions {
  // First: the writer's ON CONFLICT clause calls the function this registers.
  const pools = new WriteStatements(db);
  const statements = new Map<number, Database.Statement>();
  const insertOf = (n: number) => {
    let s = statements.get(n);
    if (!s) {
      s = db.prepare(kind === 'writer' ? tradeWriteSql(n) : tradeInsertSql('INSERT OR IGNORE', n));
      statements.set(n, s);
    }
    return s;
  };
  // A chunk never crosses a producer batch, so a cursor can follow the chunk that ends its batch.
  const cursorEvery = kind === 'writer' ? data.batchSize : 0;
  type Chunk = { stmt: Database.Statement; from: number; to: number; params: unknown[]; cursor?: CursorUpdate };
  const plan: Chunk[][] = [];
  // One parameter array per chunk size, as the writer keeps them (group-records.ts).
  const paramArrays = new Map<number, unknown[]>();
  const paramsFor = (n: number) => {
    let a = paramArrays.get(n);
    if (!a) {
      a = new Array(n * TRADE_BIND_VALUES);
      paramArrays.set(n, a);
    }
    return a;
  };
  const rows = data.rows;
  db.transaction(() => {
    for (const poolId of new Set(rows.map((r) => r[1] as string))) pools.ensurePool(poolId, data.createdAt);
  })();
  let cursors = 0;
  for (let t = 0; t < rows.length; t += txRows) {
    const tx: Chunk[] = [];
    const txEnd = Math.min(t + txRows, rows.length);
    for (let c = t; c < txEnd; ) {
      let cEnd = Math.min(c + chunkRows, txEnd);
      if (cursorEvery > 0) cEnd = Math.min(cEnd, (Math.floor(c / cursorEvery) + 1) * cursorEvery);
      const endsBatch = cursorEvery > 0 && (cEnd % cursorEvery === 0 || cEnd === rows.length);
      tx.push({
        stmt: insertOf(cEnd - c),
        from: c,
        to: cEnd,
        params: paramsFor(cEnd - c),
        ...(endsBatch ? { cursor: data.cursorOf(cEnd - 1) } : {}),
      });
      if (endsBatch) cursors++;
      c = cEnd;
    }
    plan.push(tx);
  }
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const named = { [CREATED_AT_PARAM]: data.createdAt };
  const latest = latestAcceptedTime(DEFAULT_DATABASE_CONFIG.maxClockSkewMs);
  return {
    transactions: plan.length,
    cursors,
    run(t) {
      let inserted = 0;
      begin.run();
      for (const { stmt, from, to, params, cursor } of plan[t]!) {
        for (let k = from, p = 0; k < to; k++) p = writeTradeBindValues(params, p, rows[k]!, 0);
        inserted += stmt.run(params, named).changes;
        if (cursor && !pools.upsertCursor(cursor, data.createdAt, latest))
          throw new Error(`the cursor of pool ${cursor.poolId} found no stored trade`);
      }
      commit.run();
      return inserted;
    },
  };
}

/**
 * One ceiling run into a fresh file. `prepared` may be passed to reuse rows across runs (it must match
 * the options' order); otherwise they are built here, before the clock starts.
 */
export function runCeiling(o: CeilingOptions, prepared?: CeilingRows): CeilingResult {
  const order = o.order ?? 'funnel';
  const kind = o.statements ?? 'writer';
  const txRows = o.txRows ?? DEFAULT_CEILING_TX_ROWS;
  const chunkRows = Math.min(o.chunkRows ?? DEFAULT_CEILING_CHUNK_ROWS, txRows);
  const checkpoints = o.checkpoints ?? true;
  if (!Number.isInteger(txRows) || txRows < 1) throw new RangeError(`txRows must be an integer >= 1, got ${txRows}`);
  if (!Number.isInteger(chunkRows) || chunkRows < 1)
    throw new RangeError(`chunkRows must be an integer >= 1, got ${chunkRows}`);
  if (fs.existsSync(o.dbPath))
    throw new Error(`${o.dbPath} already exists; the ceiling counts rows, give it a new file`);
  const data = prepared ?? prepareCeilingRows(o);
  if (data.order !== order) throw new Error(`prepared rows are in ${data.order} order, options ask for ${order}`);

  const { db } = openAsWriter(o.dbPath);
  try {
    const plan = planCeilingTransactions(db, data, txRows, chunkRows, kind);
    const txMs: number[] = new Array(plan.transactions);
    let inserted = 0;
    let checkpointCount = 0;
    const rssBefore = process.memoryUsage.rss();
    let peakRss = rssBefore;

    const thread0 = ownThreadTimes();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let lastCheckpoint = t0;
    for (let t = 0; t < plan.transactions; t++) {
      const s = performance.now();
      inserted += plan.run(t);
      const e = performance.now();
      txMs[t] = e - s;
      if (checkpoints && e - lastCheckpoint > FORCED_CHECKPOINT_EVERY_MS) {
        db.pragma('wal_checkpoint(PASSIVE)');
        checkpointCount++;
        lastCheckpoint = performance.now();
      }
      if ((t & 63) === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }
    // The clock stops at the last COMMIT, as the funnel's stops at its last ack; the closing checkpoint is
    // reported apart (closeSeconds), as the funnel's shutdown is.
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const thread1 = ownThreadTimes();
    const c0 = performance.now();
    if (checkpoints) {
      db.pragma('wal_checkpoint(PASSIVE)');
      checkpointCount++;
    }
    const closeSeconds = (performance.now() - c0) / 1000;
    peakRss = Math.max(peakRss, process.memoryUsage.rss());

    const stored = (db.prepare('SELECT count(*) AS n FROM trades').get() as { n: number }).n;
    const lat = summarize(txMs);
    const verb = kind === 'writer' ? "the writer's INSERT … ON CONFLICT (conflict comparison)" : 'INSERT OR IGNORE';
    return {
      order,
      statements: kind,
      cursors: plan.cursors,
      orderDescription: data.orderDescription,
      method:
        (chunkRows === 1 ? `prepared single-row ${verb}` : `prepared multi-row ${verb} … VALUES ×${chunkRows}`) +
        (kind === 'writer' ? `, a cursor through the guard every ${data.batchSize} rows` : ''),
      txRows,
      chunkRows,
      offered: data.offered,
      unique: data.unique,
      stored,
      inserted,
      transactions: plan.transactions,
      checkpoints: checkpointCount,
      seconds: round(seconds, 3),
      closeSeconds: round(closeSeconds, 3),
      journalMode: db.pragma('journal_mode', { simple: true }) as string,
      rowsPerSec: Math.round(data.offered / seconds),
      txLatencyMs: roundSummary(lat, 3),
      cpuSeconds: round((cpu.user + cpu.system) / 1e6, 2),
      threadCpuSeconds: thread0 && thread1 ? round(timesBetween(thread0.times, thread1.times).cpuMs / 1000, 3) : null,
      cpuUserSeconds: round(cpu.user / 1e6, 2),
      cpuSystemSeconds: round(cpu.system / 1e6, 2),
      peakRssMb: round(peakRss / 2 ** 20, 1),
      rssBeforeMb: round(rssBefore / 2 ** 20, 1),
      prepareSeconds: round(data.prepareSeconds, 3),
    };
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------- CLI

const USAGE = `usage: node dist/bench/ceiling.js [--trades N] [--collectors N] [--duplicates F] [--order funnel|sorted|both]
                                          [--arrival FILE] (the funnel order recorded by bench:compare; default: as planned)
                                          [--statements writer|insert-or-ignore] (with --order both: all three)
                                          [--tx ROWS] [--chunk ROWS] [--batch N] [--seed N] [--dir DIR] [--sweep] [--json]`;

function removeDatabase(dbPath: string): void {
  const base = path.basename(dbPath);
  for (const f of fs.readdirSync(path.dirname(dbPath)))
    if (f.startsWith(base)) fs.rmSync(path.join(path.dirname(dbPath), f), { recursive: true, force: true });
}

async function main(): Promise<void> {
  const { values: args } = parseFlags(process.argv.slice(2), {
    ...LOAD_SHAPE_FLAGS,
    order: { type: 'string' },
    statements: { type: 'string' },
    arrival: { type: 'string' },
    tx: { type: 'string' },
    chunk: { type: 'string' },
    batch: { type: 'string' },
    seed: { type: 'string' },
    dir: { type: 'string' },
    sweep: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const { trades, collectors, duplicates } = loadShapeFrom(args);
  const seed = intFlag('seed', args.seed, 7, 0);
  const batchSize = intFlag('batch', args.batch, 200, 1);
  const txRows = intFlag('tx', args.tx, DEFAULT_CEILING_TX_ROWS, 1);
  const chunkRows = intFlag('chunk', args.chunk, DEFAULT_CEILING_CHUNK_ROWS, 1);
  const order = choiceFlag('order', args.order, 'funnel', ['funnel', 'sorted', 'both'] as const);
  const statements = choiceFlag('statements', args.statements, 'writer', ['writer', 'insert-or-ignore'] as const);
  let arrival: ArrivalOrder | undefined;
  if (args.arrival !== undefined) {
    try {
      arrival = readArrivalFile(args.arrival, { trades, collectors, duplicates, batchSize });
    } catch (err) {
      throw new UsageError(`--arrival: ${(err as Error).message}`);
    }
  }
  if (args.dir !== undefined && !fs.existsSync(args.dir))
    throw new UsageError(`--dir ${JSON.stringify(args.dir)} does not exist`);
  const dir = fs.mkdtempSync(path.join(args.dir ?? os.tmpdir(), 'gecko-ceiling-'));
  let n = 0;
  const fresh = () => path.join(dir, `ceiling-${n++}.db`);
  const load = { trades, collectors, duplicates, seed, batchSize, ...(arrival ? { arrival } : {}) };
  try {
    if (args.sweep) {
      const { machineSummary } = await import('./machine.ts');
      process.stdout.write(
        `${machineSummary().line}\n${trades} trades, ${collectors} collectors, ${duplicates} duplicates\n`,
      );
      const funnel = prepareCeilingRows({ ...load, order: 'funnel' });
      const prepared = { funnel, sorted: sortRowsById(funnel) };
      const methods: [number, number][] = [
        [1, 200],
        [50, 200],
        [100, 200],
        [200, 200],
        [50, 1000],
        [1, 5000],
        [50, 5000],
        [100, 5000],
      ];
      for (let rep = 0; rep < 2; rep++) {
        for (const [chunk, tx] of methods) {
          for (const ord of ['funnel', 'sorted'] as const) {
            const dbPath = fresh();
            const r = runCeiling({ ...load, dbPath, order: ord, txRows: tx, chunkRows: chunk }, prepared[ord]);
            removeDatabase(dbPath);
            process.stdout.write(
              `rep ${rep}  ${ord.padEnd(6)}  chunk ${String(chunk).padStart(3)}  tx ${String(tx).padStart(4)}  ${String(r.rowsPerSec).padStart(7)} rows/s  tx p99 ${r.txLatencyMs.p99} ms\n`,
            );
          }
        }
      }
      return;
    }
    // 'both': one preparation, the funnel order first, then the same rows sorted, then the funnel order with
    // the old INSERT OR IGNORE (what bench:compare runs). Otherwise --statements picks one.
    const funnel = prepareCeilingRows({ ...load, order: order === 'sorted' ? 'sorted' : 'funnel' });
    const sets: [CeilingRows, CeilingStatements][] =
      order === 'both'
        ? [
            [funnel, 'writer'],
            [sortRowsById(funnel), 'writer'],
            [funnel, 'insert-or-ignore'],
          ]
        : [[funnel, statements]];
    const results: CeilingResult[] = [];
    for (const [rows, kind] of sets) {
      const dbPath = fresh();
      results.push(runCeiling({ ...load, dbPath, order: rows.order, txRows, chunkRows, statements: kind }, rows));
      removeDatabase(dbPath);
    }
    if (args.json) process.stdout.write(`${JSON.stringify(order === 'both' ? results : results[0])}\n`);
    else
      for (const r of results)
        for (const [k, v] of Object.entries(r))
          process.stdout.write(`${k.padEnd(16)} ${typeof v === 'object' ? JSON.stringify(v) : v}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await runScript('bench/ceiling', USAGE, main);
