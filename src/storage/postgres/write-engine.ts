// The PostgreSQL side of the writer thread (storage/write-engine.ts): this process's only write connection to the
// server, migrated and its cursors repaired at open. A group goes in optimistically, without savepoints (its rows
// were checked already); a row the server refuses anyway rolls the group back, and it is written again with a
// savepoint per batch, the bad row found by bisection and rejected with its reason. A lost connection is dropped
// and reopened before the next group.

import type pg from 'pg';
import type { Logger } from 'pino';
import { osThreadId } from '../../common/os-thread-id.ts';
import { StateError } from '../../errors.ts';
import type { PostgresWriterFigures, SerializedWriteError, WriterOpenInfo } from '../../protocol/messages.ts';
import type { PostgresSettings, WriterSettings } from '../../protocol/writer-settings.ts';
import { latestAcceptedTime, TRADE_FIELDS } from '../../trades/trade-validation.ts';
import { logRepairedCursors, type RepairedCursor, repairCursors } from '../cursor-repair.ts';
import type { GroupEntry, WriteEngine, WriteFailure } from '../write-engine.ts';
import { connectPgOrFail, pgServerVersion } from './connection.ts';
import { pgCursorStore } from './cursor-repair.ts';
import { classifyPgError, sqlStateOf } from './errors.ts';
import {
  type BatchContext,
  copyGroup,
  isBadRecord,
  noteConflicts,
  type PgGroupEntry,
  reasonOf,
  writeBatch,
  writeRecords,
} from './group-records.ts';
import { migratePostgres, PG_SCHEMA_VERSION } from './schema-migrations.ts';
import { ENSURE_PLACEHOLDER_DEXES, ENSURE_POOLS } from './trade-statements.ts';

export interface PgEngineOptions {
  /** Set when pools are shared through leases: cursor moves are fenced by this holder's lease epoch. */
  leaseHolder?: string | undefined;
  maxClockSkewMs: number;
  /** The server's synchronous_commit and our lock_timeout, for the figures. */
  synchronousCommit: string;
  lockTimeoutMs: number;
}

export class PgWriteEngine implements WriteEngine {
  /** Batches per transaction at most: enough to amortize the COMMIT, few enough that one group stays short. */
  readonly maxGroupBatches = 64;
  readonly retryBackoff = { baseMs: 50, maxMs: 2000 };
  private client: pg.Client | undefined;
  /** Set by the client's 'error' listener: the connection died while idle, drop it before the next group. */
  private broken = false;
  /** Pool ids known to have a pools row (committed): their trades need no stub first. */
  private readonly knownPools = new Set<string>();
  private readonly own = { reconnects: 0, fencedCursors: 0, copyGroups: 0, carefulRetries: 0 };
  private readonly batchContext: BatchContext;

  constructor(
    private readonly connect: () => Promise<pg.Client>,
    private readonly options: PgEngineOptions,
    private readonly log: Logger,
    readonly info: WriterOpenInfo,
  ) {
    this.batchContext = {
      leaseHolder: options.leaseHolder,
      maxClockSkewMs: options.maxClockSkewMs,
      log,
      counters: this.own,
      copy: { stagedGroupsLeft: 0 },
    };
  }

  /** Adopts an open connection (the one the engine migrated with), so the first group needs no connect. */
  adopt(client: pg.Client): void {
    this.client = client;
    this.broken = false;
  }

  /** The connection's 'error' listener calls this: the next group reconnects. */
  connectionLost(err: Error): void {
    this.broken = true;
    this.log.warn({ err: err.message }, 'PostgreSQL connection lost; reconnecting before the next transaction');
  }

  async writeGroup(group: GroupEntry[]): Promise<void> {
    const client = await this.connection();
    const entries: PgGroupEntry[] = group.map((e) => ({ ...e, serverRejects: 0, checked: e.out.rejected.length }));
    const newPools = this.unknownPools(entries);
    for (let careful = false; ; careful = true) {
      try {
        await this.write(client, entries, newPools, careful);
        break;
      } catch (err) {
        if (!careful && isBadRecord(err) && classifyPgError(err) !== 'reconnect') {
          this.own.carefulRetries++;
          await client.query('ROLLBACK').catch(() => this.dropConnection());
          for (const e of entries) {
            e.out.inserted = 0;
            e.out.duplicates = 0;
            e.out.rejected.length = e.checked;
            delete e.out.conflicts;
            e.serverRejects = 0;
          }
          continue;
        }
        // After a lost connection (or a COMMIT whose outcome is unknown) the client is dropped; a resend is
        // harmless: trades are keyed by id, gaps are unique, cursors only move forward.
        if (classifyPgError(err) === 'reconnect') this.dropConnection();
        else await client.query('ROLLBACK').catch(() => this.dropConnection());
        throw err;
      }
    }
    for (const id of newPools) this.knownPools.add(id);
  }

