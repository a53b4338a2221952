// The fair completeness oracle: an upper bound on what any schedule could store when calls are paced as collect's
// limiter paces them (a GCRA with burst 1: two calls at least one interval I apart) and a pool's polls are at least
// the cache time apart, with a feasible schedule beside it, so that the gap between the two is known.
//
// Time from the measured interval's start to the end of the tail (collect keeps polling after the interval; what it
// fetches then still counts) is cut into m cells per interval (cellsPerInterval, whole-ms bounds), so that m
// consecutive cells span exactly I: any m consecutive cells hold at most one call. A poll in cell c after the pool's previous poll in cell p stores at most
// the interval's trades in (start of p, end of c), and at most the window (300) less the trades made since the
// interval's end up to the start of c (the answer is the newest 300). With d = 1 ms both are exact.
// The one-call-per-m-cells rule couples the pools: it is priced (Lagrangian relaxation). With prices lambda_w >= 0
// on the windows of m cells, each pool alone takes the chain of polls that maximises stored minus the prices of its
// cells (a DP over cells, linear with a sliding-window maximum), and the sum of those plus the sum of the prices is
// an upper bound for ANY lambda >= 0 (weak duality: a feasible schedule pays at most sum lambda). Subgradient steps
// lower it; the lowest is the bound. The primal: schedules on the cells' last ms (the DP's polls now and then, with
// clashes dropped; a greedy by what a call stores now; a greedy by overflow deadlines; nothing), each made better pool
// by pool (a pool's best chain in the cells the others leave free), evaluated exactly; the best is kept.
// With finalPoll, every chain ends in one more poll at the end of the tail, free (no price, no call).

import { latestTradeIndex, type SimPool, tradeTimeMs } from '../src/sim/sim-trade-source.ts';

/** The API's page: the trades endpoint answers the newest 300. */
export const WINDOW = 300;

/** A pool's trades: the index of the newest one at or before a time (-1 before the first), indices in time order. */
export interface TradeSource {
  latest(tMs: number): number;
  /** Trade k's time (+Infinity past the last). */
  time(k: number): number;
}

export function simTradeSource(pool: SimPool): TradeSource {
  return { latest: (t) => latestTradeIndex(pool, t), time: (k) => tradeTimeMs(pool, k) };
}

/** Trades at the given times (ms, sorted ascending): for tests and hand-made markets. */
export function tradeTimesSource(times: readonly number[]): TradeSource {
  return {
    latest(t) {
      let lo = 0;
      let hi = times.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (times[mid]! <= t) lo = mid + 1;
        else hi = mid;
      }
      return lo - 1;
    },
    time: (k) => times[k] ?? Number.POSITIVE_INFINITY,
  };
}

export interface FairOracleOptions {
  /** The measured interval [fromMs, toMs): only its trades count. */
  fromMs: number;
  toMs: number;
  /** Calls may go on this long after toMs (collect's tail). */
  tailMs: number;
  /** The limiter's interval: two calls at least this far apart. */
  intervalMs: number;
  /** A pool's answer is cached this long (0: the paid API); a poll sooner gets nothing new. */
  cacheMs: number;
  /** Cells per limiter interval (finer: a tighter bound, slower). Default 8. */
  cellsPerInterval?: number;
  /** Subgradient steps at most. Default 300. */
  iterations?: number;
  /** The newest this many trades are answered. Default 300. */
  window?: number;
  /**
   * Every pool gets one more poll, free, at the end of the tail (paid model: the cache is not asked): what a
   * collector that keeps running would still find in each window at the stop is counted, for the oracle as for
   * collect (bench:completeness --credit-stop).
   */
  finalPoll?: boolean;
  /** Called after each step with the dual value there and the best primal so far. */
  trace?: (iteration: number, dual: number, primal: number) => void;
}

export interface OraclePoll {
  /** Index into the sources. */
  pool: number;
  atMs: number;
}

