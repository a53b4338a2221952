// doctor's cursor check: pools whose cursor (collection_state) is in the future, beyond the clock-skew
// allowance, or names a trade that is not stored. Either hides trades from the collector (every later trade
// looks like a repeat); the section names the command that puts them back, and `doctor --repair-cursors` runs it.

import Database from 'better-sqlite3';
import { repairCursors } from '../storage/cursor-repair.ts';
import type { BadCursor } from '../storage/doctor-sections.ts';
import { sqliteCursorStore } from '../storage/sqlite/cursor-repair.ts';
import { checkDatabaseFile } from '../storage/sqlite/database-file-check.ts';
import { DatabaseLock } from '../storage/sqlite/database-lock.ts';
import { DEFAULT_MAX_CLOCK_SKEW_MS, latestAcceptedTime } from '../trades/trade-validation.ts';

/** The command that repairs them, for this database. */
export function repairCommand(dbPath: string): string {
  return `gecko-collector doctor --repair-cursors --db ${dbPath}`;
}

/** `repair`: the line that says how to repair them (SQLite: doctor --repair-cursors; PostgreSQL: the next run). */
export function renderBadCursors(
  path: string,
  cursors: readonly BadCursor[] | undefined,
  repair = `${repairCommand(path)}   (collect and import also repair them when they start)`,
): string[] {
  if (!cursors || cursors.length === 0) return [];
  const future = cursors.filter((c) => c.problem === 'future').length;
  const out = [
    `cursors to repair: ${cursors.length} (${future} in the future, ${cursors.length - future} on a trade that is not stored): their pools' newer trades are taken for repeats`,
  ];
  for (const c of cursors.slice(0, 20))
    out.push(
      `  ${c.poolId}: ${c.problem === 'future' ? 'in the future' : 'trade not stored'} (cursor ${c.lastTradeTimestamp ?? '-'}, trade ${c.lastTradeId ?? '-'})`,
    );
  if (cursors.length > 20) out.push(`  ... ${cursors.length - 20} more (see --json)`);
  out.push(`  repair: ${repair}`);
  return out;
}

/**
 * `doctor --repair-cursors`: takes the database's lock (refused while a run writes it), puts each bad cursor back
 * on the newest stored trade of its pool not in the future, and returns the lines to print.
 */
export async function repairCursorsNow(path: string): Promise<string[]> {
  checkDatabaseFile(path);
  const lock = DatabaseLock.acquire(path);
  // Opened only after the check and the lock: a write connection is what the repair needs.
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const repaired = await repairCursors(sqliteCursorStore(db), latestAcceptedTime(DEFAULT_MAX_CLOCK_SKEW_MS));
    if (repaired.length === 0) return [`cursors: none to repair in ${path}`];
    return [
      `repaired ${repaired.length} cursor${repaired.length === 1 ? '' : 's'} in ${path}:`,
      ...repaired.map(
        (r) =>
          `  ${r.poolId}: ${r.from.timestamp ?? '-'} (${r.from.id ?? '-'}) -> ${r.to ? `${r.to.timestamp} (${r.to.id})` : 'removed (no stored trade: the pool starts afresh)'}`,
      ),
    ];
  } finally {
    db?.close();
    lock.release();
  }
}
