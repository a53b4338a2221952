// The sending side of one writer data port, usable in any thread: posts whole batches, keeps each one until
// its ack arrives, and bounds unacked batches to `maxInFlight` (callers beyond that wait: backpressure).

import type { MessagePort } from 'node:worker_threads';
import { WriteFailedError, WriterUnavailableError } from '../errors.ts';
import { LatencyRecorder } from '../latency-recorder.ts';
import type { AckMessage, WriteBatchMessage, WriterToCollector } from '../thread-messages.ts';
import type { TradeRecord } from '../trade-record.ts';
import { packTrades } from './trade-packing.ts';

export type WritePayload = Omit<WriteBatchMessage, 'kind' | 'batchId'>;

interface Pending {
  message: WriteBatchMessage;
  sentAt: number;
  resolve: (ack: AckMessage) => void;
  reject: (err: Error) => void;
}

export interface WriterClientOptions {
  maxInFlight?: number;
  /** Send trades packed into one string (default) rather than as objects; see trade-packing.ts. */
  packTrades?: boolean;
  /** Where the manager posts a fresh data port after a writer restart (see writer-link.ts). */
  reconnect?: MessagePort;
}

export class WriterClient {
  private nextBatchId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly creditWaiters: (() => void)[] = [];
  private readonly settledWaiters: (() => void)[] = [];
  private portClosed = false;
  private readonly maxInFlight: number;
  private readonly pack: boolean;
  readonly ackLatency = new LatencyRecorder();
  private readonly onMessage = (m: WriterToCollector) => this.handle(m);
  private readonly onClose = () => this.handleClose();

  constructor(
    private readonly port: MessagePort,
    options: WriterClientOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? 4;
    this.pack = options.packTrades ?? true;
    port.on('message', this.onMessage);
    port.on('close', this.onClose);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  storeTrades(trades: readonly TradeRecord[]): Promise<AckMessage> {
    const packed = this.pack ? packTrades(trades) : null;
    return this.write(packed === null ? { trades: trades as TradeRecord[] } : { packedTrades: { count: trades.length, data: packed } });
  }

  /** Posts one batch once a credit is free; resolves with its ack (after commit), rejects on nack or writer loss. */
  async write(payload: WritePayload): Promise<AckMessage> {
    while (this.pending.size >= this.maxInFlight && !this.portClosed) {
      await new Promise<void>((r) => this.creditWaiters.push(r));
    }
    if (this.portClosed) throw new WriterUnavailableError('the writer port is closed');
    const message: WriteBatchMessage = { kind: 'write', batchId: this.nextBatchId++, ...payload };
    return new Promise<AckMessage>((resolve, reject) => {
      this.pending.set(message.batchId, { message, sentAt: performance.now(), resolve, reject });
      this.port.postMessage(message);
    });
  }

  /** Batches posted and not yet acknowledged, oldest first: what must be resent after a writer restart. */
  unacknowledged(): WriteBatchMessage[] {
    return [...this.pending.values()].map((p) => p.message);
  }

  /** Resolves when nothing is in flight. */
  settled(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((r) => this.settledWaiters.push(r));
  }

  /** Waits for every in-flight batch to be acked (or to fail), then closes the port. */
  async close(): Promise<void> {
    await this.settled();
    this.detach();
    this.port.close();
  }

  private detach(): void {
    this.port.off('message', this.onMessage);
    this.port.off('close', this.onClose);
  }

  private handle(m: WriterToCollector): void {
    const p = this.pending.get(m.batchId);
    if (!p) return;
    this.pending.delete(m.batchId);
    if (m.kind === 'ack') {
      this.ackLatency.record(performance.now() - p.sentAt);
      p.resolve(m);
    } else if (m.error.code === 'WRITER_UNAVAILABLE') {
      p.reject(new WriterUnavailableError(`batch ${m.batchId} not written: ${m.error.message}`));
    } else {
      p.reject(new WriteFailedError(`batch ${m.batchId} not written: ${m.error.message}`, m.error.sqliteCode));
    }
    this.releaseCredit();
  }

  private releaseCredit(): void {
    this.creditWaiters.shift()?.();
    if (this.pending.size === 0) for (const w of this.settledWaiters.splice(0)) w();
  }

  private handleClose(): void {
    this.portClosed = true;
    const lost = [...this.pending.values()];
    this.pending.clear();
    for (const p of lost) p.reject(new WriterUnavailableError(`writer port closed before batch ${p.message.batchId} was acknowledged`));
    for (const w of this.creditWaiters.splice(0)) w();
    for (const w of this.settledWaiters.splice(0)) w();
  }
}