  failure(err: unknown): WriteFailure {
    const state = sqlStateOf(err);
    const kind = classifyPgError(err);
    const error: SerializedWriteError = {
      code: kind === 'retry' && (state === '55P03' || state === '40P01') ? 'DATABASE_LOCKED' : 'WRITE_FAILED',
      ...(state ? { pgCode: state } : {}),
      message: `PostgreSQL: ${reasonOf(err)} (${kind})`,
    };
    return { kind: kind === 'retry' ? 'retry' : 'fail', error };
  }

  figures(): PostgresWriterFigures {
    return {
      engine: 'postgres',
      synchronousCommit: this.options.synchronousCommit,
      lockTimeoutMs: this.options.lockTimeoutMs,
      ...this.own,
    };
  }

  async close(): Promise<void> {
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  private async write(c: pg.Client, entries: PgGroupEntry[], newPools: string[], careful: boolean): Promise<void> {
    await c.query('BEGIN');
    if (newPools.length > 0) {
      await c.query({ ...ENSURE_PLACEHOLDER_DEXES, values: [newPools] });
      await c.query({ ...ENSURE_POOLS, values: [newPools] });
    }
    // The COPY path finds its own conflicts; the per-batch paths compare each batch that had duplicates.
    if (careful || !(await copyGroup(this.batchContext, c, entries))) {
      for (const e of entries) {
        if (careful) await writeBatch(this.batchContext, c, e);
        else await writeRecords(this.batchContext, c, e, false);
      }
      for (const e of entries) await noteConflicts(c, e);
    }
    await c.query('COMMIT');
  }

  private async connection(): Promise<pg.Client> {
    if (this.client && !this.broken) return this.client;
    this.dropConnection();
    const client = await this.connect();
    this.own.reconnects++;
    this.client = client;
    this.broken = false;
    this.log.info('PostgreSQL writer connection (re)opened');
    return client;
  }

  private dropConnection(): void {
    const old = this.client;
    this.client = undefined;
    this.broken = false;
    void old?.end().catch(() => undefined);
  }

  /** Pool ids the group refers to that may have no pools row yet (trades would fail their foreign key). */
  private unknownPools(entries: PgGroupEntry[]): string[] {
    const found = new Set<string>();
    const note = (id: unknown) => {
      if (typeof id === 'string' && id !== '' && !this.knownPools.has(id)) found.add(id);
    };
    for (const e of entries) {
      for (let at = 1; at < e.flat.length; at += TRADE_FIELDS) note(e.flat[at]);
      for (const c of e.q.batch.cursors ?? []) note(c?.poolId);
      for (const g of e.q.batch.gaps ?? []) note(g?.poolId);
      // Pools the batch describes itself need no stub, but their dexes must come first: the batch does that.
      for (const p of e.q.batch.pools ?? []) if (typeof p?.id === 'string') found.delete(p.id);
    }
    return [...found];
  }
}

function pgOf(s: WriterSettings): PostgresSettings {
  if (!s.postgres) throw new StateError('the PostgreSQL writer needs PostgreSQL settings');
  return s.postgres;
}

/** Connects as the writer, migrates, repairs cursors. */
export async function openPgWriteEngine(s: WriterSettings, log: Logger): Promise<PgWriteEngine> {
  const pg = pgOf(s);
  let engine: PgWriteEngine | undefined;
  // busyTimeoutMs is SQLite's wait for another program's lock; on the server the same wait is lock_timeout.
  const connect = () =>
    connectPgOrFail(pg, {
      purpose: 'writer',
      lockTimeoutMs: s.busyTimeoutMs,
      onError: (err) => engine?.connectionLost(err),
    });
  const client = await connect();
  let migrationsApplied: number[];
  let serverVersion: string;
  let repaired: RepairedCursor[];
  let synchronousCommit: string;
  try {
    migrationsApplied = await migratePostgres(client, pg.schema);
    repaired = await repairCursors(pgCursorStore(client), latestAcceptedTime(s.maxClockSkewMs));
    serverVersion = await pgServerVersion(client);
    const { rows } = await client.query<{ sc: string }>(`SELECT current_setting('synchronous_commit') AS sc`);
    synchronousCommit = rows[0]?.sc ?? 'on';
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  engine = new PgWriteEngine(
    connect,
    {
      leaseHolder: pg.leaseHolder,
      maxClockSkewMs: s.maxClockSkewMs,
      synchronousCommit,
      lockTimeoutMs: s.busyTimeoutMs,
    },
    log,
    {
      engine: 'postgres',
      journalMode: 'server',
      userVersion: PG_SCHEMA_VERSION,
      schemaFlavor: 'postgres-numeric',
      sqliteVersion: serverVersion,
      serverVersion,
      migrationsApplied,
      cursorsRepaired: repaired.length,
      osThreadId: osThreadId(),
    },
  );
  engine.adopt(client);
  logRepairedCursors(log, repaired);
  log.info({ server: pg.display, schema: pg.schema, serverVersion, migrationsApplied }, 'writer open');
  return engine;
}
