// How the PostgreSQL writer writes one group's batches inside its transaction: every batch's records in order
// (dexes, pools, trades, gaps, cursors), optimistically in one go, or carefully, each batch under its own
// savepoint with bad rows found by bisection and rejected with their reason; and the COPY path for a group of
// COPY_MIN_ROWS trades or more. The transaction itself (BEGIN, COMMIT) is write-engine.ts's.

import type pg from 'pg';
import type { Logger } from 'pino';
import { latestAcceptedTime, TRADE_FIELDS } from '../../trades/trade-validation.ts';
import type { BatchOutcome, GroupEntry } from '../write-engine.ts';
import { type CopyState, copyTrades } from './copy-trades.ts';
import { classifyPgError, sqlStateOf } from './errors.ts';
import { candleValues, gapFillStatement, INSERT_RECONCILE, reconcileValues, UPSERT_CANDLE } from './fill-statements.ts';
import { findTradeConflicts } from './trade-conflicts.ts';
import {
  cursorValues,
  dexValues,
  gapValues,
  INSERT_GAP,
  INSERT_TRADES,
  membershipQuery,
  poolValues,
  tradeArrays,
  UPSERT_CURSOR,
  UPSERT_DEX,
  UPSERT_POOL,
} from './trade-statements.ts';

/** What the batch writers need from the engine. */
export interface BatchContext {
  leaseHolder: string | undefined;
  /** See WriterSettings.maxClockSkewMs: cursors never move past it. */
  maxClockSkewMs: number;
  log: Logger;
  counters: { fencedCursors: number; copyGroups: number };
  /** The COPY path's state across groups (copy-trades.ts). */
  copy: CopyState;
}

/** A batch of the group in flight, with what the server refused of it. */
export interface PgGroupEntry extends GroupEntry {
  /** Trade rows of `flat` the server refused (found by bisection). */
  serverRejects: number;
  /** How many of out.rejected the row checks rejected before any statement ran. */
  checked: number;
}

/** Below this many trade rows a group is written batch by batch (one INSERT … FROM unnest each), not by COPY. */
export const COPY_MIN_ROWS = 1000;

export function isBadRecord(err: unknown): boolean {
  return err instanceof TypeError || err instanceof RangeError || classifyPgError(err) === 'bad_row';
}

export function reasonOf(err: unknown): string {
  const state = sqlStateOf(err);
  const message = err instanceof Error ? err.message : String(err);
  return state ? `${message} [${state}]` : message;
}

/**
 * The COPY path: the group's leading records batch by batch (dexes, pools, memberships, which trades may refer
 * to), then every batch's trades in one COPY, then the rest batch by batch (gaps, cursors and their guard, fills):
 * all in the caller's transaction, conflicts included. False when the group has too few trade rows for it.
 */
export async function copyGroup(ctx: BatchContext, c: pg.Client, entries: PgGroupEntry[]): Promise<boolean> {
  let rows = 0;
  for (const e of entries) rows += e.flat.length / TRADE_FIELDS;
  if (rows < COPY_MIN_ROWS) return false;
  for (const e of entries) await writeLeading(c, e, direct);
  // A row the server refuses fails the COPY and the group: the engine writes it again, batch by batch.
  const { inserted, conflicts } = await copyTrades(c, entries, ctx.copy);
  entries.forEach((e, i) => {
    e.out.inserted = inserted[i]!;
    e.out.duplicates = e.flat.length / TRADE_FIELDS - inserted[i]!;
    if (conflicts[i]!.length > 0) e.out.conflicts = conflicts[i]!;
  });
  for (const e of entries) await writeTrailing(ctx, c, e, direct);
  ctx.counters.copyGroups++;
  return true;
}

/** One batch under its own savepoint; a bad record rolls the batch back and it is written again record by record. */
export async function writeBatch(ctx: BatchContext, c: pg.Client, e: PgGroupEntry): Promise<void> {
  await c.query('SAVEPOINT batch');
  const rejectedBefore = e.out.rejected.length;
  try {
    await writeRecords(ctx, c, e, false);
  } catch (err) {
    if (!isBadRecord(err)) throw err;
    await c.query('ROLLBACK TO SAVEPOINT batch');
    e.out.inserted = 0;
    e.out.duplicates = 0;
    e.out.rejected.length = rejectedBefore;
    e.serverRejects = 0;
    await writeRecords(ctx, c, e, true);
  }
  await c.query('RELEASE SAVEPOINT batch');
}

/** How a record's statement runs: directly, or under its own savepoint (guarded). */
type RunRecord = (id: unknown, index: number, run: () => Promise<unknown>) => Promise<unknown>;

const direct: RunRecord = (_id, _index, run) => run();

export async function writeRecords(ctx: BatchContext, c: pg.Client, e: PgGroupEntry, careful: boolean): Promise<void> {
  const one: RunRecord = careful ? (id, index, run) => guarded(c, e.out, id, index, run) : direct;
  await writeLeading(c, e, one);
  const valid = e.flat.length / TRADE_FIELDS;
  if (valid > 0) {
    const offsets = Array.from({ length: valid }, (_, i) => i * TRADE_FIELDS);
    const inserted = careful ? await bisect(ctx, c, e, offsets) : await insertTrades(c, e, offsets);
    e.out.inserted += inserted;
  }
  e.out.duplicates = Math.max(0, valid - e.out.inserted - e.serverRejects);
  await writeTrailing(ctx, c, e, one);
}