export interface Primal {
  stored: number;
  completeness: number;
  calls: number;
  /** Where the schedule came from (each is then made better pool by pool). */
  by: 'dp' | 'greedy' | 'deadlines' | 'sequential' | 'priced';
  polls: OraclePoll[];
}

export interface FairOracleResult {
  made: number;
  /** The upper bound (the lowest dual value found): no schedule stores more. */
  bound: { stored: number; completeness: number };
  /** A feasible schedule's exact result: some schedule stores this much. */
  primal: Primal;
  /** What the simple greedy alone stores. */
  greedy: { stored: number; calls: number };
  cellMs: number;
  cells: number;
  iterations: number;
}

interface Frame {
  fromMs: number;
  toMs: number;
  horizonMs: number;
  intervalMs: number;
  cacheMs: number;
  window: number;
  finalPoll: boolean;
}

function frameOf(o: FairOracleOptions): Frame {
  if (!(o.intervalMs >= 1 && o.toMs >= o.fromMs && o.tailMs >= 0 && o.cacheMs >= 0))
    throw new RangeError('fair oracle: needs intervalMs >= 1, toMs >= fromMs, tailMs >= 0, cacheMs >= 0');
  return {
    fromMs: o.fromMs,
    toMs: o.toMs,
    horizonMs: o.toMs + o.tailMs,
    intervalMs: o.intervalMs,
    cacheMs: o.cacheMs,
    window: o.window ?? WINDOW,
    finalPoll: o.finalPoll ?? false,
  };
}

/** Trades of [fromMs, toMs) each pool stores under `polls`, exactly (a poll sooner than the cache gets nothing). */
export function evaluateSchedule(
  sources: readonly TradeSource[],
  polls: readonly OraclePoll[],
  options: Pick<FairOracleOptions, 'fromMs' | 'toMs' | 'cacheMs' | 'window'>,
): number[] {
  const window = options.window ?? WINDOW;
  const byPool = sources.map(() => [] as number[]);
  for (const p of polls) byPool[p.pool]!.push(p.atMs);
  return sources.map((src, i) => {
    const first = src.latest(options.fromMs - 1) + 1;
    const end = src.latest(options.toMs - 1) + 1;
    let covered = first - 1; // the newest trade any answer so far held
    let fresh = Number.NEGATIVE_INFINITY;
    let stored = 0;
    for (const t of byPool[i]!.sort((a, b) => a - b)) {
      if (t - fresh < options.cacheMs) continue; // the cached answer: nothing new
      fresh = t;
      const newest = src.latest(t);
      const lo = Math.max(newest - window + 1, covered + 1, first);
      const hi = Math.min(newest, end - 1);
      if (hi >= lo) stored += hi - lo + 1;
      covered = Math.max(covered, newest);
    }
    return stored;
  });
}

/** Why `polls` is not a schedule collect's limiter and the cache allow (calls within [fromMs, horizon)), or null. */
export function scheduleViolation(
  polls: readonly OraclePoll[],
  options: Pick<FairOracleOptions, 'fromMs' | 'toMs' | 'tailMs' | 'intervalMs' | 'cacheMs'>,
): string | null {
  const sorted = [...polls].sort((a, b) => a.atMs - b.atMs);
  const last = new Map<number, number>();
  for (const [i, p] of sorted.entries()) {
    if (p.atMs < options.fromMs || p.atMs >= options.toMs + options.tailMs) return `poll ${i} at ${p.atMs} is outside`;
    if (i > 0 && p.atMs - sorted[i - 1]!.atMs < options.intervalMs) return `polls ${i - 1} and ${i} are too close`;
    const before = last.get(p.pool);
    if (before !== undefined && p.atMs - before < options.cacheMs) return `pool ${p.pool} polled sooner than the cache`;
    last.set(p.pool, p.atMs);
  }
  return null;
}

/**
 * At every pacing slot (by default one each interval from fromMs), the fresh pool where the call stores the most
 * now (none if nothing would be stored). With `deadlines`, a pool that would otherwise lose trades comes first:
 * when the j pools whose windows overflow soonest cannot all wait beyond the next j slots, the soonest is polled.
 */
