// Pool leases: how several collector processes (on one host or many) share one pool set through the database,
// with no coordinator of their own. Each process runs one short heartbeat transaction per tick on a connection
// of its own (never the writer's; it writes only the lease tables): it registers itself, renews its leases,
// gives back what is above its fair share, and claims free or expired leases with SKIP LOCKED. Only the
// server's clock is used, so hosts' clocks are never compared. A process works on a pool only until its local
// deadline (tick start + TTL), which is never later than the server's expiry: one that stops renewing (dead,
// frozen, cut off) stops polling before anyone else can claim the pool. A pool above the fair share is handed
// back in two steps: the heartbeat names it surplus (and keeps renewing it), and release() gives it up once the
// caller's collectors no longer poll it.

import os from 'node:os';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { PostgresSettings } from '../../protocol/writer-settings.ts';
import { connectPg } from './connection.ts';

export interface LeaseOptions {
  /** Lease length (ms): a dead process's pools are taken over within about this long. */
  ttlMs: number;
  /** Time between heartbeats (ms); default ttl/4. */
  heartbeatMs?: number;
  /** This process's holder id: stable for its spool slot, so a restarted process keeps what it held. */
  holder: string;
  /** The pool ids this process may collect (its pool list). */
  poolIds: readonly string[];
}

/** A pool this process holds now: work on it only while `performance.now() < deadline`. */
export interface HeldLease {
  poolId: string;
  epoch: number;
  deadline: number;
}

const SQL = {
  register: `INSERT INTO collector_instances (holder, host, pid, expires_at) VALUES ($1, $2, $3, now() + $4::int * interval '1 millisecond')
ON CONFLICT (holder) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, heartbeat_at = now(),
  expires_at = EXCLUDED.expires_at,
  started_at = CASE WHEN collector_instances.pid = EXCLUDED.pid THEN collector_instances.started_at ELSE now() END`,
  ensure: `INSERT INTO pool_leases (pool_id) SELECT unnest($1::text[]) ON CONFLICT (pool_id) DO NOTHING`,
  live: `SELECT count(*)::int AS n FROM collector_instances WHERE expires_at > now()`,
  renew: `UPDATE pool_leases SET renewed_at = now(), expires_at = now() + $2::int * interval '1 millisecond'
WHERE holder = $1 AND expires_at > now() RETURNING pool_id, epoch`,
  release: `UPDATE pool_leases SET holder = NULL, expires_at = '-infinity' WHERE holder = $1 AND pool_id = ANY($2::text[])`,
  claim: `WITH free AS (
  SELECT pool_id FROM pool_leases WHERE pool_id = ANY($4::text[]) AND expires_at <= now()
  ORDER BY pool_id FOR UPDATE SKIP LOCKED LIMIT $2)
UPDATE pool_leases l SET holder = $1, acquired_at = now(), renewed_at = now(),
  expires_at = now() + $3::int * interval '1 millisecond', epoch = l.epoch + 1
FROM free WHERE l.pool_id = free.pool_id RETURNING l.pool_id, l.epoch`,
  releaseAll: `UPDATE pool_leases SET holder = NULL, expires_at = '-infinity' WHERE holder = $1`,
  unregister: `DELETE FROM collector_instances WHERE holder = $1`,
};

export interface TickResult {
  held: HeldLease[];
  /** Pools above the fair share: stop working on them, then release() them (renewed until then). */
  surplus: string[];
  target: number;
  liveProcesses: number;
}

export class PoolLeases {
  private held = new Map<string, HeldLease>();
  private client: pg.Client | undefined;
  private broken = false;
  private ensured = false;
  /** Surplus pools being handed back: renewed, no longer held for work, until release(). */
  private readonly giving = new Set<string>();
  /** The lease connection runs one heartbeat or release at a time (a release must not land inside a tick). */
  private serial: Promise<unknown> = Promise.resolve();
  /** The pools this process may collect: the run's pool set, which may change (setPoolIds). */
  private poolIds: readonly string[];

  constructor(
    private readonly settings: PostgresSettings,
    private readonly options: LeaseOptions,
    private readonly log: Logger,
  ) {
    this.poolIds = options.poolIds;
  }

  /**
   * The run's pool set changed: from the next heartbeat, claims and the fair share count only these pools (rows
   * for new ones are added then). Leases of pools that left are still renewed until release() gives them up.
   */
  setPoolIds(poolIds: readonly string[]): void {
    this.poolIds = [...poolIds];
    this.ensured = false;
  }

  get holder(): string {
    return this.options.holder;
  }

  get ttlMs(): number {
    return this.options.ttlMs;
  }

  get heartbeatMs(): number {
    return this.options.heartbeatMs ?? Math.max(50, Math.floor(this.options.ttlMs / 4));
  }

  /** Pools held now (local deadlines not passed). */
  current(): HeldLease[] {
    const now = performance.now();
    return [...this.held.values()].filter((h) => h.deadline > now);
  }

