// Owns the writer thread: starts it, opens the database in it, and starts a new one when it exits or
// crashes (rate-limited), reporting each transaction outcome and each crash so the breaker can count them.

import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
// Types from comlink's own declarations, so the published .d.ts files need no ambient module of ours.
import type { Remote } from 'comlink';
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { Logger } from 'pino';
import { backoffDelayMs } from '../common/backoff.ts';
import { THREAD_RESOURCE_LIMITS } from '../common/thread-limits.ts';
import { WriterUnavailableError } from '../errors.ts';
import { openThreadLogChannel } from '../logging/thread-logs.ts';
import type {
  CheckpointerData,
  CheckpointerToMain,
  MainToCheckpointer,
  SqliteWriterControl,
  TransactionOutcome,
  WriterControl,
  WriterOpenInfo,
  WriterThreadData,
} from '../protocol/messages.ts';
import type { WriterSettings } from '../protocol/writer-settings.ts';

const WRITER_ENTRY = new URL('../../workers/sqlite-writer-thread.js', import.meta.url);
const PG_WRITER_ENTRY = new URL('../../workers/postgres-writer-thread.js', import.meta.url);
const CHECKPOINTER_ENTRY = new URL('../../workers/checkpointer-thread.js', import.meta.url);
/** How often (at most) a commit outcome makes the supervisor look at the WAL's size. */
const WAL_LOOK_EVERY_MS = 250;
/** SQLite's default page size: walAutocheckpointPages of them is the WAL size that starts the checkpointer. */
const PAGE_BYTES = 4096;

export interface SupervisorOptions {
  /** Breaker state cell the writer reads before committing. */
  gate?: SharedArrayBuffer;
  /** At most this many restarts within `restartWindowMs`; beyond that the supervisor gives up. */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** Pause before a restart, doubled for each recent restart (with jitter: common/backoff.ts). */
  restartDelayMs?: number;
  /** The writer and checkpointer threads log at this logger's level, through it. Default: the root logger. */
  threadLogger?: Logger;
}

export interface SupervisorEvents {
  outcome: [TransactionOutcome];
  crashed: [Error];
  restarted: [WriterOpenInfo];
  gaveUp: [Error];
}

interface WriterInstance {
  worker: Worker;
  checkpointer: Worker | undefined;
  remote: Remote<WriterControl>;
  outcomes: MessagePort;
  exited: Promise<number>;
  error: Error | undefined;
  /** SQLite in WAL with a checkpointer interval: the thread starts once the WAL grows (watchWal). */
  walWatch: { lastLookAt: number } | undefined;
}

export class WriterSupervisor extends EventEmitter<SupervisorEvents> {
  private current: WriterInstance | undefined;
  private stopping = false;
  private readonly restartTimes: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private restarting: Promise<void> | undefined;
  restarts = 0;
  lastRestartAt: number | null = null;
  /** Figures reported by the checkpointer thread. */
  readonly checkpointing = { checkpoints: 0, walPages: 0, lastMs: 0 };

  constructor(
    private readonly settings: WriterSettings,
    private readonly options: SupervisorOptions,
    private readonly log: Logger,
  ) {
    super();
  }

  get remote(): Remote<WriterControl> {
    if (!this.current) throw new WriterUnavailableError('the writer thread is not running');
    return this.current.remote;
  }

  get running(): boolean {
    return this.current !== undefined;
  }

  /** Starts the first writer; rejects (and leaves nothing running) if the database cannot be opened. */
  async start(): Promise<WriterOpenInfo> {
    const { instance, info } = await this.launch();
    this.current = instance;
    return info;
  }

  /** A new data port attached to the current writer. */
  async connect(): Promise<MessagePort> {
    const w = this.current;
    if (!w) throw new WriterUnavailableError('the writer thread is not running');
    const { port1, port2 } = new MessageChannel();
    await this.race(w, w.remote.attach(Comlink.transfer(port2, [port2]) as unknown as MessagePort));
    return port1;
  }

