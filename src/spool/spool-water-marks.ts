// The spool's backpressure: high- and low-water marks over its depth (rows and batches), and the producers
// waiting in waitForRoom() until depth is back at the low-water marks.

import { ConfigError } from '../errors.ts';
import { type DeferredQueueOptions, intOption } from './deferred-queue-options.ts';

interface RoomWaiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class SpoolWaterMarks {
  private readonly highWaterRows: number;
  private readonly highWaterBatches: number;
  private readonly lowWaterRows: number;
  private readonly lowWaterBatches: number;
  private over = false;
  private roomWaiters: RoomWaiter[] = [];

  /** Throws ConfigError for a mark out of range, or a low mark not below its high one. */
  constructor(options: DeferredQueueOptions) {
    this.highWaterRows = intOption('highWaterRows', options.highWaterRows, 500_000, 1);
    this.highWaterBatches = intOption('highWaterBatches', options.highWaterBatches, 5_000, 1);
    this.lowWaterRows = intOption('lowWaterRows', options.lowWaterRows, Math.floor(this.highWaterRows / 2), 0);
    this.lowWaterBatches = intOption(
      'lowWaterBatches',
      options.lowWaterBatches,
      Math.floor(this.highWaterBatches / 2),
      0,
    );
    if (this.lowWaterRows >= this.highWaterRows) {
      throw new ConfigError('lowWaterRows', this.lowWaterRows, `must be below highWaterRows (${this.highWaterRows})`);
    }
    if (this.lowWaterBatches >= this.highWaterBatches) {
      throw new ConfigError(
        'lowWaterBatches',
        this.lowWaterBatches,
        `must be below highWaterBatches (${this.highWaterBatches})`,
      );
    }
  }

  /** True from crossing a high-water mark until depth is back at or below both low-water marks. */
  get overHighWater(): boolean {
    return this.over;
  }

  /**
   * Takes the spool's depth after a change; returns which mark it has just crossed, if any. Crossing the
   * low-water marks lets every waiting producer go.
   */
  update(rows: number, batches: number): 'high' | 'low' | null {
    if (!this.over && (rows >= this.highWaterRows || batches >= this.highWaterBatches)) {
      this.over = true;
      return 'high';
    }
    if (this.over && rows <= this.lowWaterRows && batches <= this.lowWaterBatches) {
      this.over = false;
      for (const w of this.roomWaiters.splice(0)) w.resolve();
      return 'low';
    }
    return null;
  }

  /** Resolves at once when not over high water, else once depth falls to the low-water marks. */
  waitForRoom(signal?: AbortSignal): Promise<void> {
    if (!this.over) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.roomWaiters = this.roomWaiters.filter((w) => w !== waiter);
        reject(signal?.reason);
      };
      const waiter: RoomWaiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      this.roomWaiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Rejects every producer still waiting (the queue is closing). */
  rejectWaiters(err: unknown): void {
    for (const w of this.roomWaiters.splice(0)) w.reject(err);
  }
}
