// `npm run -s bench:completeness -- [flags]`: how much of what the pools made the real `collect` stores, per
// market, budget, access (paid key, or keyless with the cache) and schedule, against the fair oracle (what any
// schedule of polls could store with that budget paced as collect's limiter paces it, as a feasible schedule and an
// upper bound, bench/completeness-fair-oracle.ts; the older unpaced oracle, bench/completeness-oracle.ts, is an
// extra column, and sizes the budgets). Each run: a fresh simulator in this
// process (its truth ledger says what was made), `gecko-collector collect` in a child process against it with the
// run's budget and the schedule's flags, then stored (a count by block time in the database) / made over an
// interval of --duration real seconds that starts --edge seconds after collect's first poll (warm-up); collect
// runs on until every pool was polled again, --edge seconds at most (the tail fetches what was still pending, as
// a collector that keeps running would), and is stopped.
//
// Time scale: figures are given at the real API's scale; a run at --time-scale K plays K times faster (rates,
// budgets and bursts x K; cache, poll intervals and durations / K), which leaves completeness unchanged as long
// as request latency stays small beside the poll intervals. The keyless cache is the real API's 60 s (60/K here).
// Every run of a market and access, in any session, sees the same market relative to its start (its streams are
// shifted so that it starts at WORLD_START_MS of the market), for a seed.
// Budgets: `Nx` is N times the oracle's need (its calls to store everything reachable over the whole run, per
// minute), a plain number is calls/min. A schedule is `NAME` (built in: fixed, today's 60 s; fit, one fixed
// interval that spends the budget evenly; adaptive, what `collect` does with no schedule flags, its
// --max-poll-interval default at the bench's scale) or `NAME=FLAGS` (collect flags with placeholders: {s:N} is N
// real seconds at the bench's scale, {budget} the run's calls/min at the bench's scale, {fitInterval} the poll
// interval that spends the budget on the pools evenly, {pools} the pool count). Default: fixed and adaptive.
// Keyless runs tell collect the cache (--cache-seconds, scaled). Each run prints the collector's estimate of
// the trades it missed (its --json coverage.estimatedMissed) beside the truth over the same spans (each pool
// from its first poll to its last), and how many polls came sooner than the cache allows.
// --credit-stop counts a free poll at the stop on both sides (the oracle's final poll, collect's trades still in
// each window when stopped): the run's end then costs neither, as for a collector that keeps running.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { UsageError } from '../src/cli/cli-error.ts';
import { intFlag, numberFlag, parseFlags, runScript } from '../src/cli/command.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../src/sim/gecko-simulator.ts';
import { type SimMarketKind, SKEWED_MARKET_DEFAULTS, skewedRates } from '../src/sim/sim-market.ts';
import { DEFAULT_BURSTS } from '../src/sim/sim-rate-schedule.ts';
import { runChildJson } from './child-json.ts';
import { fairOracle, simTradeSource } from './completeness-fair-oracle.ts';
import { poolLoss } from './completeness-loss.ts';
import { oraclePool, oracleSplit } from './completeness-oracle.ts';
import { machineSummary } from './machine.ts';
import { storedTradesByPool } from './stored-trades.ts';

const USAGE = `usage: npm run -s bench:completeness -- [--duration S] [--edge S] [--time-scale K] [--pools N] [--seed S]
  [--schedule NAME[=FLAGS]]... [--budgets 0.5x,1x,4x] [--uniform-budgets 1x] [--markets skewed,uniform]
  [--access paid,keyless] [--no-bursts] [--collectors N] [--db sqlite|postgresql://…] [--keep DIR] [--json]
  [--oracle-cells N] [--oracle-iterations N] [--oracle-from FILE.json] [--credit-stop]`;
/** With --json the figures go to stderr and stdout holds only the JSON. */
let say = (s: string) => process.stdout.write(`${s}\n`);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(HERE, '../../bin/gecko-collector.mjs');
const KEY = 'bench-completeness-key';
/** The real API: keyless answers are cached this long; today's fixed schedule polls every pool this often. */
const REAL_CACHE_S = 60;
const REAL_POLL_INTERVAL_S = 60;
/** Before a run's first poll: the collector's start (threads, metadata), for planning the budgets only. */
const STARTUP_MS = 3000;
/**
 * Real seconds of warm-up before the measured interval (every pool polled once by today's schedule) and of tail
 * after it, by default: a steady state is measured, not a start from an empty database.
 */
