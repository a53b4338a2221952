// DeferredQueue: the durable spool for write batches the trade database cannot take now (breaker open, writer
// down, disk full, file locked by another program). A resolved defer() is as good as an ack (architecture.md,
// "Nothing acknowledged or deferred is lost"): the batch is committed with synchronous=FULL to its own SQLite
// file beside the database (not the trade database: "One writer" holds) and replayed later in seq order, at
// least once. Memory stays bounded ("Bounded memory"): payloads live on disk, replay reads them in chunks, and past a
// high-water mark producers are told to wait (waitForRoom) while defer() itself still accepts.
// The file is created by the first deferral, so a run that never defers leaves nothing beside the database.
// This file is the queue itself (deferral groups, depth, events, close); the payload encoding, the spool's
// location, the replay loop and the water marks have files of their own.

import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { ConfigError, StateError } from '../errors.ts';
import { componentLogger, type Logger } from '../logging/logger.ts';
import type { WritePayload } from '../protocol/messages.ts';
import { DeferredQueueError, errorText } from './deferred-errors.ts';
import { type DeferredQueueOptions, intOption } from './deferred-queue-options.ts';
import { type SpoolEntry, SpoolFile, type SpoolFileOptions } from './spool-file.ts';
import { checkSpoolDirectory } from './spool-location.ts';
import { decodePayload, type EncodedPayload, encodePayload, payloadBytes } from './spool-payload.ts';
import {
  type ReplayOptions,
  type ReplayResult,
  type ReplaySource,
  type ReplayWrite,
  replaySpool,
} from './spool-replay.ts';
import { SpoolWaterMarks } from './spool-water-marks.ts';

export { DeferredQueueError, type DeferredQueueErrorCode } from './deferred-errors.ts';
export type { DeferredQueueOptions } from './deferred-queue-options.ts';
export { SPOOL_APPLICATION_ID } from './spool-file.ts';
export type { ReplayInfo, ReplayOptions, ReplayResult, ReplayWrite } from './spool-replay.ts';

export interface DeferredQueueDepth {
  batches: number;
  /** Records of every kind (trades, pools, dexes, cursors, gaps) in the spooled batches. */
  rows: number;
  /** Age of the oldest spooled batch; null when the spool is empty. */
  oldestAgeMs: number | null;
  /** UTF-8 bytes of the spooled payloads (JSON); the file itself is somewhat larger. */
  bytes: number;
}

export interface DeferredBatchInfo {
  seq: number;
  enqueuedAt: number;
  rows: number;
  attempts: number;
  lastError: string | null;
  payload: WritePayload;
}

export interface DeferredQueueEvents {
  deferred: [seq: number, rows: number];
  replayed: [seq: number, rows: number];
  replayFailed: [seq: number, error: unknown];
  /** The spool became empty through replay. */
  drained: [];
  highWater: [depth: DeferredQueueDepth];
  lowWater: [depth: DeferredQueueDepth];
}

interface PendingDefer extends EncodedPayload {
  resolve: (seq: number) => void;
  reject: (err: Error) => void;
}

export class DeferredQueue extends EventEmitter<DeferredQueueEvents> {
  readonly path: string;
  /** null until the first deferral creates the file (or open() found one). */
  private spool: SpoolFile | null;
  private readonly spoolOptions: SpoolFileOptions;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly water: SpoolWaterMarks;
  private readonly chunkSize: number;
  private readonly maxGroupSize: number;

  // Totals of what is committed in the spool; kept here so depth() never touches the disk.
  private batches: number;
  private rows: number;
  private bytes: number;
  private oldestAt: number | null;

  private pending: PendingDefer[] = [];
  private flushTimer: NodeJS.Immediate | undefined;
  /** Every replay() chains here: one run at a time, the next starts where the last one left the spool. */
  private replayTail: Promise<void> = Promise.resolve();
  private closing = false;
  private readonly replaySource: ReplaySource = {
    spool: () => this.spool,
    closing: () => this.closing,
    replayed: (entry) => this.removed(entry),
    failed: (entry, err) => this.noteFailure(entry, err),
  };
  private closed: Promise<void> | undefined;

  private constructor(
    path: string,
    spool: SpoolFile | null,
    spoolOptions: SpoolFileOptions,
    options: DeferredQueueOptions,
  ) {
    super();
    this.path = path;
    this.spool = spool;
    this.spoolOptions = spoolOptions;
    this.log = options.logger ?? componentLogger('deferred-queue', { spool: path });
    this.now = options.now ?? Date.now;
    this.water = new SpoolWaterMarks(options);
    this.chunkSize = intOption('replayChunkSize', options.replayChunkSize, 16, 1);
    this.maxGroupSize = intOption('maxGroupSize', options.maxGroupSize, 64, 1);

    const totals = spool?.totals() ?? { batches: 0, rows: 0, bytes: 0 };
    this.batches = totals.batches;
    this.rows = totals.rows;
    this.bytes = totals.bytes;
    this.oldestAt = spool?.oldestEnqueuedAt() ?? null;
    // A spool found over high water starts out so, without a crossing to announce.
    this.water.update(this.rows, this.batches);
    if (this.batches > 0) {
      this.log.info(
        { batches: this.batches, rows: this.rows, bytes: this.bytes },
        'spool holds batches from an earlier run',
      );
    }
  }

