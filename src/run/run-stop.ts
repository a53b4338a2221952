// How a collection run is asked to stop: once, by the caller, its signal, its duration, the API refusing the
// credentials or storage failing for good. The flag is shared with the collector threads, which finish their
// requests in flight and flush.

import type { Logger } from '../logging/logger.ts';
import { StopFlag } from '../protocol/collector-task.ts';

export class RunStopper {
  /** The collectors read this flag (a SharedArrayBuffer) between polls. */
  readonly flag = new StopFlag();
  private isStopping = false;
  private durationTimer: NodeJS.Timeout | undefined;
  private signal: AbortSignal | undefined;
  private readonly onAbort = () => this.stop();

  constructor(private readonly log: Logger) {}

  get stopping(): boolean {
    return this.isStopping;
  }

  /** Asks every collector to stop. Idempotent. */
  stop(): void {
    if (this.isStopping) return;
    this.isStopping = true;
    this.log.info('stopping: finishing requests in flight, flushing, draining the writer');
    this.flag.stop();
  }

  /** Stops when `signal` aborts (at once if it already has). */
  follow(signal: AbortSignal | undefined): void {
    if (!signal) return;
    this.signal = signal;
    signal.addEventListener('abort', this.onAbort, { once: true });
    if (signal.aborted) this.stop();
  }

  /** Stops after `ms`, unless a stop came first. */
  stopAfter(ms: number): void {
    if (this.isStopping) return;
    this.durationTimer = setTimeout(() => this.stop(), Math.max(0, ms));
  }

  /** Everything has ended: no timer or listener is left, and nothing may ask for a stop any more. */
  dispose(): void {
    this.isStopping = true;
    clearTimeout(this.durationTimer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}
