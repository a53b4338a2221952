// Replays the spool through the writer, oldest batch first, one at a time: at start, when the breaker closes
// or half-opens, after a writer restart, and on a timer while batches wait.

import type { Logger } from 'pino';
import type { CircuitBreaker } from '../breaker/circuit-breaker.ts';
import type { WriterClient } from '../sender/writer-client.ts';
import type { DeferredQueue, ReplayResult } from '../spool/deferred-queue.ts';

export class DeferredReplay {
  /** Batches replayed so far. */
  replayed = 0;
  /**
   * Trades inserted when batches this run deferred (seq ≥ `firstSeq()`) were replayed: their senders were told
   * "deferred", not "inserted", so a run's stored figure adds these.
   */
  storedOfThisRun = 0;
  private running: Promise<ReplayResult | undefined> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Aborted by stop(): a replay ends after the batch in flight; the rest stays spooled for the next start. */
  private readonly abort = new AbortController();

  constructor(
    private readonly queue: DeferredQueue,
    /** The replay client: it bypasses the gate and the spool, so a failed replay leaves the batch where it is. */
    private readonly client: () => WriterClient,
    private readonly breaker: CircuitBreaker,
    private readonly firstSeq: () => number | undefined,
    private readonly log: Logger,
  ) {}

  /**
   * Writes spooled batches back, oldest first; stops at the first one that fails. Joins a replay in progress.
   * Resolves with what the run did; undefined when the spool itself failed (logged here).
   */
  run(maxBatches?: number): Promise<ReplayResult | undefined> {
    if (this.running) return this.running;
    this.running = this.queue
      .replay(
        async (payload, info) => {
          const ack = await this.client().write(payload);
          this.replayed++;
          const first = this.firstSeq();
          if (first !== undefined && info.seq >= first) this.storedOfThisRun += ack.inserted;
          this.breaker.noteDrained(1);
        },
        { ...(maxBatches ? { maxBatches } : {}), signal: this.abort.signal },
      )
      .catch((err: unknown) => {
        this.log.error({ err }, 'replay of deferred batches failed');
        return undefined;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** Retries every `intervalMs` while batches wait and the breaker is closed. */
  startTimer(intervalMs: number): void {
    this.timer = setInterval(() => {
      if (this.breaker.state === 'CLOSED' && this.queue.depth().batches > 0) void this.run();
    }, intervalMs);
    this.timer.unref();
  }

  /** Resolves when the replay running now (if any) has ended. */
  async settled(): Promise<void> {
    await this.running;
  }

  /** Stops the timer and the replay in progress after its current batch. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.abort.abort();
    await this.running;
  }
}