  /** Calls the current writer, failing fast if it dies meanwhile. */
  call<T>(fn: (remote: Remote<WriterControl>) => Promise<T>): Promise<T> {
    const w = this.current;
    if (!w) return Promise.reject(new WriterUnavailableError('the writer thread is not running'));
    return this.race(w, fn(w.remote));
  }

  /** Resolves when a restart in progress (if any) has finished. */
  async whenRunning(): Promise<void> {
    await this.restarting;
  }

  /** Fault drill: terminates the writer thread as a crash would; the supervisor restarts it. */
  async kill(): Promise<void> {
    await this.current?.worker.terminate();
  }

  /** Drains and closes the writer; no restart afterwards. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    await this.restarting?.catch(() => undefined);
    const w = this.current;
    if (!w) return;
    try {
      await this.stopCheckpointer(w);
      await this.race(w, w.remote.close());
    } finally {
      this.dispose(w);
      await w.worker.terminate();
      this.current = undefined;
    }
  }

  private async launch(): Promise<{ instance: WriterInstance; info: WriterOpenInfo }> {
    const logs = openThreadLogChannel(this.options.threadLogger);
    const worker = new Worker(this.settings.postgres ? PG_WRITER_ENTRY : WRITER_ENTRY, {
      workerData: { log: logs.link } satisfies WriterThreadData,
      transferList: [logs.link.port],
      // No young-generation limit here: at import and bench rates it made the writer scavenge more (about 5 % more
      // CPU a row, docs/benchmarks.md) and saved only ~1.5 MB.
    });
    const remote = Comlink.wrap<WriterControl>(nodeEndpoint(worker));
    const { port1: outcomes, port2: writerSide } = new MessageChannel();
    const instance: WriterInstance = {
      worker,
      checkpointer: undefined,
      remote,
      outcomes,
      error: undefined,
      walWatch: undefined,
      exited: new Promise((resolve) => worker.once('exit', resolve)),
    };
    worker.on('error', (err) => {
      instance.error = err;
      this.log.error({ err }, 'writer thread crashed');
    });
    outcomes.on('message', (o: TransactionOutcome) => {
      this.emit('outcome', o);
      if (o.ok && instance.walWatch) this.watchWal(instance);
    });
    void instance.exited.then((code) => this.onExit(instance, code));
    try {
      const wiring = { ...(this.options.gate ? { gate: this.options.gate } : {}), outcomes: writerSide };
      const info = await this.race(instance, remote.open(this.settings, Comlink.transfer(wiring, [writerSide])));
      // No checkpointer thread until the WAL grows: at a collector's usual rates the writer's idle checkpoints
      // keep it small, and the thread would cost its memory for nothing.
      if (this.settings.checkpointIntervalMs > 0 && info.journalMode === 'wal') instance.walWatch = { lastLookAt: 0 };
      return { instance, info };
    } catch (err) {
      this.dispose(instance);
      await worker.terminate();
      throw err;
    }
  }

  private dispose(w: WriterInstance): void {
    w.outcomes.close();
    w.remote[Comlink.releaseProxy]();
    void w.checkpointer?.terminate();
  }

  /** After a commit: once the WAL file has grown past walAutocheckpointPages pages, hand checkpoints to a thread. */
  private watchWal(w: WriterInstance): void {
    const watch = w.walWatch!;
    const now = performance.now();
    if (now - watch.lastLookAt < WAL_LOOK_EVERY_MS) return;
    watch.lastLookAt = now;
    let bytes: number;
    try {
      bytes = fs.statSync(`${this.settings.path}-wal`).size;
    } catch {
      return;
    }
    if (bytes < this.settings.walAutocheckpointPages * PAGE_BYTES) return;
    w.walWatch = undefined;
    w.checkpointer = this.startCheckpointer();
    this.log.info({ walBytes: bytes }, 'the WAL grew: checkpoints move to their own thread');
    const sqlite = w.remote as unknown as Remote<SqliteWriterControl>;
    this.race(w, sqlite.handOverCheckpoints()).catch((err) =>
      this.log.warn({ err }, 'the writer did not hand its checkpoints over; both checkpoint'),
    );
  }

