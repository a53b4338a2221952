// What a gap probably cost: the trades a pool made between its cursor trade and the oldest trade of the full
// answer that did not reach back to it, as the gap's span at the pool's rate. Block times are whole seconds (a busy
// pool's 300 trades may span less than one), so the span starts when the previous answer was served, and ends
// where the answer's oldest trade most likely fell inside its second, by the rate and the trades it holds of it.

/** One gap as the answer shows it (all ms since epoch). */
export interface GapView {
  /** The cursor trade's block time (a whole second when stamped so). */
  cursorMs: number;
  /**
   * When the pool's previous answer was served (NaN if unknown, as for a resumed pool's first answer): it held
   * every trade up to then, so the gap starts there at the earliest.
   */
  previousServedMs: number;
  /** The answer's oldest trade's block time, and how many of its trades share that second. */
  oldestMs: number;
  oldestSecondCount: number;
  /** When the answer was served. */
  atMs: number;
}

/** Trades/s before the gap (the estimate before the answer) and after it (after the answer). */
export interface GapRates {
  before: number;
  after: number;
}

const stamped = (ms: number) => ms % 1000 === 0;

/**
 * Where the gap starts: when the previous answer was served (it held every trade up to then; the cursor trade is
 * the newest of them), else inside the cursor trade's second.
 */
export function gapStartMs(g: GapView): number {
  if (Number.isFinite(g.previousServedMs)) return Math.max(g.cursorMs, g.previousServedMs);
  return stamped(g.cursorMs) ? g.cursorMs + 500 : g.cursorMs;
}

/**
 * Where the answer's oldest trade most likely fell: the answer's trades of that second are all it made there when
 * the rate says so (evenly spread over it), else the newest of it, one `1/rate` apart back from its end.
 */
export function oldestTimeMs(g: GapView, rate: number): number {
  if (!stamped(g.oldestMs)) return g.oldestMs;
  const hi = Math.min(g.oldestMs + 1000, Math.max(g.oldestMs, g.atMs));
  const k = Math.max(1, g.oldestSecondCount);
  const spread = g.oldestMs + (hi - g.oldestMs) / (k + 1);
  const packed = rate > 0 ? hi - (k * 1000) / rate : Number.NEGATIVE_INFINITY;
  return Math.min(hi, Math.max(spread, packed));
}

/** The trades the gap probably held. */
export function gapMissed(g: GapView, r: GapRates): number {
  const spanMs = oldestTimeMs(g, r.after) - gapStartMs(g);
  if (!(spanMs > 0)) return 0;
  const rate = (r.before + r.after) / 2;
  return (rate * spanMs) / 1000;
}
