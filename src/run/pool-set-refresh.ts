// Keeps a running collection's pool set where its sources say: the top and new lists are fetched again every
// refresh interval, a pools file is read again when it changes (its mtime and size are checked every few
// seconds) and on reload() (SIGHUP), the watchlist table at each refresh. Each change is carried out by a
// PoolSetTarget (the collector threads, or the leases), written to pool_membership and logged, one line a pool.
// A source that fails (the API down, a file that no longer parses) changes nothing: the set stays as it was.

import fs from 'node:fs';
import { poolIdOf } from '../config/pool-addresses.ts';
import { SettingError } from '../config/setting-error.ts';
import type { GeckoTerminalClient } from '../gecko/gecko-client.ts';
import type { ParsedPools } from '../gecko/pool-parser.ts';
import type { Logger } from '../logging/logger.ts';
import type { PoolCounters } from '../protocol/pool-counters.ts';
import type { PoolScheduleCells } from '../protocol/pool-schedule.ts';
import type { MembershipRecord, MembershipSource, PoolRecord } from '../protocol/records.ts';
import { fetchListedPools, type PoolList } from './listed-pools.ts';
import { fetchPoolMetadata } from './pool-selection.ts';
import type { PoolSetTarget } from './pool-set-dealer.ts';
import type { Member, PoolSetMembers } from './pool-set-members.ts';
import { POOL_SET_DEFAULTS, type PoolSetOptions } from './pool-set-options.ts';
import { readPoolsFile } from './pools-file.ts';
import type { RunDatabase } from './run-database.ts';

export interface PoolSetRefreshOptions {
  options: PoolSetOptions & {
    top?: number | undefined;
    watchlist?: boolean | undefined;
    poolMetadata?: boolean | undefined;
  };
  client: GeckoTerminalClient;
  network: string;
  db: Pick<RunDatabase, 'writeMetadata' | 'writeMembership' | 'reads'>;
  members: PoolSetMembers;
  /** The start's sources of each address. */
  sourceOf: ReadonlyMap<string, MembershipSource>;
  /** The start's metadata of listed pools, if it came with the lists. */
  metadata: ParsedPools | undefined;
  target: PoolSetTarget;
  poolCounters: PoolCounters;
  /** The schedule's per-pool cells: a pool that left no longer counts in the budget plan. */
  scheduleCells?: PoolScheduleCells;
  log: Logger;
  now?: () => number;
}

export class PoolSetRefresh {
  private fixed: Map<string, MembershipSource>;
  private readonly listed: Record<PoolList, string[]> = { top: [], new: [] };
  private readonly known = new Map<string, PoolRecord>();
  private dexes: ParsedPools['dexes'] = [];
  private fileStamp: string | undefined;
  private timers: NodeJS.Timeout[] = [];
  private serial: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly now: () => number;
  /** Refreshes that changed nothing because a source failed. */
  failures = 0;

  constructor(private readonly o: PoolSetRefreshOptions) {
    this.now = o.now ?? Date.now;
    this.fixed = new Map([...o.sourceOf].filter(([, s]) => s !== 'top' && s !== 'new'));
    for (const [a, s] of o.sourceOf) if (s === 'top' || s === 'new') this.listed[s].push(a);
    if (o.metadata) this.remember(o.metadata);
    if (o.options.poolsFile !== undefined) this.fileStamp = this.stamp(o.options.poolsFile);
  }

  /** Records the start's pools as members, then (`follow`) starts the timers that keep the set current. */
  async start(follow: boolean): Promise<void> {
    await this.write(
      this.o.members.assignments().map((a) => ({
        poolId: a.poolId,
        event: 'joined',
        source: this.o.sourceOf.get(a.address) ?? 'cli',
        at: new Date(this.now()).toISOString(),
      })),
    );
    if (!follow) return;
    const { options } = this.o;
    const refreshMs = options.refreshPoolsMs ?? POOL_SET_DEFAULTS.refreshPoolsMs;
    const market = options.top !== undefined || options.newPools !== undefined || options.watchlist === true;
    if (refreshMs > 0 && market) this.every(refreshMs, () => this.refresh('refresh'));
    // Checks the file and ends grace periods between refreshes, without a request.
    this.every(options.poolsFileCheckMs ?? POOL_SET_DEFAULTS.poolsFileCheckMs, () => this.check());
  }

  /** Reads every source again now (SIGHUP); resolves once the set follows. */
  reload(): Promise<void> {
    return this.refresh('reload');
  }