const EDGE_S = 60;

/** What `collect` does with no schedule flags (its --max-poll-interval default, at the bench's scale). */
const REAL_MAX_POLL_INTERVAL_S = 300;
const BUILT_IN_SCHEDULES: Record<string, string> = {
  fixed: `--schedule fixed --poll-interval {s:${REAL_POLL_INTERVAL_S}}`,
  fit: '--schedule fixed --poll-interval {fitInterval}',
  adaptive: `--max-poll-interval {s:${REAL_MAX_POLL_INTERVAL_S}}`,
};

type Access = 'paid' | 'keyless';

interface Settings {
  scale: number;
  /** The measured interval, real seconds. */
  durationS: number;
  /** Warm-up before it and tail after it, real seconds. */
  edgeS: number;
  pools: number;
  seed: number;
  bursts: boolean;
  collectors: number;
  db: string;
  keep: string | undefined;
  /** The fair oracle's cells per limiter interval and subgradient steps. */
  oracleCells: number;
  oracleIterations: number;
  /**
   * Both sides get a poll at the stop, free: the fair oracle one more poll of every pool at the end of the tail,
   * collect the trades still in each window when it was stopped (atStop). The run's end then costs neither.
   */
  creditStop?: boolean;
}

interface RunPlan {
  market: SimMarketKind;
  access: Access;
  /** `0.5x` (of the need), or calls/min at real scale. */
  budget: string;
  schedule: { name: string; flags: string };
}

interface RunResult {
  market: SimMarketKind;
  access: Access;
  budget: string;
  /** Calls/min at the real API's scale (the bench ran K times that). */
  budgetPerMinute: number;
  /** What the oracle needs to store everything reachable, calls/min at real scale. */
  needPerMinute: number;
  schedule: string;
  collectFlags: string[];
  fromMs: number;
  toMs: number;
  /** The interval at real scale, seconds. */
  realSeconds: number;
  made: number;
  stored: number;
  completeness: number;
  /**
   * The fair oracle (bench/completeness-fair-oracle.ts): calls paced as collect's limiter paces them, the cache
   * respected, over the interval and its tail. `bound`: no schedule of polls stores more; `primal`: a feasible
   * schedule stores this much (the optimum lies between).
   */
  fair: {
    /** Trades made in the interval by the oracle's count (the same as `made` when the market was replayed). */
    made: number;
    bound: number;
    primal: number;
    boundStored: number;
    primalStored: number;
    primalCalls: number;
    cellMs: number;
    iterations: number;
    seconds: number;
    /** The primal's polls of each pool (in the order of the market's pools). */
    primalPolls?: number[];
  };
  /** completeness / the fair bound, and / the fair primal. */
  ofFairBound: number;
  ofFairPrimal: number;
  /** The unpaced oracle (bench/completeness-oracle.ts: calls placed anywhere, no tail), an extra column. */
  oracle: { completeness: number; stored: number; calls: number; callsForAll: number };
  /** completeness / the unpaced oracle's. */
  ofOracle: number;
  /** The market's shift (streamOriginMs): `--oracle-from` replays it to recompute the oracles from a saved run. */
  streamShiftMs: number;
  /** Trades-range calls collect made (its spare-budget gap fill): the oracles count polls only. */
  rangeCalls: number;
  /**
   * `polls`: trades polls in the interval (what budgetUsed counts); `requests`: every call collect made, its pools
   * calls (`poolsCalls`: pools/multi for the metadata and the schedule's prior, before the first poll) included.
   */
  calls: { polls: number; perMinute: number; budgetUsed: number; requests: number; poolsCalls: number };
  /**
   * Trades missed in the measured interval; over the collector's whole run (first poll to last), and what the
   * collector estimated it missed over that run (its --json summary's coverage.estimatedMissed, once it has one).
   */
  missed: {
    true: number;
    wholeRun: number;
    estimated: number | null;
    /** The collector's rate × span alone, and which estimate `estimated` is (counters, gaps or mixed). */
    estimatedGaps: number | null;
    basis: string | null;
    counterPools: number | null;
  };
  /** Polls of a pool sooner after its previous one than the cache allows (keyless), and the shortest gap, s. */
  cache: { seconds: number; pollsSooner: number; shortestGapS: number | null };
  gaps: number;
  busiest: { made: number; stored: number };
  /**
   * Per pool (the market's order): its base rate (real scale), trades made and stored in the interval, and collect's
   * polls before it (warm-up), in it, and after it (the tail): beside fair.primalPolls, where each schedule spends.
   */
  /** With --credit-stop: stored plus what a poll at the stop would have found, against the oracle with its poll. */
  atStop?: { stored: number; completeness: number; ofFairBound: number; ofFairPrimal: number };
  perPool: {
    rate: number;
    made: number;
    stored: number;
    warmUpPolls: number;
    polls: number;
    tailPolls: number;
    /**
     * Interval trades lost to a late poll, and after the pool's last poll (bench/completeness-loss.ts); of the
     * latter, those still in the pool's newest 300 when collect was stopped (a poll then would have stored them).
     */
    overflowLost: number;
    horizonLost: number;
    horizonInWindowAtStop: number;
    /** The longest time between two of its polls around the interval, real seconds. */
    longestGapS: number | null;
  }[];
}

