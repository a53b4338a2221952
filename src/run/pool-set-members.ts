// The pools a running collection holds now, each in a slot of the run's per-pool counters (and lease cells),
// and the rule for how the set changes: a pool the sources name joins at once; a pool a market list (top,
// new) no longer names is dropped only after a grace period, so one that slips out of a top 20 for one refresh
// keeps its polls; a pool taken out of a file or watchlist is dropped at once (a person asked for that).

import type { PoolAssignment } from '../protocol/collector-task.ts';
import type { MembershipSource } from '../protocol/records.ts';

export interface Member {
  poolId: string;
  address: string;
  source: MembershipSource;
  slot: number;
  /** Epoch ms since when no source names it; undefined while one does. */
  missingSince: number | undefined;
  /** What the collectors were handed (its slot as `index`), for the run's figures. */
  assignment: PoolAssignment;
}

export interface SetChange {
  joined: Member[];
  left: Member[];
  /** Pools no source names that wait out their grace period. */
  waiting: number;
  /** Pools that could not join: every slot is taken. */
  refused: string[];
}

function isMarket(source: MembershipSource): boolean {
  return source === 'top' || source === 'new';
}

export class PoolSetMembers {
  private readonly members = new Map<string, Member>();
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;

  constructor(
    private readonly capacity: number,
    private readonly graceMs: number,
    private readonly poolIdOf: (address: string) => string,
  ) {}

  /** The pools the run started with, in their slots (`index`). */
  seed(assignments: readonly PoolAssignment[], sourceOf: (address: string) => MembershipSource): void {
    for (const a of assignments) {
      const slot = a.index ?? this.nextSlot;
      this.nextSlot = Math.max(this.nextSlot, slot + 1);
      this.members.set(a.address, {
        poolId: a.poolId,
        address: a.address,
        source: sourceOf(a.address),
        slot,
        missingSince: undefined,
        assignment: a,
      });
    }
  }

  get size(): number {
    return this.members.size;
  }

  /** The assignments of the pools held now (what /metrics and /healthz report). */
  assignments(): PoolAssignment[] {
    return [...this.members.values()].map((m) => m.assignment);
  }

  addresses(): string[] {
    return [...this.members.keys()];
  }

  /**
   * Compares the set with what the sources name now (address → source) and applies the change: joined pools get
   * a slot, left ones give theirs back. `now`: epoch ms.
   */
  update(wanted: ReadonlyMap<string, MembershipSource>, now: number): SetChange {
    const change: SetChange = { joined: [], left: [], waiting: 0, refused: [] };
    // Slots given back are reused from the next update on: a collector may still count into one until it stops.
    const freed: number[] = [];
    for (const m of [...this.members.values()]) {
      if (wanted.has(m.address)) {
        m.missingSince = undefined;
        continue;
      }
      m.missingSince ??= now;
      if (isMarket(m.source) && now - m.missingSince < this.graceMs) {
        change.waiting++;
        continue;
      }
      this.members.delete(m.address);
      freed.push(m.slot);
      change.left.push(m);
    }
    for (const [address, source] of wanted) {
      if (this.members.has(address)) continue;
      const slot = this.freeSlots.shift() ?? (this.nextSlot < this.capacity ? this.nextSlot++ : undefined);
      if (slot === undefined) {
        change.refused.push(address);
        continue;
      }
      const poolId = this.poolIdOf(address);
      const m: Member = {
        poolId,
        address,
        source,
        slot,
        missingSince: undefined,
        assignment: { address, poolId, cursor: null, recentIds: [], index: slot },
      };
      this.members.set(address, m);
      change.joined.push(m);
    }
    this.freeSlots.push(...freed);
    return change;
  }
}
