// `npm run bench:writer -- [--trades 200000] [--collectors 8] [--duplicates 0.3] [--reps 3] [--json]`
//
// The writer's engine alone, in this one thread, against the ceiling on the same rows: where the funnel's
// gap to the ceiling comes from once threads, ports and the second core are out of the picture. The engine
// (GroupCommitWriter) gets every batch packed as the producers pack them, in the funnel's arrival order, all
// queued at once (saturation: group commits up to the default bound), with the id sort off and on. CPU
// seconds are the figure to read on a shared machine; they include the engine's unpacking + validation,
// which the ceiling does before its clock starts.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { intFlag, parseFlags, runScript } from '../src/cli/command.ts';
import { LOAD_SHAPE_FLAGS, loadShapeFrom } from './load-shape-flags.ts';
import { resolveDatabaseConfig, writerSettingsFrom } from '../src/config/database-config.ts';
import { GroupCommitWriter } from '../src/db/group-commit-writer.ts';
import { detectSchemaFlavor, migrate } from '../src/db/schema-migrations.ts';
import { applyWriteConnectionSettings } from '../src/db/sqlite-settings.ts';
import { packTrades } from '../src/db/trade-packing.ts';
import { WriteStatements } from '../src/db/trade-statements.ts';
import { componentLogger } from '../src/logging/logger.ts';
import { syntheticTrade } from '../src/sim/synthetic-trades.ts';
import type { AckMessage, WriterToCollector } from '../src/thread-messages.ts';
import { funnelArrivalOrder, prepareCeilingRows, runCeiling } from './ceiling.ts';
import { median } from './compare.ts';
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

/** The producers' batches, packed, in the order the funnel's writer receives them. */
function packedArrivalBatches(o: EngineOptions): { count: number; data: string }[] {
  const batchSize = o.batchSize ?? 200;
  const { indices } = funnelArrivalOrder(o.trades, o.collectors, o.duplicates, batchSize);
  const out: { count: number; data: string }[] = [];
  for (let i = 0; i < indices.length; i += batchSize) {
    const batch = indices.slice(i, i + batchSize).map((k) => syntheticTrade(k, { seed: o.seed ?? 7 }));
    const data = packTrades(batch);
    if (data === null) throw new Error('synthetic trades could not be packed');
    out.push({ count: batch.length, data });
  }
  return out;
}

async function runEngine(dbPath: string, sort: boolean, batches: { count: number; data: string }[]): Promise<Omit<EngineRun, 'variant'>> {
  const settings = writerSettingsFrom(resolveDatabaseConfig({ url: `sqlite:///${dbPath}`, sortGroupById: sort }));
  const db = new Database(dbPath);
  try {
    applyWriteConnectionSettings(db, settings, 'funnel-writer');
    migrate(db);
    const engine = new GroupCommitWriter(db, new WriteStatements(db, detectSchemaFlavor(db)), settings, componentLogger('bench-writer'));
    const rows = batches.reduce((n, b) => n + b.count, 0);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      let replies = 0;
      const onReply = (m: WriterToCollector) => {
        if (m.kind === 'nack') reject(new Error(`batch ${m.batchId} nacked: ${m.error.message}`));
        else if ((m as AckMessage).rejected.length) reject(new Error(`batch ${m.batchId}: ${(m as AckMessage).rejected[0]!.reason}`));
        else if (++replies === batches.length) resolve();
      };
      batches.forEach((packedTrades, batchId) => engine.enqueue({ kind: 'write', batchId, packedTrades }, onReply));
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await engine.close();
    const stored = db.prepare('SELECT count(*) FROM trades').pluck().get() as number;
    return { rowsPerSec: Math.round(rows / seconds), cpuSeconds: round((cpu.user + cpu.system) / 1e6, 3), stored };
  } finally {
    db.close();
  }
}

export async function runWriterEngineBench(o: EngineOptions): Promise<{ runs: EngineRun[]; medians: Record<EngineVariant, { rowsPerSec: number; cpuSeconds: number }>; unique: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gecko-writer-bench-'));
  try {
    const batches = packedArrivalBatches(o);
    const ceilingRows = prepareCeilingRows({ trades: o.trades, collectors: o.collectors, duplicates: o.duplicates, seed: o.seed ?? 7, batchSize: o.batchSize ?? 200 });
    const runs: EngineRun[] = [];
    let n = 0;
    for (let rep = 0; rep < o.reps; rep++) {
      for (const variant of VARIANTS) {
        const dbPath = path.join(dir, `run-${n++}.db`);
        const r =
          variant === 'ceiling'
            ? (({ rowsPerSec, cpuSeconds, stored }) => ({ rowsPerSec, cpuSeconds, stored }))(
                runCeiling({ trades: o.trades, collectors: o.collectors, duplicates: o.duplicates, dbPath }, ceilingRows),
              )
            : await runEngine(dbPath, variant === 'engine-sorted', batches);
        runs.push({ variant, ...r });
        o.onProgress?.(`rep ${rep + 1}/${o.reps} ${variant.padEnd(14)} ${String(r.rowsPerSec).padStart(7)} rows/s  cpu ${r.cpuSeconds.toFixed(2)} s  stored ${r.stored}`);
        for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { force: true });
      }
    }
    const medians = Object.fromEntries(
      VARIANTS.map((v) => {
        const mine = runs.filter((r) => r.variant === v);
        return [v, { rowsPerSec: Math.round(median(mine.map((r) => r.rowsPerSec))), cpuSeconds: round(median(mine.map((r) => r.cpuSeconds)), 3) }];
      }),
    ) as Record<EngineVariant, { rowsPerSec: number; cpuSeconds: number }>;
    return { runs, medians, unique: ceilingRows.unique };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const USAGE = 'usage: npm run bench:writer -- [--trades 200000] [--collectors 8] [--duplicates 0.3] [--reps 3] [--json]';

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
    process.stdout.write(`${JSON.stringify({ machine, options: { ...o, onProgress: undefined }, unique: r.unique, medians: r.medians, ratios, runs: r.runs })}\n`);
    return;
  }
  process.stdout.write(`${machine.line}\n${o.trades} trades (${r.unique} unique), ${o.collectors} producers' arrival order, medians of ${o.reps}\n`);
  for (const v of VARIANTS) process.stdout.write(`${v.padEnd(14)} ${String(r.medians[v].rowsPerSec).padStart(7)} rows/s  cpu ${r.medians[v].cpuSeconds.toFixed(2)} s\n`);
  process.stdout.write(`engine / ceiling ${ratios.engineOverCeiling}; sorted engine / ceiling ${ratios.engineSortedOverCeiling}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await runScript('bench/writer-engine', USAGE, main);
