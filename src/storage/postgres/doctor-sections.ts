// doctor's sections on PostgreSQL: the server and schema version, every table's rows and size, the same per-pool
// and gap report as on SQLite, which process holds which pool's lease and since when. Read on one read-only
// session, in one snapshot (REPEATABLE READ), so the figures agree with each other. src/doctor/database-report.ts
// adds the spool and last-run files a run on this host left in the working directory.

import type { PostgresSettings } from '../../protocol/writer-settings.ts';
import { DEFAULT_MAX_CLOCK_SKEW_MS, latestAcceptedTime } from '../../trades/trade-validation.ts';
import {
  type BadCursor,
  type DoctorSectionsOptions,
  type GapReport,
  type GapsReport,
  MEMBERSHIP_LIMIT,
  type MembershipReport,
  type PoolReport,
} from '../doctor-sections.ts';
import { connectPgOrFail, pgServerVersion } from './connection.ts';
import { PG_BAD_CURSORS_SQL } from './cursor-repair.ts';
import { LEASE_REPORT_SQL } from './leases.ts';
import { addPoolCoverage, COVERAGE_SCHEMA_VERSION } from './pool-coverage.ts';
import { appliedSchemaVersion, PG_SCHEMA_VERSION } from './schema-migrations.ts';
import { storedText } from './trade-statements.ts';

export interface PgTableReport {
  name: string;
  rows: number;
  /** Table, indexes and TOAST (pg_total_relation_size). */
  bytes: number;
}

/** A pool's lease: who may poll it now, and since when. */
export interface PoolLeaseReport {
  poolId: string;
  holder: string | null;
  host: string | null;
  pid: number | null;
  since: string | null;
  expiresAt: string | null;
  epoch: number;
  /** The holder renewed it in time: it is held now. */
  live: boolean;
}

export interface LeaseHolderReport {
  holder: string;
  host: string | null;
  pid: number | null;
  pools: number;
  holdingSince: string;
  lastRenewal: string;
  heartbeatAt: string | null;
}

/** What a PostgreSQL store tells doctor about itself. */
export interface PgSections {
  engine: 'postgres';
  server: string;
  generatedAt: string;
  serverVersion: string;
  schema: string;
  schemaVersion: number;
  buildSchemaVersion: number;
  synchronousCommit: string;
  tables: PgTableReport[];
  pools: (PoolReport & { lease: PoolLeaseReport | null })[];
  gaps: GapsReport;
  holders: LeaseHolderReport[];
  /** When pools joined and left the pool set, latest change first; [] without the table. */
  membership: MembershipReport[];
  /** Cursors in the future or on a trade that is not stored (cursor-report.ts); a collect or import repairs them. */
  badCursors: BadCursor[];
  notes: string[];
}

const TABLES = [
  'dexes',
  'pools',
  'trades',
  'watchlist',
  'collection_state',
  'collection_gaps',
  'pool_leases',
  'collector_instances',
  'schema_migrations',
];

function iso(v: unknown): string | null {
  return v instanceof Date ? v.toISOString() : v === null || v === undefined ? null : String(v);
}

