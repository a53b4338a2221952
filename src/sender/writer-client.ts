// The sending side of one writer link, usable in any thread: posts whole batches, keeps each one until it is
// acknowledged, and bounds unacked batches to `maxInFlight` (callers beyond that wait: backpressure). With a
// manager port it never gives a batch up: a batch the writer cannot take now (breaker open, nack, writer
// gone) is handed to the main thread's durable deferred queue, and a restarted writer's new port is adopted.

import type { MessagePort } from 'node:worker_threads';
import type { StoreOptions } from '../batch/trade-store.ts';
import { LatencyRecorder } from '../common/latency-recorder.ts';
import { GeckoCollectorError, WriteFailedError, WriterUnavailableError } from '../errors.ts';
import { BreakerStateView } from '../protocol/breaker-gate.ts';
import {
  type AckMessage,
  type CollectorToManager,
  DEFAULT_MAX_IN_FLIGHT,
  type ManagerToCollector,
  type NackMessage,
  type WriteBatchMessage,
  type WritePayload,
  type WriterToCollector,
} from '../protocol/messages.ts';
import type { TradeRecord } from '../protocol/records.ts';

/** The writer refused a batch because the circuit breaker is open (only seen by clients without a manager port). */
export class GateClosedError extends GeckoCollectorError {
  readonly code = 'CIRCUIT_OPEN';
}

interface Pending {
  message: WriteBatchMessage;
  sentAt: number;
  route: 'writer' | 'spool';
  resolve: (ack: AckMessage) => void;
  reject: (err: Error) => void;
}

export interface WriterClientOptions {
  maxInFlight?: number;
  /** The main thread's side for deferrals and reconnects (see writer-link.ts). */
  manager?: MessagePort;
  /**
   * The circuit breaker's shared state: while it is open, batches go to the spool directly; in half-open only
   * the batches that claim its trial slots go to the writer.
   */
  gate?: SharedArrayBuffer;
  /** Delay before asking again when the spool could not take a batch. */
  deferRetryMs?: number;
  /**
   * A batch posted to the writer and not answered within this time is treated as lost with the writer (a
   * port whose peer died can swallow messages): with a manager it is deferred, else it fails COMMIT_TIMEOUT.
   * Resending is harmless (INSERT OR IGNORE by id). 0 disables.
   */
  commitTimeoutMs?: number;
}

/** No ack arrived within commitTimeoutMs. */
export class CommitTimeoutError extends GeckoCollectorError {
  readonly code = 'COMMIT_TIMEOUT';
}

const DEFERRED_ACK = { inserted: 0, duplicates: 0, rejected: [], commitMs: 0, deferred: true } as const;

export class WriterClient {
  private nextBatchId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly creditWaiters: (() => void)[] = [];
  private readonly settledWaiters: (() => void)[] = [];
  private port: MessagePort;
  private portClosed = false;
  private closing = false;
  private readonly maxInFlight: number;
  private readonly manager: MessagePort | undefined;
  private readonly gate: BreakerStateView | undefined;
  private readonly deferRetryMs: number;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly commitTimeoutMs: number;
  private watchdog: NodeJS.Timeout | undefined;
  readonly ackLatency = new LatencyRecorder();
  readonly counters = { acked: 0, deferred: 0, nacked: 0, reconnects: 0 };
  private readonly onMessage = (m: WriterToCollector) => this.handleWriter(m);
  private readonly onClose = () => this.handleWriterGone();
  private readonly onManager = (m: ManagerToCollector) => this.handleManager(m);
  private readonly onManagerGone = () => {
    // The main thread closed the link (shutdown): nothing can take these batches now; tell their callers.
    for (const p of [...this.pending.values()]) {
      if (p.route === 'spool')
        this.settle(p, {
          error: new WriterUnavailableError(`manager link closed before batch ${p.message.batchId} was deferred`),
        });
    }
  };