/** Rates at real scale: the skewed market's spread, or a uniform one with the same mean (comparable budgets). */
function realRates(market: SimMarketKind, pools: number): { tradesPerSecond: number; minTradesPerSecond?: number } {
  const { busiestTradesPerSecond: busiest, quietestTradesPerSecond: quietest } = SKEWED_MARKET_DEFAULTS;
  if (market === 'skewed') return { tradesPerSecond: busiest, minTradesPerSecond: quietest };
  const mean = skewedRates(pools, busiest, quietest).reduce((a, b) => a + b, 0) / pools;
  return { tradesPerSecond: mean };
}

/**
 * The instant whose market every run replays from its start: each run, in any session, sees the same trades at
 * the same time after its start, so runs of one market and access differ only in their schedule and budget.
 */
const WORLD_START_MS = Date.UTC(2026, 0, 1);

/** The market of a run, its streams shifted so that the run starts at WORLD_START_MS of the market. */
async function startMarket(
  s: Settings,
  market: SimMarketKind,
  access: Access,
  shiftMs: number,
): Promise<GeckoSimulator> {
  const rates = realRates(market, s.pools);
  return startGeckoSimulator({
    streamOriginMs: shiftMs,
    pools: s.pools,
    seed: s.seed,
    market,
    tradesPerSecond: rates.tradesPerSecond * s.scale,
    ...(rates.minTradesPerSecond !== undefined ? { minTradesPerSecond: rates.minTradesPerSecond * s.scale } : {}),
    ...(s.bursts
      ? {
          bursts: {
            ...DEFAULT_BURSTS,
            everySeconds: DEFAULT_BURSTS.everySeconds / s.scale,
            seconds: DEFAULT_BURSTS.seconds / s.scale,
          },
        }
      : {}),
    historySeconds: 3600 / s.scale,
    ...(access === 'paid' ? { apiKey: KEY } : { cacheSeconds: REAL_CACHE_S / s.scale }),
  });
}

/** The oracle's calls for everything over [fromMs, toMs), and what it stores with `calls`. */
function oracleFor(sim: GeckoSimulator, fromMs: number, toMs: number, cacheMs: number, calls: number) {
  return oracleSplit(
    sim.pools.map((p) => oraclePool(p, fromMs, toMs, cacheMs)),
    calls,
  );
}

/** The fair oracle of a run: its limiter's interval, the cache, the interval and collect's tail at most. */
function fairFor(
  s: Settings,
  sim: GeckoSimulator,
  fromMs: number,
  toMs: number,
  benchBudget: number,
  cacheMs: number,
): RunResult['fair'] {
  const started = performance.now();
  const r = fairOracle(sim.pools.map(simTradeSource), {
    fromMs,
    toMs,
    tailMs: Math.round((s.edgeS * 1000) / s.scale),
    intervalMs: Math.ceil(60_000 / benchBudget),
    cacheMs,
    cellsPerInterval: s.oracleCells,
    iterations: s.oracleIterations,
    finalPoll: s.creditStop === true,
  });
  return {
    made: r.made,
    bound: r.bound.completeness,
    primal: r.primal.completeness,
    boundStored: r.bound.stored,
    primalStored: r.primal.stored,
    primalCalls: r.primal.calls,
    cellMs: Number(r.cellMs.toFixed(3)),
    iterations: r.iterations,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    primalPolls: sim.pools.map((_, i) => r.primal.polls.filter((p) => p.pool === i).length),
  };
}