export function greedySchedule(
  sources: readonly TradeSource[],
  options: FairOracleOptions,
  slotTimes?: readonly number[],
  deadlines = false,
): OraclePoll[] {
  const f = frameOf(options);
  const state = sources.map((src) => ({
    src,
    first: src.latest(f.fromMs - 1) + 1,
    end: src.latest(f.toMs - 1) + 1,
    covered: src.latest(f.fromMs - 1),
    fresh: Number.NEGATIVE_INFINITY,
  }));
  const polls: OraclePoll[] = [];
  const slots = slotTimes ? [...slotTimes] : [];
  if (!slotTimes) for (let t = f.fromMs; t < f.horizonMs; t += f.intervalMs) slots.push(t);
  const due: { i: number; at: number; newest: number }[] = [];
  for (const [k, t] of slots.entries()) {
    let best = -1;
    let bestGain = 0;
    let bestNewest = 0;
    due.length = 0;
    for (const [i, s] of state.entries()) {
      if (t - s.fresh < f.cacheMs || s.covered >= s.end - 1) continue;
      const newest = s.src.latest(t);
      const gain = Math.min(newest, s.end - 1) - Math.max(newest - f.window + 1, s.covered + 1, s.first) + 1;
      if (gain > bestGain) [best, bestGain, bestNewest] = [i, gain, newest];
      // The last ms a poll keeps the oldest trade still wanted.
      if (deadlines && gain > 0)
        due.push({ i, at: s.src.time(Math.max(s.covered + 1, s.first) + f.window) - 1, newest });
    }
    if (deadlines && due.length > 0) {
      due.sort((a, b) => a.at - b.at);
      const slotAfter = (j: number) => slots[k + j] ?? Number.POSITIVE_INFINITY;
      if (due.some((d, j) => d.at < slotAfter(j + 1))) [best, bestNewest] = [due[0]!.i, due[0]!.newest];
    }
    if (best < 0) continue;
    const s = state[best]!;
    s.fresh = t;
    s.covered = Math.max(s.covered, bestNewest);
    polls.push({ pool: best, atMs: t });
  }
  return polls;
}

/** One pool's per-cell counts: what a poll in a cell can store, from the cell bounds. */
interface PoolCells {
  /** up[h]: interval trades before the start of cell h (h = 0..H; up[H] for the end). */
  up: Float64Array;
  /** lo[p]: interval trades at or before the first ms of cell p: a later poll stores only after them. */
  lo: Float64Array;
  /** room[c]: the window less the trades since the interval's end at or before the first ms of cell c. */
  room: Float64Array;
  made: number;
  /** With a final poll: the window less the trades since the interval's end at the end of the tail; else -Infinity. */
  endRoom: number;
}

/** What the free final poll stores after a chain whose last poll covered `covered` interval trades. */
function finalGain(pc: PoolCells, covered: number): number {
  return Math.max(0, Math.min(pc.made - covered, pc.endRoom));
}

function poolCells(src: TradeSource, f: Frame, grid: Grid): PoolCells {
  const cells = grid.cells;
  const first = src.latest(f.fromMs - 1) + 1;
  const end = src.latest(f.toMs - 1) + 1;
  const interval = (x: number) => src.latest(Math.min(x, f.toMs) - 1) + 1 - first; // in [fromMs, min(x, toMs))
  const after = (x: number) => (x > f.toMs ? src.latest(x - 1) + 1 - end : 0); // in [toMs, x)
  const up = new Float64Array(cells + 1);
  const lo = new Float64Array(cells);
  const room = new Float64Array(cells);
  for (let h = 0; h <= cells; h++) up[h] = interval(grid.start(h));
  for (let h = 0; h < cells; h++) {
    const start = grid.start(h);
    lo[h] = interval(start + 1);
    room[h] = f.window - after(start + 1);
  }
  return { up, lo, room, made: end - first, endRoom: endRoomOf(src, f, end) };
}

