// The breaker's state published in a SharedArrayBuffer so collectors and the writer thread can check the
// gate with one atomic load instead of a message round trip. Only the main-thread breaker writes the state;
// in half-open the cell also holds the trial slots, which a sender in any thread claims with compareExchange.

export const BreakerState = {
  CLOSED: 'CLOSED',
  OPEN: 'OPEN',
  HALF_OPEN: 'HALF_OPEN',
  ISOLATED: 'ISOLATED',
} as const;
export type BreakerState = (typeof BreakerState)[keyof typeof BreakerState];

/** The integers stored in the cell; part of the cross-thread contract, never renumber. */
export const BREAKER_STATE_CODES: Readonly<Record<BreakerState, number>> = Object.freeze({
  CLOSED: 0,
  OPEN: 1,
  HALF_OPEN: 2,
  ISOLATED: 3,
});

const STATE_BY_CODE: readonly BreakerState[] = ['CLOSED', 'OPEN', 'HALF_OPEN', 'ISOLATED'];

const STATE_INDEX = 0;
const GENERATION_INDEX = 1;
/** Half-open trials not yet claimed; 0 in every other state. */
const TRIALS_INDEX = 2;
const CELL_COUNT = 3;
export const BREAKER_STATE_BYTES = CELL_COUNT * Int32Array.BYTES_PER_ELEMENT;

function cellsOf(sab: SharedArrayBuffer): Int32Array {
  if (!(sab instanceof SharedArrayBuffer)) throw new TypeError('breaker state: expected a SharedArrayBuffer');
  if (sab.byteLength < BREAKER_STATE_BYTES) {
    throw new RangeError(`breaker state: buffer has ${sab.byteLength} bytes, needs ${BREAKER_STATE_BYTES}`);
  }
  return new Int32Array(sab, 0, CELL_COUNT);
}

/** Takes one trial slot if one is left: exactly `halfOpenTrials` claims succeed per half-open, across threads. */
function claimTrial(cells: Int32Array): boolean {
  for (let left = Atomics.load(cells, TRIALS_INDEX); left > 0; left = Atomics.load(cells, TRIALS_INDEX)) {
    if (Atomics.compareExchange(cells, TRIALS_INDEX, left, left - 1) === left) return true;
  }
  return false;
}

/** The writing side, owned by the CircuitBreaker. */
export class BreakerStateCell {
  readonly buffer: SharedArrayBuffer;
  private readonly cells: Int32Array;

  constructor(initial: BreakerState = 'CLOSED') {
    this.buffer = new SharedArrayBuffer(BREAKER_STATE_BYTES);
    this.cells = cellsOf(this.buffer);
    Atomics.store(this.cells, STATE_INDEX, BREAKER_STATE_CODES[initial]);
  }

  /** `trials`: the slots a half-open state hands out (ignored in the other states, which have none). */
  publish(state: BreakerState, trials = 0): void {
    // Slots before the state, so a sender that sees HALF_OPEN also sees its trials (and none after it).
    Atomics.store(this.cells, TRIALS_INDEX, state === 'HALF_OPEN' ? trials : 0);
    Atomics.store(this.cells, STATE_INDEX, BREAKER_STATE_CODES[state]);
    // Bumped after the state so a reader that sees the new generation also sees the new state.
    Atomics.add(this.cells, GENERATION_INDEX, 1);
    Atomics.notify(this.cells, GENERATION_INDEX);
  }

  /** Half-open trial slots not claimed yet. */
  get trialsLeft(): number {
    return Atomics.load(this.cells, TRIALS_INDEX);
  }

  claimTrial(): boolean {
    return claimTrial(this.cells);
  }

  /** A claimed trial was not made after all (or told nothing about the database): its slot goes back. */
  returnTrial(): void {
    Atomics.add(this.cells, TRIALS_INDEX, 1);
  }
}

/**
 * A breaker's shared state as any thread sees it. A sender posts a batch to the writer only when
 * `admitBatch()` says so: always while closed, in half-open only the batch that claims one of the trial slots
 * (the others go to the spool, as in open). The writer commits while `allowsWrites`, which also holds in
 * half-open so those trials can succeed.
 */
export class BreakerStateView {
  private readonly cells: Int32Array;

  private constructor(sab: SharedArrayBuffer) {
    this.cells = cellsOf(sab);
  }

  static fromShared(sab: SharedArrayBuffer): BreakerStateView {
    return new BreakerStateView(sab);
  }

  get state(): BreakerState {
    const code = Atomics.load(this.cells, STATE_INDEX);
    const state = STATE_BY_CODE[code];
    if (!state) throw new RangeError(`breaker state: unknown state code ${code}`);
    return state;
  }

  /** Incremented on every state change: lets a reader notice a flap it did not observe (e.g. OPEN and back). */
  get generation(): number {
    return Atomics.load(this.cells, GENERATION_INDEX);
  }

  get isClosed(): boolean {
    return this.state === 'CLOSED';
  }

  get allowsWrites(): boolean {
    const s = this.state;
    return s === 'CLOSED' || s === 'HALF_OPEN';
  }

  /** May this batch go to the writer now? In half-open a `true` is one of the trials (its slot is taken). */
  admitBatch(): boolean {
    const s = this.state;
    return s === 'CLOSED' || (s === 'HALF_OPEN' && claimTrial(this.cells));
  }
}
