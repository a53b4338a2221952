// The breaker's state published in a SharedArrayBuffer so collectors and the writer thread can check the
// gate with one atomic load instead of a message round trip. Only the main-thread breaker writes it.

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
const CELL_COUNT = 2;
export const BREAKER_STATE_BYTES = CELL_COUNT * Int32Array.BYTES_PER_ELEMENT;

function cellsOf(sab: SharedArrayBuffer): Int32Array {
  if (!(sab instanceof SharedArrayBuffer)) throw new TypeError('breaker state: expected a SharedArrayBuffer');
  if (sab.byteLength < BREAKER_STATE_BYTES) {
    throw new RangeError(`breaker state: buffer has ${sab.byteLength} bytes, needs ${BREAKER_STATE_BYTES}`);
  }
  return new Int32Array(sab, 0, CELL_COUNT);
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

  publish(state: BreakerState): void {
    Atomics.store(this.cells, STATE_INDEX, BREAKER_STATE_CODES[state]);
    // Bumped after the state so a reader that sees the new generation also sees the new state.
    Atomics.add(this.cells, GENERATION_INDEX, 1);
    Atomics.notify(this.cells, GENERATION_INDEX);
  }
}

/**
 * Read-only view of a breaker's shared state for any thread. Collectors should post new batches only while
 * `isClosed` (half-open trials are admitted by the main-thread breaker itself); the writer should commit
 * while `allowsWrites`, which also holds in half-open so those trials can succeed.
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
}