function endRoomOf(src: TradeSource, f: Frame, end: number): number {
  return f.finalPoll ? f.window - (src.latest(f.horizonMs - 1) + 1 - end) : Number.NEGATIVE_INFINITY;
}

/**
 * The chain of polls of one pool maximising stored - sum of price[cell], polls at least `gap` cells apart: its value
 * (0: no poll) and its cells. dp[c] = the best chain ending with a poll in c; a predecessor p stores
 * min(up[c+1] - lo[p], room[c]): room[c] for every p up to the last where that saturates (a prefix maximum), else
 * dp[p] - lo[p] + up[c+1] (a sliding-window maximum: both ends of the range only move forward).
 */
function bestChain(
  pc: PoolCells,
  price: Float64Array,
  gap: number,
  { dp, prev, prefixArg, deque }: Pick<Scratch, 'dp' | 'prev' | 'prefixArg' | 'deque'>,
): { value: number; cells: number[] } {
  const H = price.length;
  let head = 0;
  let tail = 0;
  let sat = -1; // the last p whose chain to c stores room[c]
  let bestC = -1;
  let bestV = finalGain(pc, 0);
  for (let c = 0; c < H; c++) {
    const room = pc.room[c]!;
    const top = pc.up[c + 1]!;
    const hi = c - gap;
    if (hi >= 0) {
      const key = dp[hi]! - pc.lo[hi]!;
      while (tail > head && dp[deque[tail - 1]!]! - pc.lo[deque[tail - 1]!]! <= key) tail--;
      deque[tail++] = hi;
    }
    const threshold = top - room;
    while (sat + 1 < H && pc.lo[sat + 1]! <= threshold) sat++;
    while (tail > head && deque[head]! <= sat) head++;
    let v = Math.max(0, Math.min(top, room));
    let from = -1;
    const satTo = Math.min(sat, hi);
    if (satTo >= 0) {
      const a = prefixArg[satTo]!;
      const cand = dp[a]! + Math.max(0, room);
      if (cand > v) [v, from] = [cand, a];
    }
    if (tail > head) {
      const a = deque[head]!;
      const cand = dp[a]! - pc.lo[a]! + top;
      if (cand > v) [v, from] = [cand, a];
    }
    dp[c] = v - price[c]!;
    prev[c] = from;
    prefixArg[c] = c > 0 && dp[prefixArg[c - 1]!]! >= dp[c]! ? prefixArg[c - 1]! : c;
    if (dp[c]! + finalGain(pc, pc.lo[c]!) > bestV) [bestV, bestC] = [dp[c]! + finalGain(pc, pc.lo[c]!), c];
  }
  const chain: number[] = [];
  for (let c = bestC; c >= 0; c = prev[c]!) chain.push(c);
  return { value: bestV, cells: chain.reverse() };
}

/** The pools' cells when each poll is at its cell's last ms: what a chain of them stores, exactly. */
function exactCells(src: TradeSource, f: Frame, grid: Grid): PoolCells {
  const cells = grid.cells;
  const first = src.latest(f.fromMs - 1) + 1;
  const end = src.latest(f.toMs - 1) + 1;
  const interval = (x: number) => src.latest(Math.min(x, f.toMs) - 1) + 1 - first;
  const after = (x: number) => (x > f.toMs ? src.latest(x - 1) + 1 - end : 0);
  const up = new Float64Array(cells + 1);
  const lo = new Float64Array(cells);
  const room = new Float64Array(cells);
  for (let h = 0; h < cells; h++) {
    const at = grid.last(h);
    lo[h] = interval(at + 1);
    up[h + 1] = lo[h]!;
    room[h] = f.window - after(at + 1);
  }
  return { up, lo, room, made: end - first, endRoom: endRoomOf(src, f, end) };
}