  constructor(port: MessagePort, options: WriterClientOptions = {}) {
    this.port = port;
    this.maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.manager = options.manager;
    this.gate = options.gate ? BreakerStateView.fromShared(options.gate) : undefined;
    this.deferRetryMs = options.deferRetryMs ?? 500;
    this.commitTimeoutMs = options.commitTimeoutMs ?? 30_000;
    if (this.commitTimeoutMs > 0) {
      this.watchdog = setInterval(() => this.expireStale(), Math.max(50, Math.min(1000, this.commitTimeoutMs / 4)));
      this.watchdog.unref();
    }
    this.listen(port);
    this.manager?.on('message', this.onManager);
    this.manager?.on('close', this.onManagerGone);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  storeTrades(trades: readonly TradeRecord[], options: StoreOptions = {}): Promise<AckMessage> {
    const payload: WritePayload = { trades: trades as TradeRecord[] };
    if (options.flushReason) payload.flushReason = options.flushReason;
    return this.write(payload);
  }

  /**
   * Sends one batch once a credit is free. Resolves after it is committed (`deferred` unset) or durably
   * deferred (`deferred: true`); rejects only without a manager port (nack, writer gone).
   */
  async write(payload: WritePayload): Promise<AckMessage> {
    while (this.pending.size >= this.maxInFlight && !(this.portClosed && !this.manager)) {
      await new Promise<void>((r) => this.creditWaiters.push(r));
    }
    if (this.portClosed && !this.manager) throw new WriterUnavailableError('the writer port is closed');
    const message: WriteBatchMessage = { kind: 'write', batchId: this.nextBatchId++, ...payload };
    return new Promise<AckMessage>((resolve, reject) => {
      const p: Pending = { message, sentAt: performance.now(), route: 'writer', resolve, reject };
      this.pending.set(message.batchId, p);
      this.dispatch(p);
    });
  }

  /** Batches not yet acknowledged (committed or durably deferred), oldest first. */
  unacknowledged(): WriteBatchMessage[] {
    return [...this.pending.values()].map((p) => p.message);
  }

  /** Resolves when nothing is in flight. */
  settled(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((r) => this.settledWaiters.push(r));
  }

  /** Waits for every in-flight batch to be acked or deferred (or to fail), then closes the ports. */
  async close(): Promise<void> {
    await this.settled();
    this.closing = true;
    clearInterval(this.watchdog);
    for (const t of this.retryTimers) clearTimeout(t);
    this.port.off('message', this.onMessage);
    this.port.off('close', this.onClose);
    this.port.close();
    this.manager?.off('message', this.onManager);
    this.manager?.off('close', this.onManagerGone);
    this.manager?.close();
  }

  private listen(port: MessagePort): void {
    port.on('message', this.onMessage);
    port.on('close', this.onClose);
  }

  /** Closed gate: yes. Half-open: only a batch that claims a trial slot; the others go to the spool as in open. */
  private writerUsable(): boolean {
    return !this.portClosed && (this.gate === undefined || this.gate.admitBatch());
  }

  private dispatch(p: Pending): void {
    if (this.writerUsable() || !this.manager) {
      p.route = 'writer';
      p.sentAt = performance.now();
      this.port.postMessage(p.message);
    } else {
      this.toSpool(p);
    }
  }

  private toSpool(p: Pending): void {
    p.route = 'spool';
    const { kind: _kind, batchId, ...payload } = p.message;
    this.manager!.postMessage({ kind: 'defer', batchId, payload } satisfies CollectorToManager);
  }

  private settle(p: Pending, outcome: { ack: AckMessage } | { error: Error }): void {
    this.pending.delete(p.message.batchId);
    if ('ack' in outcome) p.resolve(outcome.ack);
    else p.reject(outcome.error);
    this.creditWaiters.shift()?.();
    if (this.pending.size === 0) for (const w of this.settledWaiters.splice(0)) w();
  }

  private handleWriter(m: WriterToCollector): void {
    const p = this.pending.get(m.batchId);
    if (p?.route !== 'writer') return;
    if (m.kind === 'ack') {
      this.counters.acked++;
      this.ackLatency.record(performance.now() - p.sentAt);
      return this.settle(p, { ack: m });
    }
    this.counters.nacked++;
    // A nack means "not written now": with a manager the batch goes to the durable queue instead of back to the caller.
    if (this.manager) return this.toSpool(p);
    this.settle(p, { error: nackError(m) });
  }

  private expireStale(): void {
    const limit = performance.now() - this.commitTimeoutMs;
    for (const p of [...this.pending.values()]) {
      if (p.route !== 'writer' || p.sentAt > limit) continue;
      if (this.manager) this.toSpool(p);
      else
        this.settle(p, {
          error: new CommitTimeoutError(`no ack for batch ${p.message.batchId} within ${this.commitTimeoutMs} ms`),
        });
    }
  }

  private handleWriterGone(): void {
    this.portClosed = true;
    for (const p of [...this.pending.values()]) {
      if (p.route !== 'writer') continue;
      if (this.manager) this.toSpool(p);
      else
        this.settle(p, {
          error: new WriterUnavailableError(`writer port closed before batch ${p.message.batchId} was acknowledged`),
        });
    }
    // Without a manager nothing will ever free a credit again: let every waiting caller fail now.
    if (!this.manager) for (const w of this.creditWaiters.splice(0)) w();
  }

  private handleManager(m: ManagerToCollector): void {
    if (m.kind === 'reconnect') {
      this.port.off('message', this.onMessage);
      this.port.off('close', this.onClose);
      this.port = m.port;
      this.portClosed = false;
      this.counters.reconnects++;
      this.listen(m.port);
      return;
    }
    const p = this.pending.get(m.batchId);
    if (p?.route !== 'spool') return;
    if (m.kind === 'deferred') {
      this.counters.deferred++;
      return this.settle(p, { ack: { kind: 'ack', batchId: m.batchId, ...DEFERRED_ACK, rejected: [] } });
    }
    // The spool could not take it either (e.g. its disk is full too): keep the batch and try again later,
    // unless storage failed for good (final) or this client is closing.
    if (this.closing || m.final)
      return this.settle(p, {
        error: new WriteFailedError(`batch ${m.batchId} could not be deferred: ${m.error.message}`, m.error.sqliteCode),
      });
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      if (this.pending.get(m.batchId) === p) this.dispatch(p);
    }, this.deferRetryMs);
    this.retryTimers.add(timer);
  }
}

function nackError(m: NackMessage): Error {
  const text = `batch ${m.batchId} not written: ${m.error.message}`;
  if (m.error.code === 'WRITER_UNAVAILABLE') return new WriterUnavailableError(text);
  if (m.error.code === 'CIRCUIT_OPEN') return new GateClosedError(text);
  return new WriteFailedError(text, m.error.sqliteCode);
}
