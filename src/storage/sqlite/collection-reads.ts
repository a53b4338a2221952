// CollectionReads on an SQLite file: the pool-assignment and stored-id queries of src/run/pool-assignments.ts,
// run on read-only connections (WAL lets them read beside the writer).

import type Database from 'better-sqlite3';
import { countStoredIds, loadPoolAssignments, tradesRowidMark } from '../../run/pool-assignments.ts';
import { readWatchlistTable } from '../../run/watchlist.ts';
import type { CollectionReads, TradesMark } from '../collection-reads.ts';
import { simpleQueryLatencyMs } from './connection-settings.ts';

export type SqliteRead = <T>(fn: (db: Database.Database) => T) => Promise<T>;

export function sqliteCollectionReads(read: SqliteRead, close: () => void): CollectionReads {
  return {
    engine: 'sqlite',
    loadPoolAssignments: (network, addresses, options) =>
      read((db) => loadPoolAssignments(db, network, addresses, options)),
    readWatchlist: (network) => read((db) => readWatchlistTable(db, network)),
    tradesMark: () => read((db): TradesMark => ({ kind: 'rowid', rowid: tradesRowidMark(db) })),
    countStoredIds: (ids, before) => {
      if (before && before.kind !== 'rowid') throw new TypeError('an SQLite trades mark is a rowid');
      const list = [...ids];
      return read((db) => countStoredIds(db, list, before?.rowid));
    },
    queryLatencyMs: () => read(simpleQueryLatencyMs),
    close: async () => close(),
  };
}
