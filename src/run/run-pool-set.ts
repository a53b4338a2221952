// A collection run's pool set as the run wires it: the members (and how many per-pool slots the run needs), and,
// once the collector threads run, the refresh that keeps the set following its sources, carried out by the
// collector threads' control ports or, on PostgreSQL, by the leases. The run calls plan, start, reload, stop.

import type { MessagePort } from 'node:worker_threads';
import { ConfigError } from '../errors.ts';
import type { GeckoTerminalClient } from '../gecko/gecko-client.ts';
import type { Logger } from '../logging/logger.ts';
import type { PoolAssignment } from '../protocol/collector-task.ts';
import type { PoolCounters } from '../protocol/pool-counters.ts';
import type { PoolScheduleCells } from '../protocol/pool-schedule.ts';
import type { MembershipSource } from '../protocol/records.ts';
import type { LeasedPoolDealer } from './leased-pools.ts';
import type { SelectedPools } from './pool-selection.ts';
import { type PoolSetTarget, ThreadPoolDealer } from './pool-set-dealer.ts';
import { PoolSetMembers } from './pool-set-members.ts';
import { POOL_SET_DEFAULTS, type PoolSetOptions, poolSetCapacity, poolSetFollows } from './pool-set-options.ts';
import { PoolSetRefresh, poolIdFor } from './pool-set-refresh.ts';
import type { RunDatabase } from './run-database.ts';

type RunPoolSetOptions = PoolSetOptions & {
  top?: number | undefined;
  watchlist?: boolean | undefined;
  poolMetadata?: boolean | undefined;
};

function checkOptions(o: RunPoolSetOptions): void {
  const nonNegative = (name: keyof PoolSetOptions, min: number) => {
    const v = o[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < min))
      throw new ConfigError(name, v, `must be a number of at least ${min}`);
  };
  if (o.newPools !== undefined && !(Number.isSafeInteger(o.newPools) && o.newPools >= 1 && o.newPools <= 200))
    throw new ConfigError('newPools', o.newPools, 'must be a whole number from 1 to 200');
  nonNegative('refreshPoolsMs', 0);
  nonNegative('poolGraceMs', 0);
  nonNegative('poolsFileCheckMs', 10);
}

export class RunPoolSet {
  /** Whether the set may change while the run goes on. */
  readonly follows: boolean;
  /** Per-pool slots the run's counters and lease cells need. */
  readonly capacity: number;
  readonly members: PoolSetMembers;
  private refresh: PoolSetRefresh | undefined;
  private dealer: ThreadPoolDealer | undefined;

  constructor(
    private readonly o: {
      options: RunPoolSetOptions;
      network: string;
      selected: SelectedPools;
      /** The start's pools, each with its slot as `index`. */
      assignments: readonly PoolAssignment[];
      client: GeckoTerminalClient;
      db: Pick<RunDatabase, 'writeMetadata' | 'writeMembership' | 'reads'>;
      log: Logger;
    },
  ) {
    checkOptions(o.options);
    this.follows = poolSetFollows(o.options);
    this.capacity = this.follows ? poolSetCapacity(o.assignments.length, o.options) : o.assignments.length;
    this.members = new PoolSetMembers(
      this.capacity,
      o.options.poolGraceMs ?? POOL_SET_DEFAULTS.poolGraceMs,
      poolIdFor(o.network),
    );
    const sourceOf = (a: string): MembershipSource => o.selected.sourceOf.get(a) ?? 'cli';
    this.members.seed(o.assignments, sourceOf);
  }

  assignments(): PoolAssignment[] {
    return this.members.assignments();
  }

  /**
   * Records the start's members and, when the set follows its sources, starts the refresh. `controls` and
   * `groups`: the collector threads' control ports and starting pools (no leases); `leases`: the dealer.
   */
  async start(parts: {
    controls: readonly MessagePort[];
    groups: readonly (readonly PoolAssignment[])[];
    leases: LeasedPoolDealer | undefined;
    poolCounters: PoolCounters;
    scheduleCells?: PoolScheduleCells;
  }): Promise<void> {
    const { o } = this;
    let target: PoolSetTarget;
    if (parts.leases) {
      const dealer = parts.leases;
      target = {
        add: (pools) =>
          dealer.changePools(
            pools.map((a) => ({ poolId: a.poolId, address: a.address, slot: a.index! })),
            [],
          ),
        remove: (ids) => dealer.changePools([], ids),
      };
    } else {
      this.dealer = new ThreadPoolDealer(parts.controls, parts.groups, async (pools) => {
        const read = await o.db.reads.loadPoolAssignments(
          o.network,
          pools.map((p) => p.address),
        );
        return read.map((a, i) => ({ ...a, index: pools[i]!.index! }));
      });
      target = this.dealer;
    }
    this.refresh = new PoolSetRefresh({
      options: o.options,
      client: o.client,
      network: o.network,
      db: o.db,
      members: this.members,
      sourceOf: o.selected.sourceOf,
      metadata: o.selected.metadata,
      target,
      poolCounters: parts.poolCounters,
      ...(parts.scheduleCells ? { scheduleCells: parts.scheduleCells } : {}),
      log: o.log,
    });
    await this.refresh.start(this.follows);
  }

  /** Reads every source of the set again (SIGHUP); resolves once the set follows. */
  reload(): Promise<void> {
    return this.refresh?.reload() ?? Promise.resolve();
  }

  /** Stops following (before the collectors end); pending hand-overs give up waiting. */
  async stop(): Promise<void> {
    const stopped = this.refresh?.stop();
    this.dealer?.close();
    await stopped;
  }
}