export async function pgDoctorSections(
  settings: PostgresSettings,
  options: DoctorSectionsOptions = {},
): Promise<PgSections> {
  const gapLimit = options.gapLimit ?? 10;
  const c = await connectPgOrFail(settings, { purpose: 'doctor', readOnly: true });
  const notes: string[] = [];
  try {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const serverVersion = await pgServerVersion(c);
    const head = (
      await c.query<{ schema: string; sc: string }>(
        `SELECT current_schema() AS schema, current_setting('synchronous_commit') AS sc`,
      )
    ).rows[0]!;
    const schemaVersion = await appliedSchemaVersion(c);
    if (schemaVersion === 0) notes.push('no gecko-collector tables here yet: the first collect or import creates them');
    else if (schemaVersion < PG_SCHEMA_VERSION)
      notes.push(`schema version ${schemaVersion} < ${PG_SCHEMA_VERSION}: the next collect or import migrates it`);
    const present = new Set(
      (
        await c.query<{ t: string }>(
          `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema()`,
        )
      ).rows.map((r) => r.t),
    );
    const tables: PgTableReport[] = [];
    for (const name of TABLES.filter((t) => present.has(t))) {
      const r = await c.query<{ n: number; b: string }>(
        `SELECT (SELECT count(*)::int FROM ${name}) AS n, pg_total_relation_size(to_regclass($1))::text AS b`,
        [name],
      );
      tables.push({ name, rows: r.rows[0]!.n, bytes: Number(r.rows[0]!.b) });
    }
    const pools = new Map<string, PoolReport & { lease: PoolLeaseReport | null }>();
    const pool = (poolId: string) => {
      let p = pools.get(poolId);
      if (!p) {
        p = { poolId, cursor: null, lastTradeTimestamp: null, tradeCount: 0, gapCount: 0, lease: null };
        pools.set(poolId, p);
      }
      return p;
    };
    const gaps: GapsReport = { count: 0, latest: [] };
    const holders: LeaseHolderReport[] = [];
    const badCursors: BadCursor[] =
      present.has('collection_state') && present.has('trades')
        ? (
            await c.query<{
              poolId: string;
              id: string | null;
              timestamp: string | null;
              reason: BadCursor['problem'];
            }>(PG_BAD_CURSORS_SQL, [latestAcceptedTime(DEFAULT_MAX_CLOCK_SKEW_MS)])
          ).rows.map((r) => ({
            poolId: r.poolId,
            lastTradeId: r.id,
            lastTradeTimestamp: r.timestamp,
            problem: r.reason,
          }))
        : [];
    if (schemaVersion > 0) {
      for (const r of (
        await c.query<{ pool_id: string; n: number; last: string | null }>(
          `SELECT pool_id, count(*)::int AS n, ${storedText('max(block_timestamp)')} AS last FROM trades GROUP BY pool_id`,
        )
      ).rows) {
        const p = pool(r.pool_id);
        p.tradeCount = r.n;
        p.lastTradeTimestamp = r.last;
      }
      for (const r of (
        await c.query<{
          pool_id: string;
          id: string | null;
          ts: string | null;
          polled: string | null;
          upd: string | null;
        }>(
          `SELECT pool_id, last_trade_id AS id, ${storedText('last_trade_timestamp')} AS ts,
                  ${storedText('last_polled_at')} AS polled, ${storedText('updated_at')} AS upd FROM collection_state`,
        )
      ).rows) {
        pool(r.pool_id).cursor = {
          lastTradeId: r.id,
          lastTradeTimestamp: r.ts,
          lastPolledAt: r.polled,
          updatedAt: r.upd,
        };
      }
      for (const r of (
        await c.query<{ pool_id: string; n: number }>(
          'SELECT pool_id, count(*)::int AS n FROM collection_gaps GROUP BY pool_id',
        )
      ).rows)
        pool(r.pool_id).gapCount = r.n;
      gaps.count = tables.find((t) => t.name === 'collection_gaps')?.rows ?? 0;
      gaps.latest = (
        await c.query<GapReport>(
          `SELECT id::int AS id, pool_id AS "poolId", ${storedText('gap_start')} AS "gapStart",
                  ${storedText('gap_end')} AS "gapEnd", ${storedText('detected_at')} AS "detectedAt",
                  trades_in_response AS "tradesInResponse"${schemaVersion >= 4 ? `, ${storedText('filled_at')} AS "filledAt"` : ''}
           FROM collection_gaps ORDER BY detected_at DESC, id DESC LIMIT $1`,
          [gapLimit],
        )
      ).rows;
      if (schemaVersion >= 4)
        gaps.open = (
          await c.query<{ n: number }>('SELECT count(*)::int AS n FROM collection_gaps WHERE filled_at IS NULL')
        ).rows[0]!.n;
      if (schemaVersion >= 2) {
        for (const r of (
          await c.query<{
            pool_id: string;
            holder: string | null;
            host: string | null;
            pid: number | null;
            acquired_at: Date | null;
            expires_at: Date | number | null;
            epoch: string;
            live: boolean;
          }>(
            `SELECT l.pool_id, l.holder, i.host, i.pid, l.acquired_at, l.expires_at, l.epoch, l.expires_at > now() AS live
             FROM pool_leases l LEFT JOIN collector_instances i USING (holder)`,
          )
        ).rows) {
          pool(r.pool_id).lease = {
            poolId: r.pool_id,
            holder: r.live ? r.holder : null,
            host: r.live ? r.host : null,
            pid: r.live ? r.pid : null,
            since: r.live ? iso(r.acquired_at) : null,
            expiresAt: r.live ? iso(r.expires_at) : null,
            epoch: Number(r.epoch),
            live: r.live,
          };
        }
        for (const r of (
          await c.query<{
            holder: string;
            host: string | null;
            pid: number | null;
            pools: number;
            holding_since: Date;
            last_renewal: Date;
            heartbeat_at: Date | null;
          }>(LEASE_REPORT_SQL)
        ).rows)
          holders.push({
            holder: r.holder,
            host: r.host,
            pid: r.pid,
            pools: r.pools,
            holdingSince: iso(r.holding_since)!,
            lastRenewal: iso(r.last_renewal)!,
            heartbeatAt: iso(r.heartbeat_at),
          });
      }
    }
    if (schemaVersion >= COVERAGE_SCHEMA_VERSION) await addPoolCoverage(c, [...pools.values()]);
    const membership = present.has('pool_membership')
      ? (
          await c.query<MembershipReport>(
            `SELECT pool_id AS "poolId", source, ${storedText('joined_at')} AS "joinedAt",
                    ${storedText('left_at')} AS "leftAt"
             FROM pool_membership ORDER BY greatest(joined_at, left_at) DESC, pool_id LIMIT $1`,
            [MEMBERSHIP_LIMIT],
          )
        ).rows
      : [];
    await c.query('COMMIT');
    return {
      engine: 'postgres',
      server: settings.display,
      generatedAt: new Date().toISOString(),
      serverVersion,
      schema: head.schema,
      schemaVersion,
      buildSchemaVersion: PG_SCHEMA_VERSION,
      synchronousCommit: head.sc,
      tables,
      pools: [...pools.values()].sort((a, b) => (a.poolId < b.poolId ? -1 : a.poolId > b.poolId ? 1 : 0)),
      gaps,
      holders,
      membership,
      badCursors,
      notes,
    };
  } finally {
    await c.end().catch(() => undefined);
  }
}
