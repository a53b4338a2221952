// `npm run bench:layout -- [--trades 200000] [--collectors 8] [--duplicates 0.3] [--reps 3] [--json]`
//
// What the one SQLite layout costs the writer's inserts, in one run: the same rows (the producers' planned
// arrival order) inserted the way the writer inserts them (multi-row INSERT OR IGNORE of 50 rows, 5000 rows per
// transaction) into three files: the former text layout (amounts TEXT, the row's 11 values bound as they are,
// foreign keys off, as before), the one layout without foreign keys (NUMERIC amounts plus their exact text:
// 15 values per row, the 4 numbers made by Number() inside the timed loop, as the writer does), and the one
// layout as shipped (foreign keys on: every row also looks up its pool). The variants take turns transaction by
// transaction (rotating who goes first), so the other tenants' bursts of load hit all three alike; each one's
// CPU time (process.cpuUsage around its own transactions) is summed. Also the file size per stored row.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import { intFlag, parseFlags, runScript } from '../src/cli/command.ts';
import { syntheticTrade } from '../src/sim/synthetic-trades.ts';
import { SCHEMA_VERSION } from '../src/storage/sqlite/schema-migrations.ts';
import {
  appendTradeBindValues,
  CREATED_AT_PARAM,
  MULTI_ROW_CHUNK,
  storedTimestamp,
  tradeInsertSql,
  WriteStatements,
} from '../src/storage/sqlite/trade-statements.ts';
import { TRADE_FIELDS, validateTrade } from '../src/trades/trade-validation.ts';
import { TEXT_LAYOUT_V3 } from '../test/support/text-layout.ts';
import { roundRobinOrder } from './arrival-order.ts';
import { DEFAULT_CEILING_TX_ROWS, openAsWriter } from './ceiling.ts';
import { median } from './compare.ts';
import { LOAD_SHAPE_FLAGS, loadShapeFrom } from './load-shape-flags.ts';
import { machineSummary } from './machine.ts';
import { round } from './rounding.ts';

export type LayoutVariant = 'text' | 'numeric-exact' | 'numeric-exact+fk';
const VARIANTS: readonly LayoutVariant[] = ['text', 'numeric-exact', 'numeric-exact+fk'];

// The former layout's INSERT: the 11 validated values as they are, created_at by name.
const TEXT_COLUMNS =
  'id, pool_id, block_number, tx_hash, tx_from_address, from_token_amount, to_token_amount, price_usd, volume_usd, side, block_timestamp, created_at';

interface Variant {
  db: Sqlite.Database;
  file: string;
  /** Inserts rows [from, to) of `flat` (TRADE_FIELDS values per row) in chunks; returns the rows inserted. */
  insert(flat: readonly unknown[], from: number, to: number): number;
}

function openVariant(v: LayoutVariant, file: string, poolIds: Iterable<string>, createdAt: string): Variant {
  if (v === 'text') {
    // The former layout's DDL, marked current so that opening it as the writer does not rebuild it.
    const raw = new Sqlite(file);
    raw.exec(TEXT_LAYOUT_V3);
    raw.pragma(`user_version = ${SCHEMA_VERSION}`);
    raw.close();
  }
  const { db: conn } = openAsWriter(file);
  if (v !== 'numeric-exact+fk') conn.pragma('foreign_keys = OFF');
  if (v !== 'text') {
    // The writer adds these in its transactions (one probe per batch); here before the clock, for every variant
    // that has the one layout (the former layout's file runs without foreign keys, as it did).
    const pools = new WriteStatements(conn);
    conn.transaction(() => {
      for (const id of poolIds) pools.ensurePool(id, createdAt);
    })();
  }
  const byRows = new Map<number, Sqlite.Statement>();
  const statement = (n: number) => {
    let s = byRows.get(n);
    if (!s) {
      const tuple = `(${'?, '.repeat(TRADE_FIELDS)}@${CREATED_AT_PARAM})`;
      s = conn.prepare(
        v === 'text'
          ? `INSERT OR IGNORE INTO trades (${TEXT_COLUMNS}) VALUES ${new Array(n).fill(tuple).join(', ')}`
          : tradeInsertSql('INSERT OR IGNORE', n),
      );
      byRows.set(n, s);
    }
    return s;
  };
  const named = { [CREATED_AT_PARAM]: createdAt };
  return {
    db: conn,
    file,
    insert(flat, from, to) {
      let inserted = 0;
      for (let r = from; r < to; r += MULTI_ROW_CHUNK) {
        const end = Math.min(r + MULTI_ROW_CHUNK, to);
        let params: unknown[];
        if (v === 'text') {
          params = flat.slice(r * TRADE_FIELDS, end * TRADE_FIELDS);
        } else {
          params = [];
          for (let k = r; k < end; k++) appendTradeBindValues(params, flat, k * TRADE_FIELDS);
        }
        inserted += statement(end - r).run(params, named).changes;
      }
      return inserted;
    },
  };
}

export interface LayoutRun {
  variant: LayoutVariant;
  cpuSeconds: number;
  seconds: number;
  stored: number;
  bytesPerRow: number;
}

