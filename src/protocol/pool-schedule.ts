// The poll schedule's settings every collector thread gets, and the shared cells through which the threads of one
// process see each pool's estimated trade rate (one budget for all, so every thread plans over every pool) and
// the main thread reads the intervals and estimated missed trades (budget plan, /metrics, coverage).

export const SCHEDULE_MODES = ['adaptive', 'fixed'] as const;
export type ScheduleMode = (typeof SCHEDULE_MODES)[number];
export const SCHEDULE_PRIORITIES = ['trades', 'pools'] as const;
/** trades: calls go where they save the most trades; pools: every pool keeps its max interval first. */
export type SchedulePriority = (typeof SCHEDULE_PRIORITIES)[number];

export interface ScheduleSettings {
  mode: ScheduleMode;
  /** fixed: every pool this long after its previous answer. */
  pollIntervalMs: number;
  /** No pool sooner than this after its previous answer (the API's answer cache: 60 s keyless, 0 paid). */
  minPollIntervalMs: number;
  /** adaptive: a pool at least this often (unless the budget is short and priority is trades). */
  maxPollIntervalMs: number;
  priority: SchedulePriority;
  /** The process's one call budget (the shared rate limit). */
  callsPerMinute: number;
}

/** A pool's rate estimate as stored in collection_state (and handed to the collector that resumes it). */
export interface StoredRate {
  tradesPerSecond: number;
  /** When it was estimated (stored-time text or ISO). */
  observedAt: string;
}

const FIELDS = ['rate', 'known', 'active', 'intervalMs', 'missed', 'polledAt'] as const;
type Field = (typeof FIELDS)[number];
const WIDTH = FIELDS.length;
const AT = Object.fromEntries(FIELDS.map((f, i) => [f, i])) as Record<Field, number>;

/** One pool's cells as read. */
export interface PoolScheduleView {
  /** Estimated trades/s (0 while unknown). */
  rate: number;
  known: boolean;
  /** Polled by a collector of this process now (a leased pool held elsewhere is not). */
  active: boolean;
  /** The interval the schedule chose last (0 before any). */
  intervalMs: number;
  /** Trades estimated missed in this run (its gaps, rate × span). */
  missed: number;
  /** Epoch ms of the last answer (0 before any). */
  polledAt: number;
}

/**
 * One Float64 row per pool of the run's pool list (PoolAssignment.index). Each row is written only by the
 * collector thread polling that pool; any thread reads every row (a torn read of two cells is harmless: it
 * moves one plan by one poll).
 */
export class PoolScheduleCells {
  readonly buffer: SharedArrayBuffer;
  private readonly cells: Float64Array;

  constructor(poolsOrBuffer: number | SharedArrayBuffer) {
    this.buffer =
      typeof poolsOrBuffer === 'number' ? new SharedArrayBuffer(Math.max(1, poolsOrBuffer) * WIDTH * 8) : poolsOrBuffer;
    this.cells = new Float64Array(this.buffer);
  }

  get slots(): number {
    return this.cells.length / WIDTH;
  }

  set(slot: number, field: Field, value: number): void {
    this.cells[slot * WIDTH + AT[field]] = value;
  }

  /** A slot back to zero: its pool left the run's set (or another takes the slot). */
  clear(slot: number): void {
    this.cells.fill(0, slot * WIDTH, (slot + 1) * WIDTH);
  }

  get(slot: number, field: Field): number {
    return this.cells[slot * WIDTH + AT[field]] ?? 0;
  }

  read(slot: number): PoolScheduleView {
    return {
      rate: this.get(slot, 'rate'),
      known: this.get(slot, 'known') !== 0,
      active: this.get(slot, 'active') !== 0,
      intervalMs: this.get(slot, 'intervalMs'),
      missed: this.get(slot, 'missed'),
      polledAt: this.get(slot, 'polledAt'),
    };
  }
}