  /**
   * Opens the spool at `spoolPath` if there is one and finds any batches an earlier run left there; they
   * wait for replay(). Without one, nothing is created until the first defer(). Throws DeferredQueueError
   * SPOOL_OPEN_FAILED when an existing file cannot be used as a spool, or its directory cannot take one.
   */
  static open(spoolPath: string, options: DeferredQueueOptions = {}): DeferredQueue {
    if (spoolPath === '' || spoolPath === ':memory:') {
      throw new ConfigError(
        'spoolPath',
        spoolPath,
        'the spool must be a file: deferred batches have to survive a crash',
      );
    }
    if (options.maxSpoolBytes !== undefined) intOption('maxSpoolBytes', options.maxSpoolBytes, 0, 1);
    const spoolOptions: SpoolFileOptions = {
      busyTimeoutMs: intOption('busyTimeoutMs', options.busyTimeoutMs, 5_000, 0),
      ...(options.maxSpoolBytes !== undefined ? { maxBytes: options.maxSpoolBytes } : {}),
    };
    let spool: SpoolFile | null = null;
    if (fs.existsSync(spoolPath)) spool = SpoolFile.open(spoolPath, spoolOptions);
    else checkSpoolDirectory(spoolPath);
    try {
      return new DeferredQueue(spoolPath, spool, spoolOptions, options);
    } catch (err) {
      spool?.close();
      throw err;
    }
  }

  /** True once the spool file exists (found at open, or created by the first deferral). */
  get hasSpoolFile(): boolean {
    return this.spool !== null;
  }

  /** True from crossing a high-water mark until depth is back at or below both low-water marks. */
  get overHighWater(): boolean {
    return this.water.overHighWater;
  }

  depth(): DeferredQueueDepth {
    return {
      batches: this.batches,
      rows: this.rows,
      oldestAgeMs: this.oldestAt === null ? null : Math.max(0, this.now() - this.oldestAt),
      bytes: this.bytes,
    };
  }