/**
 * Cells of interval/split ms (not a whole number: rounding them would lose calls), as whole-ms bounds: cell h is
 * [start(h), start(h+1)), and any `split` consecutive cells span exactly one interval.
 */
interface Grid {
  cells: number;
  split: number;
  /** The mean cell length, ms. */
  cellMs: number;
  start(h: number): number;
  /** The cell's last ms: where the primal polls. */
  last(h: number): number;
  /** Cells that end within the horizon: the primal polls only in these (a cut cell's last ms would break spacing). */
  full: number;
}

function gridOf(f: Frame, cellsPerInterval: number): Grid {
  const split = Math.max(1, Math.min(f.intervalMs, Math.floor(cellsPerInterval)));
  const I = f.intervalMs;
  const start = (h: number) => f.fromMs + Math.floor((h * I + split - 1) / split);
  return {
    cells: Math.max(1, Math.ceil(((f.horizonMs - f.fromMs) * split) / I)),
    split,
    cellMs: I / split,
    start,
    last: (h) => start(h + 1) - 1,
    full: Math.floor(((f.horizonMs - f.fromMs) * split) / I),
  };
}

/** A tiny price per poll: of chains that store as much, the one with fewer polls. */
const EPSILON = 1e-6;
const BLOCKED = 1e12;

/**
 * A feasible schedule made better pool by pool (busiest first): each pool's polls are replaced by its best chain
 * in the cells the other pools' polls leave free (at least `spacing` cells from each), until nothing improves.
 * Never worse than the start.
 */
function improve(
  exact: readonly PoolCells[],
  start: readonly number[][],
  spacing: number,
  gap: number,
  /** Cells from this one on are not polled. */
  usable: number,
  scratch: Scratch,
  quietestFirst = false,
  passes = 4,
  /** Build the start instead, pool by pool at these prices per cell (the dual's): cells others value are avoided. */
  prices?: Float64Array,
): number[][] {
  const H = scratch.price.length;
  const cellsOf = start.map((c) => [...c]);
  let building = prices !== undefined;
  const occupied = new Float64Array(H + 1);
  const order = exact.map((_, i) => i).sort((a, b) => (exact[b]!.made - exact[a]!.made) * (quietestFirst ? -1 : 1));
  for (let pass = 0; pass < passes; pass++) {
    let better = false;
    for (const i of order) {
      if (exact[i]!.made === 0) continue;
      occupied.fill(0);
      for (const [j, cells] of cellsOf.entries()) if (j !== i) for (const c of cells) occupied[c + 1]! += 1;
      for (let h = 0; h < H; h++) occupied[h + 1]! += occupied[h]!;
      for (let c = 0; c < H; c++) {
        const near = occupied[Math.min(H, c + spacing)]! - occupied[Math.max(0, c - spacing + 1)]!;
        scratch.price[c] = near > 0 || c >= usable ? BLOCKED : EPSILON + (building ? prices![c]! : 0);
      }
      const now = chainValue(exact[i]!, cellsOf[i]!);
      const { cells } = bestChain(exact[i]!, scratch.price, gap, scratch);
      const stored = chainValue(exact[i]!, cells);
      // The same with fewer polls is better too: the cells go free for the other pools.
      if (building || stored > now || (stored === now && cells.length < cellsOf[i]!.length)) {
        better ||= stored > now;
        cellsOf[i] = cells;
      }
    }
    if (!better && !building) break;
    building = false;
  }
  return cellsOf;
}

/** What a pool's chain of polls at its cells' last ms stores. */
function chainValue(pc: PoolCells, cells: readonly number[]): number {
  let v = 0;
  for (const [k, c] of cells.entries()) {
    const gain = k === 0 ? pc.up[c + 1]! : pc.up[c + 1]! - pc.lo[cells[k - 1]!]!;
    v += Math.max(0, Math.min(gain, pc.room[c]!));
  }
  return v + finalGain(pc, cells.length === 0 ? 0 : pc.lo[cells.at(-1)!]!);
}