export async function runLayoutCostBench(o: {
  trades: number;
  collectors: number;
  duplicates: number;
  reps: number;
  onProgress?: (line: string) => void;
}): Promise<{ runs: LayoutRun[][]; unique: number }> {
  const order = roundRobinOrder(o.trades, o.collectors, o.duplicates);
  const flat: unknown[] = [];
  const poolIds = new Set<string>();
  for (let k = 0; k < order.indices.length; k++) {
    const v = validateTrade(syntheticTrade(order.indices[k]!, { seed: 7 }), k);
    if (!v.ok) throw new Error(`synthetic trade failed validation: ${v.reason}`);
    for (const x of v.row) flat.push(x);
    poolIds.add(v.row[1]);
  }
  const rows = flat.length / TRADE_FIELDS;
  const runs: LayoutRun[][] = [];
  for (let rep = 0; rep < o.reps; rep++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gecko-layout-'));
    try {
      const createdAt = storedTimestamp();
      const open = VARIANTS.map((v) => openVariant(v, path.join(dir, `${v}.db`), poolIds, createdAt));
      const cpu = VARIANTS.map(() => 0);
      const wall = VARIANTS.map(() => 0);
      const stored = VARIANTS.map(() => 0);
      for (let t = 0, turn = 0; t < rows; t += DEFAULT_CEILING_TX_ROWS, turn++) {
        const end = Math.min(t + DEFAULT_CEILING_TX_ROWS, rows);
        for (let j = 0; j < VARIANTS.length; j++) {
          const i = (j + turn) % VARIANTS.length;
          const { db, insert } = open[i]!;
          const c0 = process.cpuUsage();
          const w0 = performance.now();
          db.exec('BEGIN IMMEDIATE');
          stored[i]! += insert(flat, t, end);
          db.exec('COMMIT');
          wall[i]! += performance.now() - w0;
          const c = process.cpuUsage(c0);
          cpu[i]! += (c.user + c.system) / 1e6;
        }
      }
      const result = open.map((v, i) => {
        v.db.pragma('wal_checkpoint(TRUNCATE)');
        v.db.close();
        return {
          variant: VARIANTS[i]!,
          cpuSeconds: round(cpu[i]!, 3),
          seconds: round(wall[i]! / 1000, 3),
          stored: stored[i]!,
          bytesPerRow: Math.round(fs.statSync(v.file).size / stored[i]!),
        };
      });
      runs.push(result);
      o.onProgress?.(`rep ${rep + 1}/${o.reps} ${result.map((r) => `${r.variant} cpu ${r.cpuSeconds} s`).join(', ')}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return { runs, unique: order.unique };
}

const USAGE =
  'usage: npm run bench:layout -- [--trades 200000] [--collectors 8] [--duplicates 0.3] [--reps 3] [--json]';

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
  const o = {
    ...loadShapeFrom(args),
    reps: intFlag('reps', args.reps, 3, 1),
    onProgress: (line: string) => process.stderr.write(`${line}\n`),
  };
  const machine = machineSummary();
  process.stderr.write(`${machine.line}\n`);
  const r = await runLayoutCostBench(o);
  const medians = Object.fromEntries(
    VARIANTS.map((v, i) => {
      const of = (k: 'cpuSeconds' | 'seconds' | 'bytesPerRow') => median(r.runs.map((run) => run[i]![k]));
      return [
        v,
        {
          cpuSeconds: of('cpuSeconds'),
          seconds: of('seconds'),
          cpuMicrosPerRow: round((of('cpuSeconds') / o.trades) * 1e6, 2),
          bytesPerRow: of('bytesPerRow'),
        },
      ];
    }),
  ) as Record<LayoutVariant, { cpuSeconds: number; seconds: number; cpuMicrosPerRow: number; bytesPerRow: number }>;
  // Ratios per rep (same rep, same load), then their median: the noise-robust figure.
  const paired = (v: LayoutVariant) =>
    round(median(r.runs.map((run) => run[VARIANTS.indexOf(v)]!.cpuSeconds / run[0]!.cpuSeconds)), 3);
  const ratios = { cpuExactOverText: paired('numeric-exact'), cpuExactFkOverText: paired('numeric-exact+fk') };
  if (args.json) {
    process.stdout.write(
      `${JSON.stringify({ machine, options: { ...o, onProgress: undefined }, unique: r.unique, medians, ratios, runs: r.runs })}\n`,
    );
    return;
  }
  process.stdout.write(
    `${machine.line}\n${o.trades} trades offered (${r.unique} unique), turns taken transaction by transaction, medians of ${o.reps}\n`,
  );
  for (const v of VARIANTS) {
    const m = medians[v];
    process.stdout.write(
      `${v.padEnd(17)} cpu ${m.cpuSeconds.toFixed(2)} s (${m.cpuMicrosPerRow} µs per offered row)  wall ${m.seconds.toFixed(2)} s  ${m.bytesPerRow} B per row\n`,
    );
  }
  process.stdout.write(
    `cpu numeric-exact / text ${ratios.cpuExactOverText}; numeric-exact+fk / text ${ratios.cpuExactFkOverText} (paired per rep)\n`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await runScript('bench/layout-cost', USAGE, main);