  /**
   * Spools a batch; resolves with its seq once the row is durably committed, so the caller may then treat the
   * batch as acknowledged. Rejects (DeferredQueueError, StateError after close) when it is not: the caller
   * still owns the batch. Never waits for room: producers that honour backpressure await waitForRoom().
   */
  defer(payload: WritePayload): Promise<number> {
    if (this.closing) return Promise.reject(new StateError('the deferred queue is closed'));
    let encoded: EncodedPayload;
    try {
      encoded = encodePayload(payload);
    } catch (err) {
      return Promise.reject(
        new DeferredQueueError('PAYLOAD_INVALID', `cannot serialize the batch: ${errorText(err)}`, undefined, {
          cause: err,
        }),
      );
    }
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ ...encoded, resolve, reject });
      if (this.pending.length >= this.maxGroupSize) this.flush();
      else this.flushTimer ??= setImmediate(() => this.flush());
    });
  }

  /** Resolves at once when not over high water, else once depth falls to the low-water marks. */
  waitForRoom(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.closing) return Promise.reject(new StateError('the deferred queue is closed'));
    return this.water.waitForRoom(signal);
  }

  /**
   * Writes spooled batches oldest first through `write`, removing each only after `write` resolved. Stops at
   * the first failure (the batch stays, with attempts + 1 and last_error), at `maxBatches`, on abort, on
   * close, or when the spool is empty (batches deferred during the run are included). Calls made while a run
   * is going wait for it and then run on what it left, so no batch is ever in two runs at once.
   * Rejects only when the spool itself fails (DeferredQueueError).
   */
  replay(write: ReplayWrite, options: ReplayOptions = {}): Promise<ReplayResult> {
    if (this.closing) return Promise.reject(new StateError('the deferred queue is closed'));
    const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
    if (maxBatches !== Number.POSITIVE_INFINITY) intOption('maxBatches', maxBatches, 0, 0);
    const run = this.replayTail.then(() => this.runReplay(write, maxBatches, options.signal));
    this.replayTail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** The oldest spooled batches, for inspection (status commands, tests); does not remove anything. */
  peek(limit = 10): DeferredBatchInfo[] {
    if (this.closing) throw new StateError('the deferred queue is closed');
    if (!this.spool) return [];
    return this.spool.readAfter(0, limit).map((e) => ({
      seq: e.seq,
      enqueuedAt: e.enqueuedAt,
      rows: e.rows,
      attempts: e.attempts,
      lastError: e.lastError,
      payload: decodePayload(e.payload),
    }));
  }

  /** The spool connection's journal mode and synchronous level (expected: wal, FULL); null before the file exists. */
  spoolSettings(): { journalMode: string; synchronous: string } | null {
    if (this.closing) throw new StateError('the deferred queue is closed');
    return this.spool?.settings() ?? null;
  }

  /**
   * Commits defers still waiting for their group, lets a running replay finish the batch in flight, then closes
   * the file. Waiters in waitForRoom() reject with StateError. Idempotent (the first call's options count).
   * `removeIfEmpty` then deletes a drained spool: only for an owner that no other process can be writing the
   * same spool beside (the funnel's manager, under its database lock), since deleting a file another writer
   * still appends to would lose its batches.
   */
  close(options: { removeIfEmpty?: boolean } = {}): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      this.flush();
      await this.replayTail;
      this.water.rejectWaiters(new StateError('the deferred queue is closed'));
      this.spool?.close();
      if (options.removeIfEmpty && this.spool && this.batches === 0 && this.pending.length === 0)
        this.removeSpoolFile();
    })();
    return this.closed;
  }

  private removeSpoolFile(): void {
    try {
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${this.path}${suffix}`, { force: true });
      this.log.info('drained spool file removed');
    } catch (err) {
      // Harmless: an empty spool is opened and reused by the next run.
      this.log.warn({ err }, 'could not remove the drained spool file');
    }
  }

  private flush(): void {
    if (this.flushTimer) {
      clearImmediate(this.flushTimer);
      this.flushTimer = undefined;
    }
    const group = this.pending.splice(0);
    if (group.length === 0) return;
    const at = this.now();
    let seqs: number[];
    try {
      seqs = this.openSpool().append(group, at);
    } catch (err) {
      // The whole group rolled back: not one of these batches is durable, so every caller keeps its own.
      this.log.error({ err, batches: group.length }, 'spool write failed; batches were not deferred');
      for (const p of group) p.reject(err as Error);
      return;
    }
    this.oldestAt ??= at;
    group.forEach((p, i) => {
      const seq = seqs[i] as number;
      this.batches += 1;
      this.rows += p.rows;
      this.bytes += p.bytes;
      p.resolve(seq);
      this.safeEmit('deferred', seq, p.rows);
    });
    this.updateWater();
  }

  /** The spool file, created on first use with the same pragmas (WAL, synchronous=FULL) as one found at open. */
  private openSpool(): SpoolFile {
    if (!this.spool) {
      this.spool = SpoolFile.open(this.path, this.spoolOptions);
      this.log.info({ spool: this.path }, 'spool file created for the first deferral');
    }
    return this.spool;
  }

  private async runReplay(
    write: ReplayWrite,
    maxBatches: number,
    signal: AbortSignal | undefined,
  ): Promise<ReplayResult> {
    const { replayed, failed } = await replaySpool(this.replaySource, write, this.chunkSize, maxBatches, signal);
    if (replayed > 0 || failed > 0) {
      this.log.info({ replayed, failed, remaining: this.batches }, 'replay run ended');
    }
    return { replayed, failed, remaining: this.batches };
  }

  private removed(entry: SpoolEntry): void {
    this.batches -= 1;
    this.rows -= entry.rows;
    this.bytes -= payloadBytes(entry.payload);
    this.oldestAt = this.batches === 0 ? null : this.spool!.oldestEnqueuedAt();
    this.safeEmit('replayed', entry.seq, entry.rows);
    this.updateWater();
    if (this.batches === 0) {
      if (!this.spool!.compact()) this.log.warn('could not compact the drained spool');
      this.safeEmit('drained');
    }
  }

  private noteFailure(entry: SpoolEntry, err: unknown): void {
    this.log.warn(
      { seq: entry.seq, attempts: entry.attempts + 1, err },
      'replay of a deferred batch failed; it stays spooled',
    );
    try {
      this.spool!.recordFailure(entry.seq, errorText(err));
    } catch (bookkeeping) {
      // Only the attempt counter is lost; the batch itself is still in the spool.
      this.log.error({ seq: entry.seq, err: bookkeeping }, 'could not record the replay failure');
    }
    this.safeEmit('replayFailed', entry.seq, err);
  }

  private updateWater(): void {
    const crossed = this.water.update(this.rows, this.batches);
    if (crossed === 'high') {
      this.log.warn(this.depth(), 'spool over high water: producers should wait');
      this.safeEmit('highWater', this.depth());
    } else if (crossed === 'low') {
      this.log.info(this.depth(), 'spool back at low water');
      this.safeEmit('lowWater', this.depth());
    }
  }

  /** A throwing listener must not abort a commit's bookkeeping or a replay half way. */
  private safeEmit<K extends keyof DeferredQueueEvents>(event: K, ...args: DeferredQueueEvents[K]): void {
    try {
      (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
    } catch (err) {
      this.log.error({ err, event }, 'a deferred-queue event listener threw');
    }
  }
}
