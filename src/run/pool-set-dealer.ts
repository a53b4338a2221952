// Hands pools that join a running collection to its collector threads and takes back those that leave, over
// each collector's control port (no leases: every pool of the set is this process's). A joining pool goes to
// the collector with the fewest pools, with its cursor read just now; a leaving one is done once its collector
// says no request for it is waiting or on the wire (its trades already fetched are still stored). Main thread.

import type { MessagePort } from 'node:worker_threads';
import type { PoolAssignment, PoolControlMessage, PoolControlReply } from '../protocol/collector-task.ts';

/** A collector that never answers (its thread gone) must not hold the set's change for ever. */
const REVOKE_TIMEOUT_MS = 30_000;

/** Where a pool-set change is carried out: the collector threads (ThreadPoolDealer) or the leases. */
export interface PoolSetTarget {
  /** Pools joining, each with its slot as `index`; resolves once they are handed out (or queued to be). */
  add(pools: readonly PoolAssignment[]): Promise<void>;
  /** Pools leaving; resolves once nothing polls them any more. */
  remove(poolIds: readonly string[]): Promise<void>;
}

export class ThreadPoolDealer implements PoolSetTarget {
  private readonly holder = new Map<string, number>();
  private readonly load: number[];
  private readonly waiting = new Map<string, () => void>();

  constructor(
    private readonly controls: readonly MessagePort[],
    /** The pools each collector started with. */
    groups: readonly (readonly PoolAssignment[])[],
    /** Reads the cursors of pools about to be handed out. */
    private readonly withCursors: (pools: readonly PoolAssignment[]) => Promise<PoolAssignment[]>,
  ) {
    this.load = controls.map((_, i) => groups[i]?.length ?? 0);
    groups.forEach((g, i) => {
      for (const a of g) this.holder.set(a.poolId, i);
    });
    for (const port of controls)
      port.on('message', (m: PoolControlReply) => {
        if (m?.kind !== 'revoked') return;
        for (const id of m.poolIds) this.waiting.get(id)?.();
      });
  }

  async add(pools: readonly PoolAssignment[]): Promise<void> {
    if (pools.length === 0 || this.controls.length === 0) return;
    const byCollector = new Map<number, PoolAssignment[]>();
    for (const a of await this.withCursors(pools)) {
      const collector = this.load.indexOf(Math.min(...this.load));
      this.load[collector]!++;
      this.holder.set(a.poolId, collector);
      byCollector.set(collector, [...(byCollector.get(collector) ?? []), a]);
    }
    for (const [collector, list] of byCollector) this.post(collector, { kind: 'assign', pools: list });
  }

  async remove(poolIds: readonly string[]): Promise<void> {
    const stopped: Promise<void>[] = [];
    const byCollector = new Map<number, string[]>();
    for (const id of poolIds) {
      const collector = this.holder.get(id);
      if (collector === undefined) continue;
      this.holder.delete(id);
      this.load[collector]!--;
      byCollector.set(collector, [...(byCollector.get(collector) ?? []), id]);
      stopped.push(
        new Promise<void>((resolve) =>
          this.waiting.set(id, () => {
            this.waiting.delete(id);
            resolve();
          }),
        ),
      );
    }
    for (const [collector, ids] of byCollector) this.post(collector, { kind: 'revoke', poolIds: ids });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(stopped),
      new Promise((resolve) => (timer = setTimeout(resolve, REVOKE_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
  }

  /** The collectors have ended: nothing waits for an answer any more. */
  close(): void {
    for (const done of [...this.waiting.values()]) done();
    for (const port of this.controls) port.close();
  }

  private post(collector: number, message: PoolControlMessage): void {
    this.controls[collector]!.postMessage(message);
  }
}
