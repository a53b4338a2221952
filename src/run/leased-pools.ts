// Deals the pools this process holds leases on (PostgreSQL, pools shared by several processes) to its collector
// threads: at every heartbeat it extends each held pool's lease cell (collectors poll a pool only while its
// cell says so), hands newly acquired pools to the least busy collector with the cursor read just now, and
// takes back pools whose lease was lost or is above the fair share. A surplus lease is given up in the database
// only once its collector says no request for the pool is waiting or on the wire any more. Main thread.

import type { MessagePort } from 'node:worker_threads';
import type { Logger } from '../logging/logger.ts';
import type { PoolControlMessage, PoolControlReply, PoolLeaseCells } from '../protocol/collector-task.ts';
import type { CollectionReads } from '../storage/collection-reads.ts';
import type { HeldLease, PoolLeases } from '../storage/postgres/leases.ts';

export interface LeasedPoolDealerOptions {
  leases: PoolLeases;
  reads: Pick<CollectionReads, 'loadPoolAssignments'>;
  network: string;
  /** The run's pool list: a pool's index is its lease cell. */
  addresses: readonly string[];
  poolIds: readonly string[];
  /** Main-thread ends of the collectors' control ports, one per collector. */
  controls: readonly MessagePort[];
  cells: PoolLeaseCells;
  /** A pool's trade rate by the API's counters (the schedule's prior), if known. */
  priorOf?: (address: string) => number | undefined;
  log: Logger;
}

/** A pool that joined the run's set: its address and its slot in the lease cells and pool counters. */
export interface LeasedPool {
  poolId: string;
  address: string;
  slot: number;
}

interface Dealt {
  epoch: number;
  collector: number;
}

export class LeasedPoolDealer {
  private readonly dealt = new Map<string, Dealt>();
  private readonly load: number[];
  private readonly slotOf = new Map<string, number>();
  private readonly addressOf = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  /** Revoked pools whose collector has not yet said it stopped polling them. */
  private readonly awaitingStop = new Map<string, () => void>();
  /** Heartbeats that failed (database unreachable): the held leases lapse at their deadlines meanwhile. */
  failedTicks = 0;
  acquired = 0;
  lost = 0;

  constructor(private readonly o: LeasedPoolDealerOptions) {
    this.load = o.controls.map(() => 0);
    o.poolIds.forEach((id, i) => {
      this.slotOf.set(id, i);
      this.addressOf.set(id, o.addresses[i]!);
    });
    for (const port of o.controls)
      port.on('message', (m: PoolControlReply) => {
        if (m?.kind !== 'revoked') return;
        for (const id of m.poolIds) this.awaitingStop.get(id)?.();
      });
  }

