// The end-of-run check of a simulated collection: the simulator knows every trade it served, so the database
// can be asked whether each of them was stored, and whether this run stored exactly the ones it lacked.

import type { GeckoSimulator } from '../sim/gecko-simulator.ts';
import type { CollectionReads, TradesMark } from '../storage/collection-reads.ts';

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
  /** What the simulator served: the in-process simulator, or the ids a standalone one reported. */
  simulator: Pick<GeckoSimulator, 'stats' | 'servedTradeIds'>;
  reads: Pick<CollectionReads, 'countStoredIds'>;
  /** The trades mark read before any collector started; null on a database that had no trades then. */
  mark: TradesMark | null;
  /** Trades this run inserted (acked). */
  stored: number;
}

// Why a mark and not the cursors the run started from: a trade in the same second as a cursor may be stored
// already or not (several trades share a second), and a run stopped between a batch and its cursor write
// leaves stored trades past the cursor. The mark (a rowid, or the server's clock) says which rows predate the run.
export async function checkSimulator({ simulator, reads, mark, stored }: SimulatorCheckInput): Promise<SimulatorCheck> {
  const s = simulator.stats();
  const served = simulator.servedTradeIds();
  const servedInDatabase = await reads.countStoredIds(served);
  const servedStoredBefore = mark ? await reads.countStoredIds(served, mark) : 0;
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
