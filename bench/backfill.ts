// `npm run -s bench:backfill -- [--duration S] [--time-scale K] [--pools N] [--budget N] [--seed S] [--db URL]
// [--json]`: on the skewed market with a key and a budget too small for live polling alone (30 calls/min for 24
// pools by default), the real `collect` and then the real `backfill`: stored / made per pool from the pool's
// first stored trade (no collector knows of trades before its first answer) up to the second backfill started,
// ids outside the truth, gaps left open, and backfill's calls against the minimum (per span, the trades it brought
// over the page size, rounded up, at least one call per span asked). Then keyless: `collect` with the API's cache
// and `reconcile --timeframe 1m`, its volume completeness against the truth (the stored volume over the volume
// the pools made in the same whole buckets, summed from the simulator's trades).
//
// Time scale: as bench:completeness, rates and budgets x K, durations / K; K stays low because the range
// endpoint cannot split a second holding more than a page (300) of trades, and the busiest pool makes 60 x K a
// second.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { BackfillCommandResult } from '../src/cli/backfill-command.ts';
import { intFlag, numberFlag, parseFlags, runScript } from '../src/cli/command.ts';
import type { ReconcileCommandResult } from '../src/cli/reconcile-command.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../src/sim/gecko-simulator.ts';
import { simTrade } from '../src/sim/sim-trade-source.ts';
import { tradeIndexRange } from '../src/sim/sim-truth.ts';
import { runChildJson } from './child-json.ts';
import { machineSummary } from './machine.ts';

const USAGE =
  'usage: npm run -s bench:backfill -- [--duration S] [--time-scale K] [--pools N] [--budget N] [--seed S] [--json]';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(HERE, '../../bin/gecko-collector.mjs');
const KEY = 'bench-backfill-key';
const PAGE = 300;
let say = (s: string) => process.stdout.write(`${s}\n`);

interface Settings {
  durationS: number;
  scale: number;
  pools: number;
  budget: number;
  seed: number;
}

const poolId = (sim: GeckoSimulator, address: string) => `${sim.network}_${address}`;
const sqliteTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '000');

function startSim(s: Settings, keyed: boolean): Promise<GeckoSimulator> {
  return startGeckoSimulator({
    seed: s.seed,
    pools: s.pools,
    market: 'skewed',
    tradesPerSecond: 60 * s.scale,
    minTradesPerSecond: 0.05 * s.scale,
    historySeconds: 3600,
    ...(keyed ? { apiKey: KEY } : { cacheSeconds: 60 / s.scale }),
  });
}

function collectArgs(sim: GeckoSimulator, s: Settings, db: string, keyed: boolean): string[] {
  // The fixed schedule spending the budget evenly over the pools.
  const intervalS = Math.max(60 / s.scale, (s.pools * 60) / (s.budget * s.scale));
  return [
    BIN,
    'collect',
    '--db',
    db,
    '--base-url',
    sim.baseUrl,
    '--pools',
    sim.pools.map((p) => p.address).join(','),
    '--calls-per-minute',
    String(s.budget * s.scale),
    '--poll-interval',
    String(intervalS),
    '--duration',
    String(s.durationS / s.scale),
    '--json',
    ...(keyed ? ['--api-key', KEY] : []),
  ];
}

/** A pool's stored ids with fromMs <= block time < toMs, and its first stored trade's time. */
function storedIds(db: string, id: string, fromMs: number, toMs: number): { firstMs: number | null; ids: string[] } {
  const d = new Database(db, { readonly: true });
  try {
    const ids = d
      .prepare('SELECT id FROM trades WHERE pool_id = ? AND block_timestamp >= ? AND block_timestamp < ?')
      .pluck()
      .all(id, sqliteTime(fromMs), sqliteTime(toMs)) as string[];
    const first = d.prepare('SELECT min(block_timestamp) FROM trades WHERE pool_id = ?').pluck().get(id) as
      | string
      | null;
    return { firstMs: first === null ? null : Date.parse(`${first.slice(0, 19).replace(' ', 'T')}Z`), ids };
  } finally {
    d.close();
  }
}

async function paidRun(s: Settings, dir: string) {
  const sim = await startSim(s, true);
  const db = path.join(dir, 'paid.db');
  try {
    await runChildJson(BIN, collectArgs(sim, s, db, true).slice(1), 'collect');
    const firsts = new Map(sim.pools.map((p) => [p.address, storedIds(db, poolId(sim, p.address), 0, 0).firstMs]));
    const gapDb = new Database(db, { readonly: true });
    const collectGaps = gapDb.prepare('SELECT count(*) FROM collection_gaps').pluck().get() as number;
    gapDb.close();
    const startedMs = Math.floor(Date.now() / 1000) * 1000;
    const backfill = await runChildJson<BackfillCommandResult>(
      BIN,
      ['backfill', '--db', db, '--base-url', sim.baseUrl, '--api-key', KEY, '--calls-per-minute', '60000', '--json'],
      'backfill',
    );
    let made = 0;
    let stored = 0;
    let foreign = 0;
    for (const p of sim.pools) {
      const fromMs = firsts.get(p.address);
      if (fromMs === null || fromMs === undefined) continue;
      // From the second after the first stored trade's: the first answer may have cut that second.
      const from = fromMs + 1000;
      const truth = sim.truth({ pool: p.address, ids: true, fromMs: from, toMs: startedMs }).pools[0]!.ids!;
      const have = new Set(storedIds(db, poolId(sim, p.address), from, startedMs).ids);
      const truthSet = new Set(truth);
      made += truth.length;
      for (const id of truth) if (have.has(id)) stored++;
      for (const id of have) if (!truthSet.has(id)) foreign++;
    }
    const minimum = backfill.spanList.reduce((n, sp) => n + Math.max(1, Math.ceil(sp.inserted / PAGE)), 0);
    return { collectGaps, made, stored, foreign, backfill, minimum };
  } finally {
    await sim.close();
  }
}

