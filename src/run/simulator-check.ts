// The end-of-run check of a simulated collection: the simulator knows every trade it served, so the database
// can be asked whether each of them was stored, and whether this run stored exactly the ones it lacked.

import type Database from 'better-sqlite3';
import type { GeckoSimulator } from '../sim/gecko-simulator.ts';
import { countStoredIds } from './pool-assignments.ts';

export interface SimulatorCheck {
  requests: number;
  tradesServed: number;
  distinctTradesServed: number;
  /**
   * Of the distinct trades served, those an earlier run had already stored (a resumed database: the first
   * response of each pool repeats trades from before the saved cursor). 0 on a new database.
   */
  servedStoredBefore: number;
  /** distinctTradesServed - servedStoredBefore: the trades this run had to store. */
  servedNew: number;
  /** How many of the distinct trades served are in the database now. */
  servedInDatabase: number;
  /** Every trade the simulator served is stored. */
  allServedStored: boolean;
  /** Every served trade is stored and this run inserted exactly the served ones it lacked (`stored === servedNew`). */
  storedMatchesServed: boolean;
}

export interface SimulatorCheckInput {
  simulator: GeckoSimulator;
  read: <T>(fn: (db: Database.Database) => T) => Promise<T>;
  /** tradesRowidMark() read before any collector started. */
  rowidMark: number;
  /** Trades this run inserted (acked). */
  stored: number;
}

// Why a rowid mark and not the cursors the run started from: a trade in the same second as a cursor may be
// stored already or not (several trades share a second), and a run stopped between a batch and its cursor
// write leaves stored trades past the cursor. The mark says exactly which rows predate the run.
export async function checkSimulator({
  simulator,
  read,
  rowidMark,
  stored,
}: SimulatorCheckInput): Promise<SimulatorCheck> {
  const s = simulator.stats();
  const served = simulator.servedTradeIds();
  const { servedInDatabase, servedStoredBefore } = await read((conn) => ({
    servedInDatabase: countStoredIds(conn, served),
    servedStoredBefore: rowidMark > 0 ? countStoredIds(conn, served, rowidMark) : 0,
  }));
  const servedNew = s.distinctTradesServed - servedStoredBefore;
  const allServedStored = servedInDatabase === s.distinctTradesServed;
  return {
    requests: s.requests,
    tradesServed: s.tradesServed,
    distinctTradesServed: s.distinctTradesServed,
    servedStoredBefore,
    servedNew,
    servedInDatabase,
    allServedStored,
    storedMatchesServed: allServedStored && stored === servedNew,
  };
}