  /** No more changes; resolves once a change under way is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.serial;
  }

  private every(ms: number, fn: () => Promise<void>): void {
    const t = setInterval(() => void fn(), ms);
    t.unref();
    this.timers.push(t);
  }

  private inTurn(fn: () => Promise<void>): Promise<void> {
    const run = this.serial.then(async () => {
      if (this.stopped) return;
      try {
        await fn();
      } catch (err) {
        this.o.log.warn(
          { err },
          'pool set not changed: the change failed part way; it is tried again at the next check',
        );
      }
    });
    this.serial = run;
    return run;
  }

  private refresh(why: 'refresh' | 'reload'): Promise<void> {
    return this.inTurn(async () => {
      const { options, client, network } = this.o;
      // The file first: a list the API cannot give now must not keep a changed file from being followed.
      if (why === 'reload' && options.poolsFile !== undefined) this.readFile(options.poolsFile);
      try {
        for (const [list, n] of [
          ['top', options.top],
          ['new', options.newPools],
        ] as const) {
          if (n === undefined) continue;
          const got = await fetchListedPools(client, network, list, n);
          this.listed[list] = got.addresses;
          this.remember(got.metadata);
        }
        if (options.watchlist === true) {
          const w = await this.o.db.reads.readWatchlist(network);
          if (w.addresses.length > 0) this.fixed = new Map(w.addresses.map((a) => [a, 'watchlist']));
          else this.o.log.warn('the watchlist table has no active pool now; keeping the pools of the set');
        }
      } catch (err) {
        this.failures++;
        this.o.log.warn(
          { err },
          `pool lists not ${why === 'reload' ? 'reloaded' : 'refreshed'}; they stay as they were`,
        );
      }
      await this.apply();
    });
  }

  private check(): Promise<void> {
    const file = this.o.options.poolsFile;
    const changed = file !== undefined && this.stamp(file) !== this.fileStamp;
    if (!changed && !this.graceEnding()) return Promise.resolve();
    return this.inTurn(async () => {
      if (file !== undefined && this.stamp(file) !== this.fileStamp) this.readFile(file);
      await this.apply();
    });
  }

  private graceEnding(): boolean {
    return this.o.members.addresses().some((a) => !this.wanted().has(a));
  }

  /** The pools file read again: a file that does not parse is refused in one line and the set stays. */
  private readFile(file: string): void {
    this.fileStamp = this.stamp(file);
    try {
      const { pools } = readPoolsFile(file, this.o.network);
      this.fixed = new Map(pools.map((a) => [a, 'file']));
      this.o.log.info({ file, pools: pools.length }, 'pools file read again');
    } catch (err) {
      if (!(err instanceof SettingError)) throw err;
      this.o.log.warn(`pools file refused: ${err.message}; keeping the ${this.o.members.size} pools of the set`);
    }
  }

  private stamp(file: string): string {
    try {
      const st = fs.statSync(file);
      return `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code ?? 'unreadable';
    }
  }

  private remember(parsed: ParsedPools): void {
    for (const p of parsed.pools) this.known.set(p.address, p);
    const ids = new Set(this.dexes.map((d) => d.id));
    this.dexes = [...this.dexes, ...parsed.dexes.filter((d) => !ids.has(d.id))];
  }

  /** Every pool the sources name now, with the source recorded for it (a file or watchlist first). */
  private wanted(): Map<string, MembershipSource> {
    const out = new Map(this.fixed);
    for (const list of ['top', 'new'] as const) for (const a of this.listed[list]) if (!out.has(a)) out.set(a, list);
    return out;
  }

  private async apply(): Promise<void> {
    const { members, target, log } = this.o;
    const change = members.update(this.wanted(), this.now());
    if (change.refused.length > 0)
      log.warn(
        { pools: change.refused.length, held: members.size },
        'pools not added: the run holds as many as it can',
      );
    const at = new Date(this.now()).toISOString();
    if (change.left.length > 0) {
      await target.remove(change.left.map((m) => m.poolId));
      for (const m of change.left) this.o.scheduleCells?.clear(m.slot);
      await this.write(change.left.map((m) => record(m, 'left', at)));
      for (const m of change.left)
        log.info(
          {
            pool: m.poolId,
            source: m.source,
            goneForS: Math.round((this.now() - (m.missingSince ?? this.now())) / 1000),
          },
          `pool left the set (${m.source}); its cursor is kept`,
        );
    }
    if (change.joined.length === 0) return;
    for (const m of change.joined) {
      this.o.poolCounters.clear(m.slot);
      this.o.scheduleCells?.clear(m.slot);
    }
    await this.describe(change.joined);
    await this.write(change.joined.map((m) => record(m, 'joined', at)));
    await target.add(change.joined.map((m) => m.assignment));
    for (const m of change.joined) log.info({ pool: m.poolId, source: m.source }, `pool joined the set (${m.source})`);
  }

  /** The joining pools' metadata: from the lists that named them, else fetched by address. */
  private async describe(joined: readonly Member[]): Promise<void> {
    if (this.o.options.poolMetadata === false) return;
    const pools = joined.map((m) => this.known.get(m.address)).filter((p): p is PoolRecord => p !== undefined);
    const missing = joined.filter((m) => !this.known.has(m.address)).map((m) => m.address);
    const fetched =
      missing.length > 0 ? await fetchPoolMetadata(this.o.client, this.o.network, missing, this.o.log) : undefined;
    const dexIds = new Set([...pools, ...(fetched?.pools ?? [])].map((p) => p.dexId));
    await this.o.db.writeMetadata({
      pools: [...pools, ...(fetched?.pools ?? [])],
      dexes: [...this.dexes.filter((d) => dexIds.has(d.id)), ...(fetched?.dexes ?? [])],
    });
  }

  private async write(records: MembershipRecord[]): Promise<void> {
    try {
      await this.o.db.writeMembership(records);
    } catch (err) {
      this.o.log.warn({ err, pools: records.length }, 'pool membership not recorded');
    }
  }
}

function record(m: Member, event: MembershipRecord['event'], at: string): MembershipRecord {
  return { poolId: m.poolId, event, source: m.source, at };
}

/** The pool id of an address of `network` (`{network}_{address}`). */
export function poolIdFor(network: string): (address: string) => string {
  return (address) => poolIdOf(network, address);
}