/** The volume the pool made in [fromSec, toSec), from the simulator's own trades. */
function madeVolume(sim: GeckoSimulator, address: string, fromSec: number, toSec: number): number {
  const pool = sim.pools.find((p) => p.address === address)!;
  const { first, end } = tradeIndexRange(pool, fromSec * 1000, toSec * 1000);
  let v = 0;
  for (let k = first; k < end; k++) v += Number(simTrade(pool, k).attributes.volume_in_usd);
  return v;
}

function storedVolume(db: string, id: string, fromSec: number, toSec: number): number {
  const d = new Database(db, { readonly: true });
  try {
    return d
      .prepare(
        'SELECT total(CAST(volume_usd_exact AS REAL)) FROM trades WHERE pool_id = ? AND block_timestamp >= ? AND block_timestamp < ?',
      )
      .pluck()
      .get(id, sqliteTime(fromSec * 1000), sqliteTime(toSec * 1000)) as number;
  } finally {
    d.close();
  }
}

async function keylessRun(s: Settings, dir: string) {
  const sim = await startSim(s, false);
  const db = path.join(dir, 'keyless.db');
  try {
    await runChildJson(BIN, collectArgs(sim, s, db, false).slice(1), 'collect (keyless)');
    const r = await runChildJson<ReconcileCommandResult>(
      BIN,
      [
        'reconcile',
        '--db',
        db,
        '--base-url',
        sim.baseUrl,
        '--timeframe',
        '1m',
        '--calls-per-minute',
        String(60 * s.scale),
        '--json',
      ],
      'reconcile',
    );
    let made = 0;
    let stored = 0;
    for (const p of r.pools) {
      if (p.buckets === 0) continue;
      const address = p.poolId.slice(sim.network.length + 1);
      made += madeVolume(sim, address, p.fromSec, p.toSec);
      stored += storedVolume(db, p.poolId, p.fromSec, p.toSec);
    }
    return { reconcile: r.completeness, truth: made > 0 ? stored / made : null, calls: r.calls };
  } finally {
    await sim.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseFlags(process.argv.slice(2), {
    duration: { type: 'string' },
    'time-scale': { type: 'string' },
    pools: { type: 'string' },
    budget: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    say(USAGE);
    return;
  }
  const s: Settings = {
    durationS: numberFlag('duration', values.duration, 300, 10),
    scale: numberFlag('time-scale', values['time-scale'], 2, 1, 4),
    pools: intFlag('pools', values.pools, 24, 2, 200),
    budget: intFlag('budget', values.budget, 30, 1),
    seed: intFlag('seed', values.seed, 1, 0),
  };
  if (values.json) say = (x) => process.stderr.write(`${x}\n`);
  const machine = machineSummary();
  say(machine.line);
  say(
    `skewed market, ${s.pools} pools, ${s.budget} calls/min, ${s.durationS} s at the real scale (x${s.scale}: ${s.durationS / s.scale} s here)`,
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-backfill-'));
  try {
    const paid = await paidRun(s, dir);
    const b = paid.backfill;
    const ratio = paid.minimum > 0 ? b.calls / paid.minimum : null;
    say(
      `paid: collect left ${paid.collectGaps} gaps; after backfill stored ${paid.stored} of ${paid.made} trades made (${((paid.stored / paid.made) * 100).toFixed(2)} %), ${paid.foreign} not made, ${b.openGaps} gaps open`,
    );
    say(
      `backfill: ${b.calls} calls for ${b.inserted} trades in ${b.spanList.length} spans; minimum ${paid.minimum} (ratio ${ratio?.toFixed(3)}), ${b.duplicates} repeats`,
    );
    const keyless = await keylessRun(s, dir);
    const diff =
      keyless.reconcile !== null && keyless.truth !== null ? (keyless.reconcile - keyless.truth) * 100 : null;
    say(
      `keyless: reconcile volume completeness ${((keyless.reconcile ?? 0) * 100).toFixed(2)} %, truth ${((keyless.truth ?? 0) * 100).toFixed(2)} % (difference ${diff?.toFixed(3)} points), ${keyless.calls} calls`,
    );
    if (values.json)
      process.stdout.write(
        `${JSON.stringify({ machine, settings: s, paid: { ...paid, backfill: { ...b, spanList: undefined } }, keyless })}\n`,
      );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await runScript('bench:backfill', USAGE, main);