function budgetPerMinute(budget: string, needPerMinute: number): number {
  const m = /^(\d+(?:\.\d+)?)(x?)$/.exec(budget);
  if (!m) throw new UsageError(`a budget is a multiple of the need like 0.5x or calls/min like 60, got ${budget}`);
  const value = Number(m[1]);
  // At least 1 call/min: the limiter needs one.
  return Math.max(1, m[2] === 'x' ? Math.round(value * needPerMinute) : value);
}

/** A schedule's collect flags with its placeholders filled in for the run. */
function expandFlags(flags: string, scale: number, benchBudget: number, pools: number): string[] {
  const seconds = (realS: number) => String(Number((realS / scale).toFixed(3)));
  return flags
    .split(/\s+/)
    .filter(Boolean)
    .map((word) =>
      word
        .replace(/\{s:(\d+(?:\.\d+)?)\}/g, (_, n: string) => seconds(Number(n)))
        .replace(/\{budget\}/g, String(benchBudget))
        .replace(/\{pools\}/g, String(pools))
        .replace(/\{fitInterval\}/g, String(Number(((pools * 60) / benchBudget).toFixed(3)))),
    );
}

/** A fresh PostgreSQL schema for a run (collect migrates it), or a fresh SQLite file. */
async function runDatabase(
  s: Settings,
  dir: string,
  name: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!/^postgres(ql)?:\/\//.test(s.db)) {
    const file = path.join(dir, `${name}.db`);
    return { url: `sqlite:///${file}`, drop: async () => undefined };
  }
  const schema = `gecko_bench_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: s.db });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE SCHEMA "${schema}"`);
  const url = `${s.db}${s.db.includes('?') ? '&' : '?'}schema=${schema}`;
  return { url, drop: () => admin(`DROP SCHEMA "${schema}" CASCADE`) };
}

interface CollectSummary {
  requests: number;
  gaps: number;
  stored: number;
  coverage?: { estimatedMissed?: number; estimatedMissedGaps?: number; basis?: string; counterPools?: number };
}

/** Trades made and stored per pool over [fromMs, toMs), stored capped at made (a check refuses more). */
async function tally(sim: GeckoSimulator, dbUrl: string, fromMs: number, toMs: number) {
  const truth = sim.truth({ fromMs, toMs });
  const stored = await storedTradesByPool(dbUrl, sim.network, fromMs, toMs);
  const extra = truth.pools.filter((p) => (stored.get(p.pool) ?? 0) > p.made);
  if (extra.length > 0) throw new Error(`more trades stored than made for ${extra.map((p) => p.pool).join(', ')}`);
  const storedOf = (pool: string) => stored.get(pool) ?? 0;
  const busiest = [...truth.pools].sort((x, y) => y.made - x.made)[0]!;
  return {
    byPool: truth.pools.map((p) => ({ pool: p.pool, made: p.made, stored: storedOf(p.pool) })),
    made: truth.made,
    stored: truth.pools.reduce((sum, p) => sum + storedOf(p.pool), 0),
    busiest: { made: busiest.made, stored: storedOf(busiest.pool) },
  };
}

/**
 * Trades missed while the collector polled, pool by pool from its first poll to its last (whole seconds): what its
 * gaps held, which is what the collector estimates (before a pool's first poll it knows of nothing it missed).
 */
async function missedWhilePolled(sim: GeckoSimulator, dbUrl: string, polls: readonly { at: number; pool: string }[]) {
  const span = new Map<string, { first: number; last: number }>();
  for (const p of polls) {
    const s = span.get(p.pool);
    if (!s) span.set(p.pool, { first: p.at, last: p.at });
    else s.last = p.at;
  }
  let missed = 0;
  for (const [pool, s] of span) {
    const fromMs = Math.ceil(s.first / 1000) * 1000;
    const toMs = Math.floor(s.last / 1000) * 1000;
    if (toMs <= fromMs) continue;
    const made = sim.truth({ fromMs, toMs, pool }).made;
    const stored = (await storedTradesByPool(dbUrl, sim.network, fromMs, toMs)).get(pool) ?? 0;
    missed += made - stored;
  }
  return missed;
}