  private startCheckpointer(): Worker {
    const logs = openThreadLogChannel(this.options.threadLogger);
    const data: CheckpointerData = {
      path: this.settings.path,
      intervalMs: this.settings.checkpointIntervalMs,
      busyTimeoutMs: this.settings.busyTimeoutMs,
      log: logs.link,
    };
    const worker = new Worker(CHECKPOINTER_ENTRY, {
      workerData: data,
      transferList: [logs.link.port],
      resourceLimits: THREAD_RESOURCE_LIMITS,
    });
    worker.on('message', (m: CheckpointerToMain) => {
      if (m.kind !== 'checkpointed') return;
      this.checkpointing.checkpoints++;
      this.checkpointing.walPages = m.walPages;
      this.checkpointing.lastMs = m.ms;
    });
    // Checkpoints are housekeeping: if the thread fails, the WAL grows until the writer closes; say so loudly.
    worker.on('error', (err) =>
      this.log.error({ err }, 'checkpointer thread failed; the WAL is not checkpointed until the writer closes'),
    );
    return worker;
  }

  /** Asks the checkpointer to finish its current checkpoint and close its connection before the writer closes. */
  private async stopCheckpointer(w: WriterInstance): Promise<void> {
    const c = w.checkpointer;
    if (!c) return;
    w.checkpointer = undefined;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.postMessage({ kind: 'stop' } satisfies MainToCheckpointer);
    const timer = setTimeout(() => void c.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  }

  private onExit(w: WriterInstance, code: number): void {
    if (this.current !== w || this.stopping) return;
    this.current = undefined;
    this.dispose(w);
    const err = w.error ?? new WriterUnavailableError(`writer thread exited with code ${code}`);
    this.log.error({ code, err: err.message }, 'writer thread is gone; restarting');
    this.emit('crashed', err);
    this.restarting = this.restart();
  }

  private async restart(): Promise<void> {
    const now = Date.now();
    const windowMs = this.options.restartWindowMs ?? 60_000;
    while (this.restartTimes.length && this.restartTimes[0]! < now - windowMs) this.restartTimes.shift();
    if (this.restartTimes.length >= (this.options.maxRestarts ?? 5)) {
      const err = new WriterUnavailableError(
        `writer restarted ${this.restartTimes.length} times within ${windowMs} ms; giving up`,
      );
      this.log.fatal({ restarts: this.restartTimes.length }, err.message);
      this.emit('gaveUp', err);
      return;
    }
    const delay = backoffDelayMs(this.restartTimes.length, {
      baseMs: this.options.restartDelayMs ?? 100,
      maxMs: Number.POSITIVE_INFINITY,
    });
    this.restartTimes.push(now);
    await new Promise<void>((r) => (this.restartTimer = setTimeout(r, delay)));
    if (this.stopping) return;
    try {
      const { instance, info } = await this.launch();
      if (this.stopping) {
        this.dispose(instance);
        await instance.worker.terminate();
        return;
      }
      this.current = instance;
      this.restarts++;
      this.lastRestartAt = Date.now();
      this.log.warn({ restarts: this.restarts }, 'writer thread restarted');
      this.emit('restarted', info);
    } catch (err) {
      this.log.error({ err }, 'writer restart failed');
      this.emit('crashed', err as Error);
      this.restarting = this.restart();
      await this.restarting;
    }
  }

  /** A comlink call never settles if the writer thread dies; turn that into a clear error. */
  private async race<T>(w: WriterInstance, call: Promise<T>): Promise<T> {
    const exited = w.exited.then((code) => {
      throw w.error ?? new WriterUnavailableError(`writer thread exited (code ${code})`);
    });
    exited.catch(() => undefined);
    return Promise.race([call, exited]);
  }
}
