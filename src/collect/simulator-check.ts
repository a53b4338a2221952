// The end-of-run check of a simulated collection: the simulator knows every trade it served, so the database
// can be asked whether each of them was stored.

import type Database from 'better-sqlite3';
import type { GeckoSimulator } from '../sim/gecko-simulator.ts';
import { countStoredIds } from './pool-assignments.ts';

export interface SimulatorCheck {
  requests: number;
  tradesServed: number;
  distinctTradesServed: number;
  /** How many of the distinct trades served are in the database now. */
  servedInDatabase: number;
  /** Every trade the simulator served is stored. */
  allServedStored: boolean;
}

export async function checkSimulator(simulator: GeckoSimulator, read: <T>(fn: (db: Database.Database) => T) => Promise<T>): Promise<SimulatorCheck> {
  const s = simulator.stats();
  const served = simulator.servedTradeIds();
  const servedInDatabase = await read((conn) => countStoredIds(conn, served));
  return {
    requests: s.requests,
    tradesServed: s.tradesServed,
    distinctTradesServed: s.distinctTradesServed,
    servedInDatabase,
    allServedStored: servedInDatabase === s.distinctTradesServed,
  };
}