interface Scratch {
  price: Float64Array;
  dp: Float64Array;
  prev: Int32Array;
  prefixArg: Int32Array;
  deque: Int32Array;
}

/** The fair oracle over the pools' trades: the bound, a feasible schedule, and the greedy. */
export function fairOracle(sources: readonly TradeSource[], options: FairOracleOptions): FairOracleResult {
  const f = frameOf(options);
  const grid = gridOf(f, options.cellsPerInterval ?? 8);
  const { cells: H, cellMs } = grid;
  const m = grid.split; // m consecutive cells span one interval: one call among them at most
  // Polls in cells p < c can be the cache apart (p's first ms to c's last) only if c - p >= gap: cells k apart
  // span at most ceil((k + 1) * cellMs) ms.
  const gap = Math.max(m, Math.floor((f.cacheMs * m) / f.intervalMs));
  // The primal polls at cells' last ms: calls `spacing` cells apart are an interval apart, and primalGap cells are
  // the cache apart (cells k apart have last ms at least floor(k * cellMs) apart).
  const spacing = m;
  const primalGap = Math.max(spacing, Math.ceil((f.cacheMs * m) / f.intervalMs));
  const pools = sources.map((src) => poolCells(src, f, grid));
  const exact = sources.map((src) => exactCells(src, f, grid));
  const made = pools.reduce((s, p) => s + p.made, 0);
  const W = Math.max(1, H - m + 1); // window w: cells w .. w+m-1
  const lambda = new Float64Array(W);
  const lambdaSum = new Float64Array(W + 1);
  const use = new Float64Array(H + 1);
  const g = new Float64Array(W);
  const scratch: Scratch = {
    price: new Float64Array(H),
    dp: new Float64Array(H),
    prev: new Int32Array(H),
    prefixArg: new Int32Array(H),
    deque: new Int32Array(H),
  };
  const toPolls = (cellsOf: readonly number[][]): OraclePoll[] =>
    cellsOf.flatMap((cells, pool) => cells.map((c) => ({ pool, atMs: grid.last(c) }))).sort((a, b) => a.atMs - b.atMs);

  // The greedy on the primal's grid: at every `spacing`-th cell, the pool a call stores the most for now.
  const slots: number[] = [];
  for (let h = spacing - 1; h < grid.full; h += spacing) slots.push(h);
  const greedy = greedySchedule(sources, options, slots.map(grid.last));
  const greedyStored = sum(evaluateSchedule(sources, greedy, f));
  const cellAt = new Map(slots.map((h) => [grid.last(h), h]));
  const toCells = (polls: readonly OraclePoll[]) => {
    const cells = sources.map(() => [] as number[]);
    for (const p of polls) cells[p.pool]!.push(cellAt.get(p.atMs)!);
    return cells;
  };
  const greedyCells = toCells(greedy);
  let primal = { stored: 0, cells: greedyCells, by: 'greedy' as Primal['by'] };
  const tryPrimal = (start: number[][], by: Primal['by'], quietestFirst = false, prices?: Float64Array) => {
    const cells = improve(exact, start, spacing, primalGap, grid.full, scratch, quietestFirst, 4, prices);
    const stored = sum(cells.map((c, i) => chainValue(exact[i]!, c)));
    if (stored > primal.stored) primal = { stored, cells, by };
  };
  tryPrimal(greedyCells, 'greedy');
  tryPrimal(toCells(greedySchedule(sources, options, slots.map(grid.last), true)), 'deadlines');
  // From nothing, one pool at a time in the cells the pools before it left free.
  tryPrimal(
    sources.map(() => []),
    'sequential',
  );
  tryPrimal(
    sources.map(() => []),
    'sequential',
    true,
  );

  let bestBound = Number.POSITIVE_INFINITY;
  const bestPrices = new Float64Array(H);
  let theta = 1;
  let sinceBetter = 0;
  const iterations = Math.max(1, Math.floor(options.iterations ?? 300));
  let done = 0;
  for (let it = 0; it < iterations; it++) {
    done = it + 1;
    lambdaSum[0] = 0;
    for (let w = 0; w < W; w++) lambdaSum[w + 1] = lambdaSum[w]! + lambda[w]!;
    for (let h = 0; h < H; h++)
      scratch.price[h] = lambdaSum[Math.min(h, W - 1) + 1]! - lambdaSum[Math.max(0, h - m + 1)]!;
    // Any lambda >= 0 gives a valid upper bound: sum of prices + each pool's best chain at those prices.
    let dual = lambdaSum[W]!;
    const chosen: number[][] = [];
    for (const pc of pools) {
      const { value, cells } = pc.made === 0 ? { value: 0, cells: [] } : bestChain(pc, scratch.price, gap, scratch);
      dual += value;
      chosen.push(cells);
    }
    if (dual < bestBound - 1e-9) {
      [bestBound, sinceBetter] = [dual, 0];
      bestPrices.set(scratch.price);
    } else if (++sinceBetter >= 10) [theta, sinceBetter] = [theta / 2, 0];
    options.trace?.(it, dual, primal.stored);

    // Now and then a primal from these polls: in time order, each kept if the pacing and the cache allow it, then
    // made better pool by pool.
    if (it % 25 === 24 || it === iterations - 1) {
      const all = chosen.flatMap((cells, pool) => cells.map((cell) => ({ pool, cell })));
      all.sort((a, b) => a.cell - b.cell || a.pool - b.pool);
      const kept: number[][] = sources.map(() => []);
      let last = Number.NEGATIVE_INFINITY;
      for (const { pool, cell } of all) {
        const mine = kept[pool]!;
        if (cell >= grid.full || cell - last < spacing || (mine.length > 0 && cell - mine.at(-1)! < primalGap))
          continue;
        mine.push(cell);
        last = cell;
      }
      tryPrimal(kept, 'dp');
    }
    if (bestBound - primal.stored < 0.5) break; // stored is whole: nothing better exists

    // Subgradient of the dual at lambda: 1 - calls in each window; a step against it, kept at lambda >= 0.
    use.fill(0);
    for (const cells of chosen) for (const cell of cells) use[cell + 1]! += 1;
    for (let h = 0; h < H; h++) use[h + 1]! += use[h]!;
    let norm = 0;
    for (let w = 0; w < W; w++) {
      g[w] = 1 - (use[Math.min(w + m, H)]! - use[w]!);
      if (lambda[w]! > 0 || g[w]! < 0) norm += g[w]! * g[w]!;
    }
    if (norm === 0) break; // no window over-used and no price to lower: this lambda is optimal
    const step = (theta * Math.max(dual - primal.stored, 1)) / norm;
    for (let w = 0; w < W; w++) lambda[w] = Math.max(0, lambda[w]! - step * g[w]!);
  }
  // Last, the pools one by one at the best dual's prices: each avoids the cells the others value most.
  if (bestBound - primal.stored >= 0.5) {
    tryPrimal(
      sources.map(() => []),
      'priced',
      false,
      bestPrices,
    );
    tryPrimal(
      sources.map(() => []),
      'priced',
      true,
      bestPrices,
    );
  }
  // Stored is a whole number, so the bound rounds down (a hair of slack for the float sums).
  const bound = Math.min(made, Math.floor(bestBound + 1e-6));
  const polls = toPolls(primal.cells);
  if (bound < primal.stored) throw new Error(`fair oracle: bound ${bound} below a feasible ${primal.stored}`);
  const share = (x: number) => (made === 0 ? 1 : x / made);
  return {
    made,
    bound: { stored: bound, completeness: share(bound) },
    primal: {
      stored: primal.stored,
      completeness: share(primal.stored),
      calls: polls.length,
      by: primal.by,
      polls,
    },
    greedy: { stored: greedyStored, calls: greedy.length },
    cellMs,
    cells: H,
    iterations: done,
  };
}

function sum(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0);
}