  /**
   * One heartbeat: register, renew, name the surplus (for release()), claim up to the fair share. Rejects when
   * the database cannot be reached; the leases held then simply lapse at their local deadlines.
   */
  tick(): Promise<TickResult> {
    return this.inTurn(() => this.heartbeat());
  }

  /** Gives up leases the last heartbeat named surplus (once nothing polls them any more). */
  release(poolIds: readonly string[]): Promise<void> {
    return this.inTurn(async () => {
      try {
        const c = await this.connection();
        await c.query(SQL.release, [this.options.holder, poolIds]);
      } finally {
        // Released, or (failed) held again like any other lease until the next heartbeat decides.
        for (const p of poolIds) this.giving.delete(p);
      }
    });
  }

  private inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.serial.then(fn, fn);
    this.serial = run.catch(() => undefined);
    return run;
  }

  private async heartbeat(): Promise<TickResult> {
    const t0 = performance.now();
    const { ttlMs, holder } = this.options;
    const { poolIds } = this;
    const c = await this.connection();
    await c.query('BEGIN');
    try {
      await c.query(SQL.register, [holder, os.hostname(), process.pid, ttlMs]);
      if (!this.ensured) await c.query(SQL.ensure, [poolIds]);
      const live = (await c.query<{ n: number }>(SQL.live)).rows[0]?.n ?? 1;
      const target = Math.ceil(poolIds.length / Math.max(1, live));
      const renewed = (await c.query<{ pool_id: string; epoch: string }>(SQL.renew, [holder, ttlMs])).rows;
      const stillGiving = new Set(renewed.map((r) => r.pool_id).filter((p) => this.giving.has(p)));
      let keep = renewed.filter((r) => !stillGiving.has(r.pool_id));
      // Above the fair share (a process joined): the surplus is renewed until the caller's collectors have
      // stopped polling it and release() gives it up; it is not held for work from now on.
      const surplus = keep.slice(target).map((r) => r.pool_id);
      keep = keep.slice(0, target);
      const claimed =
        keep.length < target
          ? (
              await c.query<{ pool_id: string; epoch: string }>(SQL.claim, [
                holder,
                target - keep.length,
                ttlMs,
                poolIds,
              ])
            ).rows
          : [];
      await c.query('COMMIT');
      this.ensured = true;
      const next = new Map<string, HeldLease>();
      for (const r of [...keep, ...claimed])
        next.set(r.pool_id, { poolId: r.pool_id, epoch: Number(r.epoch), deadline: t0 + ttlMs });
      this.held = next;
      // A pool lost meanwhile (not renewed) needs no release.
      for (const p of this.giving) if (!stillGiving.has(p)) this.giving.delete(p);
      for (const p of surplus) this.giving.add(p);
      return { held: [...next.values()], surplus, target, liveProcesses: live };
    } catch (err) {
      await c.query('ROLLBACK').catch(() => this.drop());
      this.drop();
      throw err;
    }
  }

  /** Gives back every lease and unregisters (a clean stop: others take the pools at their next heartbeat). */
  releaseAll(): Promise<void> {
    return this.inTurn(async () => {
      this.held.clear();
      this.giving.clear();
      try {
        const c = await this.connection();
        await c.query(SQL.releaseAll, [this.options.holder]);
        await c.query(SQL.unregister, [this.options.holder]);
      } catch (err) {
        this.log.warn({ err }, 'could not release the pool leases; they expire by themselves');
      }
    });
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  private async connection(): Promise<pg.Client> {
    if (this.client && !this.broken) return this.client;
    this.drop();
    this.client = await connectPg(this.settings, {
      purpose: 'leases',
      statementTimeoutMs: this.options.ttlMs,
      lockTimeoutMs: Math.max(100, Math.floor(this.options.ttlMs / 4)),
      // A process frozen inside a heartbeat must not keep row locks that SKIP LOCKED would skip for ever.
      idleInTransactionTimeoutMs: this.options.ttlMs,
      onError: () => {
        this.broken = true;
      },
    });
    this.broken = false;
    return this.client;
  }

  private drop(): void {
    const c = this.client;
    this.client = undefined;
    this.broken = false;
    void c?.end().catch(() => undefined);
  }
}

/** Who holds which pool and since when: what `doctor` shows. */
export const LEASE_REPORT_SQL = `SELECT l.holder, i.host, i.pid, count(*)::int AS pools,
  min(l.acquired_at) AS holding_since, max(l.renewed_at) AS last_renewal, min(l.expires_at) AS first_expiry,
  i.heartbeat_at
FROM pool_leases l LEFT JOIN collector_instances i USING (holder)
WHERE l.holder IS NOT NULL AND l.expires_at > now()
GROUP BY l.holder, i.host, i.pid, i.heartbeat_at ORDER BY l.holder`;