async function runOne(s: Settings, plan: RunPlan, dir: string, index: number): Promise<RunResult> {
  const runStart = Date.now();
  const sim = await startMarket(s, plan.market, plan.access, runStart - WORLD_START_MS);
  const db = await runDatabase(s, dir, `run-${index}`);
  try {
    const cacheMs = plan.access === 'keyless' ? (REAL_CACHE_S / s.scale) * 1000 : 0;
    const benchMs = (realS: number) => Math.round((realS * 1000) / s.scale);
    const measuredMs = Math.round(benchMs(s.durationS) / 1000) * 1000;
    // The need, planned on the whole run ahead (the simulator knows the future): over the run rather than the
    // measured interval alone, so that a slower start, which shifts the interval, hardly changes it.
    const plannedFrom = runStart + STARTUP_MS;
    const plannedMs = benchMs(s.edgeS) * 2 + measuredMs;
    const planned = oracleFor(sim, plannedFrom, plannedFrom + plannedMs, cacheMs, Number.POSITIVE_INFINITY);
    const needPerMinute = (planned.callsForAll * 60_000) / (plannedMs * s.scale);
    const realBudget = budgetPerMinute(plan.budget, needPerMinute);
    const benchBudget = Math.max(1, Math.round(realBudget * s.scale));
    const collectFlags = expandFlags(plan.schedule.flags, s.scale, benchBudget, s.pools);
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('GECKO_')),
    );
    if (plan.access === 'paid') env.GECKO_API_KEY = KEY;
    // Measured after a warm-up from the first poll, in whole seconds (trades are stamped so). After it, collect runs
    // on until every pool was polled again (what was pending at the end is fetched, as a collector that keeps
    // running would fetch it), or for one more edge at most; then it is stopped (SIGTERM: a clean stop).
    let interval: { fromMs: number; toMs: number } | undefined;
    let stopped = false;
    let stoppedAt = Number.NaN;
    const stopWhen = (): boolean => {
      if (!stopped && untilStop()) {
        stopped = true;
        stoppedAt = Date.now();
      }
      return stopped;
    };
    const untilStop = (): boolean => {
      const polls = sim.polls();
      if (!interval) {
        if (polls.length === 0) return false;
        const fromMs = Math.ceil((polls[0]!.at + benchMs(s.edgeS)) / 1000) * 1000;
        interval = { fromMs, toMs: fromMs + measuredMs };
      }
      const now = Date.now();
      if (now < interval.toMs) return false;
      if (now >= interval.toMs + benchMs(s.edgeS)) return true;
      return new Set(polls.filter((p) => p.at >= interval!.toMs).map((p) => p.pool)).size === sim.pools.length;
    };
    // A backstop only: the run is stopped by stopWhen long before.
    const backstopS = (STARTUP_MS + benchMs(s.edgeS) * 3 + measuredMs) / 1000 + 120;
    const summary = await runChildJson<CollectSummary>(
      BIN,
      [
        'collect',
        ...['--base-url', sim.baseUrl, '--network', sim.network, '--pools', sim.pools.map((p) => p.address).join(',')],
        ...['--db', db.url, '--calls-per-minute', String(benchBudget), '--collectors', String(s.collectors)],
        ...['--duration', String(backstopS), '--log-level', 'error', '--json'],
        // The keyless API's cache is a fact of the API, not a choice of the schedule: collect is told it.
        ...(plan.access === 'keyless' ? ['--cache-seconds', String(cacheMs / 1000)] : []),
        ...collectFlags,
      ],
      `run ${index}: collect`,
      env,
      stopWhen,
    );
    const polls = sim.polls();
    if (!interval || !stopped) throw new Error(`run ${index}: collect ended by itself before it was stopped`);
    const { fromMs, toMs } = interval;
    const measured = await tally(sim, db.url, fromMs, toMs);
    const wholeRun = await missedWhilePolled(sim, db.url, polls);
    const intervalMs = Math.ceil(60_000 / benchBudget);
    const allowed = Math.floor(measuredMs / intervalMs) + 1;
    const oracle = oracleFor(sim, fromMs, toMs, cacheMs, allowed);
    const fair = fairFor(s, sim, fromMs, toMs, benchBudget, cacheMs);
    const spent = polls.filter((p) => p.at >= fromMs && p.at < toMs).length;
    const completeness = measured.made === 0 ? 1 : measured.stored / measured.made;
    const cache = cacheCheck(polls, cacheMs, s.scale);
    return {
      market: plan.market,
      access: plan.access,
      budget: plan.budget,
      budgetPerMinute: realBudget,
      needPerMinute: Number(needPerMinute.toFixed(1)),
      schedule: plan.schedule.name,
      collectFlags,
      fromMs,
      toMs,
      realSeconds: s.durationS,
      made: measured.made,
      stored: measured.stored,
      completeness,
      fair,
      ofFairBound: fair.bound === 0 ? 1 : completeness / fair.bound,
      ofFairPrimal: fair.primal === 0 ? 1 : completeness / fair.primal,
      streamShiftMs: runStart - WORLD_START_MS,
      rangeCalls: sim.stats().routes.range,
      oracle: {
        completeness: oracle.completeness,
        stored: oracle.stored,
        calls: oracle.calls,
        callsForAll: oracle.callsForAll,
      },
      ofOracle: oracle.completeness === 0 ? 1 : completeness / oracle.completeness,
      calls: {
        polls: spent,
        perMinute: Number(((spent * 60) / s.durationS).toFixed(1)),
        budgetUsed: spent / allowed,
        requests: summary.requests,
        poolsCalls: sim.stats().routes.multi + sim.stats().routes.pools + sim.stats().routes.newPools,
      },
      missed: {
        true: measured.made - measured.stored,
        wholeRun,
        estimated: summary.coverage?.estimatedMissed ?? null,
        estimatedGaps: summary.coverage?.estimatedMissedGaps ?? summary.coverage?.estimatedMissed ?? null,
        basis: summary.coverage?.basis ?? null,
        counterPools: summary.coverage?.counterPools ?? null,
      },
      cache,
      gaps: summary.gaps,
      busiest: measured.busiest,
      perPool: sim.pools.map((p) => {
        const mine = polls.filter((q) => q.pool === p.address);
        const t = measured.byPool.find((b) => b.pool === p.address);
        const loss = poolLoss(
          simTradeSource(p),
          mine.map((q) => q.at).sort((a, b) => a - b),
          fromMs,
          toMs,
          stoppedAt,
        );
        return {
          rate: Number((p.tradesPerSecond / s.scale).toFixed(3)),
          made: t?.made ?? 0,
          stored: t?.stored ?? 0,
          warmUpPolls: mine.filter((q) => q.at < fromMs).length,
          polls: mine.filter((q) => q.at >= fromMs && q.at < toMs).length,
          tailPolls: mine.filter((q) => q.at >= toMs).length,
          overflowLost: loss.overflow,
          horizonLost: loss.horizon,
          horizonInWindowAtStop: loss.horizonInWindowAtStop,
          longestGapS: Number.isNaN(loss.longestGapMs)
            ? null
            : Number(((loss.longestGapMs * s.scale) / 1000).toFixed(1)),
        };
      }),
    };
  } finally {
    await sim.close();
    await db.drop();
  }
}

