// The main thread's end of every link's manager port: takes batches senders could not write now into the
// durable deferred queue (acknowledging only after the spool committed), and hands out fresh writer ports
// after a writer restart.

import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { CircuitBreaker } from '../breaker/circuit-breaker.ts';
import { sqliteCodeOf } from '../errors.ts';
import type { CollectorToManager, DeferRequest, ManagerToCollector } from '../protocol/messages.ts';
import type { DeferredQueue } from './deferred-queue.ts';

export class SpoolGateway {
  private readonly links = new Set<MessagePort>();
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  deferredTotal = 0;
  /** Set by refuseAll: every deferral is answered final with this, untried. */
  private refusal: string | undefined;
  /** Trades in batches refused for good (storage failed): fetched and lost. */
  lostRows = 0;
  lostBatches = 0;
  /** Batches refused so far, by first trade id and size: a sender's retry of one batch is not counted twice. */
  private readonly lostKeys = new Set<string>();
  /** The seq of the first batch this gateway deferred: replays from it on are of this run's batches. */
  firstSeq: number | undefined;

  constructor(
    private readonly queue: DeferredQueue,
    private readonly breaker: CircuitBreaker,
    private readonly log: Logger,
    /** Called when the spool could not take a batch (the sender was told to retry). */
    private readonly onSpoolFailure: (err: unknown) => void = () => undefined,
  ) {}

  /** Storage failed for good: from now on every deferral is refused at once and its sender gives it up. */
  refuseAll(reason: string): void {
    this.refusal = reason;
  }

  /** A new link: returns the sender's end of its manager port. */
  open(): MessagePort {
    const { port1: mine, port2: theirs } = new MessageChannel();
    this.links.add(mine);
    mine.on('message', (m: CollectorToManager) => void this.handle(mine, m));
    mine.on('close', () => this.links.delete(mine));
    return theirs;
  }

  /** Gives every open link a new data port from `connect` (after the writer was restarted). */
  async reconnectAll(connect: () => Promise<MessagePort>): Promise<void> {
    for (const link of [...this.links]) {
      const port = await connect();
      link.postMessage({ kind: 'reconnect', port } satisfies ManagerToCollector, [port]);
    }
  }

  /** Resolves when no deferral is being written. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  close(): void {
    for (const link of this.links) link.close();
    this.links.clear();
  }

  private async handle(link: MessagePort, m: CollectorToManager): Promise<void> {
    if (m?.kind !== 'defer') return;
    if (this.refusal !== undefined) return this.refuse(link, m);
    this.inFlight++;
    try {
      // Past the high-water mark the sender waits here (its credit stays taken): backpressure, not growth.
      if (this.queue.overHighWater) await this.queue.waitForRoom();
      const seq = await this.queue.defer(m.payload);
      this.firstSeq ??= seq;
      this.deferredTotal++;
      this.breaker.noteDeferred(1);
      link.postMessage({ kind: 'deferred', batchId: m.batchId, seq } satisfies ManagerToCollector);
    } catch (err) {
      const sqliteCode = sqliteCodeOf(err);
      this.onSpoolFailure(err);
      if (this.refusal !== undefined) return this.refuse(link, m);
      this.log.error({ err, batchId: m.batchId }, 'could not defer a batch; the sender keeps it and retries');
      link.postMessage({
        kind: 'defer-failed',
        batchId: m.batchId,
        error: { code: 'SPOOL_WRITE_FAILED', message: (err as Error).message, ...(sqliteCode ? { sqliteCode } : {}) },
      } satisfies ManagerToCollector);
    } finally {
      if (--this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private refuse(link: MessagePort, m: DeferRequest): void {
    const rows = m.payload.trades?.length ?? 0;
    const first = m.payload.trades?.[0]?.id;
    const key = `${first}|${rows}`;
    if (rows > 0 && !this.lostKeys.has(key)) {
      this.lostKeys.add(key);
      this.lostBatches++;
      this.lostRows += rows;
    }
    link.postMessage({
      kind: 'defer-failed',
      batchId: m.batchId,
      final: true,
      error: { code: 'STORAGE_FAILED', message: this.refusal! },
    } satisfies ManagerToCollector);
  }
}
