// The writer thread's data plane, the same for both engines: sender ports feeding the loop's queue, and
// settling the engine (turning the event loop until no more batches arrive) before a drain or a close.

import type { MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { CollectorToWriter, WriteBatchMessage } from '../protocol/messages.ts';
import type { Reply } from '../storage/write-engine.ts';

/** What settling needs of the group-commit loop. */
export interface QueueEngine {
  readonly counters: { batchesCommitted: number; batchesFailed: number };
  readonly backlog: number;
  enqueue(batch: WriteBatchMessage, reply: Reply): void;
  whenIdle(): Promise<void>;
}

/** The open data ports of one writer thread. */
export class DataPorts {
  private readonly ports = new Set<MessagePort>();

  constructor(private readonly log: Logger) {}

  get size(): number {
    return this.ports.size;
  }

  /** Feeds the write batches arriving on `port` to `engine`; each is answered on the same port. */
  attach(port: MessagePort, engine: QueueEngine): void {
    this.ports.add(port);
    const reply: Reply = (m) => port.postMessage(m);
    port.on('message', (m: CollectorToWriter) => {
      if (m?.kind === 'write') engine.enqueue(m, reply);
      else this.log.warn({ kind: (m as { kind?: unknown })?.kind }, 'unknown message on data port ignored');
    });
    port.on('close', () => this.ports.delete(port));
  }

  closeAll(): void {
    for (const p of this.ports) p.close();
    this.ports.clear();
  }
}

/** Turns the event loop until three turns in a row bring no new batch (or `maxMs` passes), committing as it goes. */
export async function settle(engine: QueueEngine, maxMs: number): Promise<void> {
  const deadline = performance.now() + maxMs;
  const progress = () => engine.counters.batchesCommitted + engine.counters.batchesFailed + engine.backlog;
  for (let quiet = 0; quiet < 3 && performance.now() < deadline; ) {
    const before = progress();
    await new Promise((r) => setImmediate(r));
    await engine.whenIdle();
    quiet = progress() === before ? quiet + 1 : 0;
  }
}