/** Consecutive polls of one pool closer than the cache (a millisecond of slack for the clocks), at real scale. */
function cacheCheck(
  polls: readonly { at: number; pool: string }[],
  cacheMs: number,
  scale: number,
): RunResult['cache'] {
  const last = new Map<string, number>();
  let sooner = 0;
  let shortest = Number.POSITIVE_INFINITY;
  for (const p of polls) {
    const before = last.get(p.pool);
    last.set(p.pool, p.at);
    if (before === undefined) continue;
    shortest = Math.min(shortest, p.at - before);
    if (p.at - before < cacheMs - 1) sooner++;
  }
  return {
    seconds: (cacheMs * scale) / 1000,
    pollsSooner: sooner,
    shortestGapS: Number.isFinite(shortest) ? Number(((shortest * scale) / 1000).toFixed(3)) : null,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** --credit-stop: the run's figures with each pool's trades still in its window at the stop counted as stored. */
function withStopCredit(r: RunResult, s: Settings): RunResult {
  if (!s.creditStop) return r;
  const stored = r.stored + r.perPool.reduce((sum, p) => sum + (p.horizonInWindowAtStop ?? 0), 0);
  const completeness = r.made === 0 ? 1 : stored / r.made;
  const of = (x: number) => (x === 0 ? 1 : completeness / x);
  return { ...r, atStop: { stored, completeness, ofFairBound: of(r.fair.bound), ofFairPrimal: of(r.fair.primal) } };
}

function line(r: RunResult): string {
  const estimated =
    r.missed.estimated === null
      ? ''
      : `; whole run: missed ${r.missed.wholeRun.toLocaleString('en-US')}, estimated ${r.missed.estimated.toLocaleString('en-US')}` +
        (r.missed.basis && r.missed.basis !== 'gaps' && r.missed.estimatedGaps !== null
          ? ` (${r.missed.basis}; rate x span ${r.missed.estimatedGaps.toLocaleString('en-US')})`
          : '');
  return (
    `${r.market.padEnd(7)} ${r.access.padEnd(7)} budget ${`${r.budget} = ${r.budgetPerMinute}/min`.padEnd(16)} ` +
    `${r.schedule.padEnd(9)} stored ${pct(r.completeness).padStart(6)} of ${r.made.toLocaleString('en-US')} made ` +
    `(fair oracle ${pct(r.fair.primal)}..${pct(r.fair.bound)}, ${r.ofFairBound.toFixed(2)}x the bound; unpaced oracle ` +
    `${pct(r.oracle.completeness)}); calls ${r.calls.perMinute}/min ` +
    `(${pct(r.calls.budgetUsed)} of the budget); missed ${r.missed.true.toLocaleString('en-US')}${estimated}; ` +
    `gaps ${r.gaps}; busiest pool ${r.busiest.stored}/${r.busiest.made}` +
    (r.cache.seconds > 0 ? `; polls sooner than the cache: ${r.cache.pollsSooner}` : '') +
    (r.rangeCalls > 0 ? `; range calls ${r.rangeCalls}` : '') +
    (r.atStop
      ? `; with a poll at the stop ${pct(r.atStop.completeness)}, ${r.atStop.ofFairBound.toFixed(2)}x the bound`
      : '')
  );
}

function list(raw: string | undefined, fallback: string, allowed?: readonly string[], name = ''): string[] {
  const items = (raw ?? fallback)
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  for (const item of items)
    if (allowed && !allowed.includes(item))
      throw new UsageError(`--${name}: ${item} is not one of ${allowed.join(', ')}`);
  return items;
}

function schedules(raw: string[] | undefined): RunPlan['schedule'][] {
  return (raw && raw.length > 0 ? raw : ['fixed', 'adaptive']).map((spec) => {
    const eq = spec.indexOf('=');
    const name = eq < 0 ? spec : spec.slice(0, eq);
    const flags = eq < 0 ? BUILT_IN_SCHEDULES[name] : spec.slice(eq + 1);
    if (flags === undefined)
      throw new UsageError(
        `--schedule ${name}: not built in (${Object.keys(BUILT_IN_SCHEDULES).join(', ')}); give NAME=FLAGS`,
      );
    return { name, flags };
  });
}

/**
 * `--oracle-from FILE`: the oracles of a saved --json run again, without running collect: each run's market is
 * replayed from its streamShiftMs (the market is a function of the seed and the shift), the rest is kept.
 */
async function recomputeOracles(flags: Settings, file: string, json: boolean): Promise<void> {
  const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { settings: Settings; runs: RunResult[] };
  const s: Settings = {
    ...saved.settings,
    oracleCells: flags.oracleCells,
    oracleIterations: flags.oracleIterations,
    creditStop: flags.creditStop === true,
  };
  const runs: RunResult[] = [];
  for (const r of saved.runs) {
    if (r.streamShiftMs === undefined)
      throw new UsageError(`--oracle-from: ${file} has no streamShiftMs (saved before the fair oracle): run it again`);
    const sim = await startMarket(s, r.market, r.access, r.streamShiftMs);
    try {
      const cacheMs = r.access === 'keyless' ? (REAL_CACHE_S / s.scale) * 1000 : 0;
      const benchBudget = Math.max(1, Math.round(r.budgetPerMinute * s.scale));
      const fair = fairFor(s, sim, r.fromMs, r.toMs, benchBudget, cacheMs);
      if (fair.made !== r.made)
        throw new Error(`--oracle-from: the replayed market made ${fair.made}, the run ${r.made}`);
      const next = withStopCredit(
        {
          ...r,
          fair,
          ofFairBound: fair.bound === 0 ? 1 : r.completeness / fair.bound,
          ofFairPrimal: fair.primal === 0 ? 1 : r.completeness / fair.primal,
        },
        s,
      );
      runs.push(next);
      say(line(next));
    } finally {
      await sim.close();
    }
  }
  if (json) process.stdout.write(`${JSON.stringify({ ...saved, settings: s, runs }, null, 2)}\n`);
}

await runScript('bench:completeness', USAGE, async () => {
  const { values } = parseFlags(process.argv.slice(2), {
    duration: { type: 'string' },
    edge: { type: 'string' },
    'time-scale': { type: 'string' },
    pools: { type: 'string' },
    seed: { type: 'string' },
    schedule: { type: 'string', multiple: true },
    budgets: { type: 'string' },
    'uniform-budgets': { type: 'string' },
    markets: { type: 'string' },
    access: { type: 'string' },
    'no-bursts': { type: 'boolean' },
    collectors: { type: 'string' },
    db: { type: 'string' },
    keep: { type: 'string' },
    json: { type: 'boolean' },
    'oracle-cells': { type: 'string' },
    'oracle-iterations': { type: 'string' },
    'oracle-from': { type: 'string' },
    'credit-stop': { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.json) say = (line: string) => process.stderr.write(`${line}\n`);
  const s: Settings = {
    scale: numberFlag('time-scale', values['time-scale'], 4, 1, 60),
    durationS: numberFlag('duration', values.duration, 240, 10, 86_400),
    edgeS: numberFlag('edge', values.edge, EDGE_S, 0, 86_400),
    pools: intFlag('pools', values.pools, 24, 1, 500),
    seed: intFlag('seed', values.seed, 1, 0, 2 ** 31 - 1),
    bursts: values['no-bursts'] !== true,
    collectors: intFlag('collectors', values.collectors, 4, 1, 64),
    db: values.db ?? 'sqlite',
    keep: values.keep,
    oracleCells: intFlag('oracle-cells', values['oracle-cells'], 8, 1, 1000),
    oracleIterations: intFlag('oracle-iterations', values['oracle-iterations'], 300, 1, 100_000),
    creditStop: values['credit-stop'] === true,
  };
  if (values['oracle-from'] !== undefined) {
    await recomputeOracles(s, values['oracle-from'], values.json === true);
    return;
  }
  const markets = list(values.markets, 'skewed,uniform', ['skewed', 'uniform'], 'markets') as SimMarketKind[];
  const access = list(values.access, 'paid,keyless', ['paid', 'keyless'], 'access') as Access[];
  const budgets = { skewed: list(values.budgets, '0.5x,1x,4x'), uniform: list(values['uniform-budgets'], '1x') };
  for (const b of [...budgets.skewed, ...budgets.uniform]) budgetPerMinute(b, 1);
  const plans: RunPlan[] = [];
  for (const market of markets)
    for (const a of access)
      for (const budget of budgets[market])
        for (const schedule of schedules(values.schedule)) plans.push({ market, access: a, budget, schedule });

  const machine = machineSummary();
  say(machine.line);
  say(
    `time scale ${s.scale}: each run measures ${s.durationS} s of the real API in ${s.durationS / s.scale} s, after ${s.edgeS} s ` +
      `of warm-up and before up to ${s.edgeS} s of tail (rates, budgets and bursts x${s.scale}, keyless cache ${REAL_CACHE_S}/${s.scale} s); ` +
      'figures below are at real scale',
  );
  say(
    `market: ${s.pools} pools, seed ${s.seed}; skewed ${SKEWED_MARKET_DEFAULTS.busiestTradesPerSecond} down to ` +
      `${SKEWED_MARKET_DEFAULTS.quietestTradesPerSecond} trades/s, uniform at the same mean; bursts ` +
      (s.bursts
        ? `x${DEFAULT_BURSTS.factor} for ${DEFAULT_BURSTS.seconds} s every ${DEFAULT_BURSTS.everySeconds} s in ${DEFAULT_BURSTS.share * 100}% of the pools`
        : 'off'),
  );
  say(`${plans.length} runs; a budget "Nx" is N times the oracle's need over the run (its calls/min to store all)`);
  const dir = s.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gecko-bench-completeness-'));
  fs.mkdirSync(dir, { recursive: true });
  const results: RunResult[] = [];
  try {
    for (const [i, plan] of plans.entries()) {
      const r = withStopCredit(await runOne(s, plan, dir, i), s);
      results.push(r);
      say(line(r));
    }
  } finally {
    if (!s.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
  if (values.json)
    process.stdout.write(
      `${JSON.stringify(
        {
          machine,
          settings: { ...s, realCacheSeconds: REAL_CACHE_S, realPollIntervalSeconds: REAL_POLL_INTERVAL_S },
          runs: results,
        },
        null,
        2,
      )}\n`,
    );
});