/** The records a batch's trades may refer to: dexes, pools, memberships. */
async function writeLeading(c: pg.Client, e: PgGroupEntry, one: RunRecord): Promise<void> {
  const { batch } = e.q;
  const dexes = batch.dexes ?? [];
  for (let i = 0; i < dexes.length; i++)
    await one(dexes[i]?.id, i, () => c.query({ ...UPSERT_DEX, values: dexValues(dexes[i]!) }));
  const pools = batch.pools ?? [];
  for (let i = 0; i < pools.length; i++)
    await one(pools[i]?.id, i, () => c.query({ ...UPSERT_POOL, values: poolValues(pools[i]!) }));
  const memberships = batch.memberships ?? [];
  for (let i = 0; i < memberships.length; i++)
    await one(memberships[i]?.poolId, i, () => c.query(membershipQuery(memberships[i]!)));
}

/** The records written after a batch's trades: gaps, cursors (which point to stored trades), fills. */
async function writeTrailing(ctx: BatchContext, c: pg.Client, e: PgGroupEntry, one: RunRecord): Promise<void> {
  const { batch } = e.q;
  const gaps = batch.gaps ?? [];
  for (let i = 0; i < gaps.length; i++)
    await one(gaps[i]?.poolId, i, () => c.query({ ...INSERT_GAP, values: gapValues(gaps[i]!) }));
  const cursors = batch.cursors ?? [];
  const latest = latestAcceptedTime(ctx.maxClockSkewMs);
  for (let i = 0; i < cursors.length; i++) {
    const cursor = cursors[i]!;
    await one(cursor?.poolId, i, async () => {
      const r = await c.query({ ...UPSERT_CURSOR, values: cursorValues(cursor, ctx.leaseHolder, latest) });
      if (r.rowCount === 0) {
        ctx.counters.fencedCursors++;
        ctx.log.debug(
          { poolId: cursor.poolId, epoch: cursor.leaseEpoch },
          'cursor not moved: lease no longer held, or no stored trade to point to',
        );
      }
    });
  }
  const fills = batch.gapFills ?? [];
  for (let i = 0; i < fills.length; i++) await one(fills[i]?.poolId, i, () => c.query(gapFillStatement(fills[i]!)));
  const candles = batch.candles ?? [];
  for (let i = 0; i < candles.length; i++)
    await one(candles[i]?.poolId, i, () => c.query({ ...UPSERT_CANDLE, values: candleValues(candles[i]!) }));
  const reconciles = batch.reconciles ?? [];
  for (let i = 0; i < reconciles.length; i++)
    await one(reconciles[i]?.poolId, i, () =>
      c.query({ ...INSERT_RECONCILE, values: reconcileValues(reconciles[i]!) }),
    );
}

/**
 * The batch's conflicts (duplicates stored with other contents) into its outcome, once its trades are in: only
 * when it had duplicates, and never for a row the server refused.
 */
export async function noteConflicts(c: pg.Client, e: PgGroupEntry): Promise<void> {
  if (e.out.duplicates === 0) return;
  const refused = new Set(e.out.rejected.slice(e.checked).map((r) => r.id));
  const offsets: number[] = [];
  for (let at = 0; at < e.flat.length; at += TRADE_FIELDS) if (!refused.has(e.flat[at] as string)) offsets.push(at);
  const found = await findTradeConflicts(c, e.flat, offsets);
  if (found.length > 0) e.out.conflicts = found;
}

export async function insertTrades(c: pg.Client, e: PgGroupEntry, offsets: number[]): Promise<number> {
  const r = await c.query({ ...INSERT_TRADES, values: tradeArrays(e.flat, offsets, e.createdAt) });
  return r.rowCount ?? 0;
}

/** Inserts `offsets` under nested savepoints, halving around the rows the server refuses: O(bad × log n) statements. */
export async function bisect(ctx: BatchContext, c: pg.Client, e: PgGroupEntry, offsets: number[]): Promise<number> {
  await c.query('SAVEPOINT rows');
  try {
    const n = await insertTrades(c, e, offsets);
    await c.query('RELEASE SAVEPOINT rows');
    return n;
  } catch (err) {
    if (!isBadRecord(err)) throw err;
    await c.query('ROLLBACK TO SAVEPOINT rows');
    await c.query('RELEASE SAVEPOINT rows');
    if (offsets.length === 1) {
      const at = offsets[0]!;
      e.out.rejected.push({ id: String(e.flat[at]), reason: reasonOf(err) });
      e.serverRejects++;
      return 0;
    }
    const mid = offsets.length >> 1;
    return (await bisect(ctx, c, e, offsets.slice(0, mid))) + (await bisect(ctx, c, e, offsets.slice(mid)));
  }
}

/** One non-trade record under its own savepoint: a bad one is rejected, the rest of the batch goes on. */
export async function guarded(
  c: pg.Client,
  out: BatchOutcome,
  id: unknown,
  index: number,
  run: () => Promise<unknown>,
): Promise<void> {
  await c.query('SAVEPOINT rec');
  try {
    await run();
  } catch (err) {
    if (!isBadRecord(err)) throw err;
    await c.query('ROLLBACK TO SAVEPOINT rec');
    out.rejected.push({ id: typeof id === 'string' ? id : `#${index}`, reason: reasonOf(err) });
  }
  await c.query('RELEASE SAVEPOINT rec');
}