  /** The first heartbeat now, then one every heartbeatMs until stop(). */
  start(): Promise<void> {
    const first = this.beat();
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => void this.beat().then(loop), this.o.leases.heartbeatMs);
    };
    void first.then(loop);
    return first;
  }

  /** Pools dealt to collectors now. */
  get held(): number {
    return this.dealt.size;
  }

  /**
   * The run's pool set changed: new pools (each with its lease cell slot) are leased from the next heartbeat; pools
   * that left stop being polled and their leases are given up. Resolves once that is done.
   */
  async changePools(joined: readonly LeasedPool[], left: readonly string[]): Promise<void> {
    for (const p of joined) {
      this.slotOf.set(p.poolId, p.slot);
      this.addressOf.set(p.poolId, p.address);
    }
    const leaving = left.filter((id) => this.slotOf.has(id));
    this.o.leases.setPoolIds([...this.slotOf.keys()].filter((id) => !leaving.includes(id)));
    if (leaving.length === 0) return;
    const stopped = Promise.all(leaving.map((id) => this.revoke(id)));
    // Forgotten at once: a heartbeat meanwhile must not deal them out again.
    for (const id of leaving) {
      this.slotOf.delete(id);
      this.addressOf.delete(id);
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([stopped, new Promise((resolve) => (timer = setTimeout(resolve, this.o.leases.ttlMs)))]);
    clearTimeout(timer);
    if (this.stopped) return;
    try {
      await this.o.leases.release(leaving);
    } catch (err) {
      this.o.log.warn({ err, pools: leaving.length }, 'could not give up the leases of dropped pools; they expire');
    }
  }

  /** Stops the heartbeats and gives every lease back (call once the collectors have committed everything). */
  stop(): Promise<void> {
    this.stopping ??= this.finish();
    return this.stopping;
  }

  private async finish(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    // The collectors have ended: releaseAll() below gives up what was being handed back too.
    for (const done of this.awaitingStop.values()) done();
    for (const slot of this.slotOf.values()) this.o.cells.set(slot, 0);
    await this.o.leases.releaseAll();
    await this.o.leases.close();
    for (const port of this.o.controls) port.close();
  }

  private beat(): Promise<void> {
    this.ticking = this.tick().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let held: HeldLease[];
    let surplus: string[];
    try {
      ({ held, surplus } = await this.o.leases.tick());
    } catch (err) {
      this.failedTicks++;
      this.o.log.warn({ err }, 'lease heartbeat failed; held pools stop at their lease deadlines');
      return;
    }
    if (this.stopped) return;
    const now = new Map(held.map((h) => [h.poolId, h]));
    const handBack = new Set(surplus);
    const gone = [...this.dealt.keys()].filter((id) => now.get(id)?.epoch !== this.dealt.get(id)!.epoch);
    // A lease lost (expired, taken) has nothing left to give up: its collector just stops.
    for (const id of gone) if (!handBack.has(id)) void this.revoke(id);
    if (surplus.length > 0) void this.handBack(surplus);
    const fresh: HeldLease[] = [];
    for (const h of held) {
      const slot = this.slotOf.get(h.poolId);
      if (slot === undefined) continue;
      this.o.cells.set(slot, performance.timeOrigin + h.deadline);
      if (!this.dealt.has(h.poolId)) fresh.push(h);
    }
    if (fresh.length > 0) await this.assign(fresh);
  }

  /** Takes a pool back from its collector; resolves once the collector polls it no more. */
  private revoke(poolId: string): Promise<void> {
    const d = this.dealt.get(poolId);
    const slot = this.slotOf.get(poolId);
    if (slot !== undefined) this.o.cells.set(slot, 0);
    if (!d) return Promise.resolve();
    this.dealt.delete(poolId);
    this.load[d.collector]!--;
    this.lost++;
    const stopped = new Promise<void>((resolve) =>
      this.awaitingStop.set(poolId, () => {
        this.awaitingStop.delete(poolId);
        resolve();
      }),
    );
    this.post(d.collector, { kind: 'revoke', poolIds: [poolId] });
    return stopped;
  }

  /**
   * Pools above the fair share: their collectors stop polling them first (the cells at once, then waits and
   * retries end), and only then are the leases given up, so the next holder never meets a request of ours.
   */
  private async handBack(poolIds: string[]): Promise<void> {
    // Bounded: a collector that never answers (its thread gone) must not keep the pools from the others.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, this.o.leases.ttlMs, true)));
    const stopped = Promise.all(poolIds.map((id) => this.revoke(id))).then(() => false);
    if (await Promise.race([stopped, late]))
      this.o.log.warn({ pools: poolIds.length }, 'a collector did not confirm it stopped polling handed-back pools');
    clearTimeout(timer);
    if (this.stopped) return;
    try {
      await this.o.leases.release(poolIds);
      this.o.log.info({ pools: poolIds.length, held: this.dealt.size }, 'surplus pool leases handed back');
    } catch (err) {
      this.o.log.warn({ err, pools: poolIds.length }, 'could not hand surplus leases back; they expire by themselves');
    }
  }

  /** Reads the cursors of newly held pools and deals them out, least busy collector first. */
  private async assign(fresh: HeldLease[]): Promise<void> {
    const addresses = fresh.map((h) => this.addressOf.get(h.poolId)!);
    let assignments: Awaited<ReturnType<CollectionReads['loadPoolAssignments']>>;
    try {
      assignments = await this.o.reads.loadPoolAssignments(this.o.network, addresses);
    } catch (err) {
      // Without its cursor a pool is not polled; its lease is offered again at the next heartbeat.
      for (const h of fresh) this.o.cells.set(this.slotOf.get(h.poolId)!, 0);
      this.o.log.warn({ err, pools: fresh.length }, 'could not read the cursors of newly leased pools');
      return;
    }
    const byCollector = new Map<number, typeof assignments>();
    assignments.forEach((a, i) => {
      const h = fresh[i]!;
      const collector = this.load.indexOf(Math.min(...this.load));
      this.load[collector]!++;
      this.dealt.set(h.poolId, { epoch: h.epoch, collector });
      this.acquired++;
      const list = byCollector.get(collector) ?? [];
      const priorRate = this.o.priorOf?.(a.address);
      list.push({
        ...a,
        leaseEpoch: h.epoch,
        index: this.slotOf.get(h.poolId)!,
        ...(priorRate !== undefined ? { priorRate } : {}),
      });
      byCollector.set(collector, list);
    });
    for (const [collector, pools] of byCollector) this.post(collector, { kind: 'assign', pools });
    this.o.log.info(
      { acquired: fresh.length, held: this.dealt.size, resumed: assignments.filter((a) => a.cursor).length },
      'pool leases acquired',
    );
  }

  private post(collector: number, message: PoolControlMessage): void {
    this.o.controls[collector]!.postMessage(message);
  }
}
