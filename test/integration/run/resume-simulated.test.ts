// `collect --simulate` twice on one database, each run with its own simulator as the CLI does: the second
// resumes from the first's cursors, and every trade its simulator served is stored (none left behind a cursor).
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { type CollectionOptions, startCollection } from '../../../src/run/collection-run.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dbPath = path.join(tempDir(), 'resume.db');
const options: CollectionOptions = {
  simulate: true,
  dbUrl: `sqlite:///${dbPath}`,
  collectors: 2,
  pollIntervalMs: 500,
  batch: 'development',
  durationMs: 1500,
  metricsFile: false,
};

/** One run; its simulator's served ids are read after the run, when nothing more can be served. */
async function run() {
  const handle = await startCollection(options);
  const summary = await handle.done;
  return { summary, served: handle.simulator!.servedTradeIds() };
}

function missingFrom(db: Database.Database, ids: ReadonlySet<string>): string[] {
  const has = db.prepare('SELECT 1 FROM trades WHERE id = ?');
  return [...ids].filter((id) => has.get(id) === undefined);
}

describe('simulated collection resumed on the same database', () => {
  it('stores every trade the second simulator served, and the summary check holds on the resumed database', async () => {
    const first = await run();
    expect(first.summary.resumedPools).toBe(0);
    expect(first.summary.simulator).toMatchObject({ servedStoredBefore: 0, storedMatchesServed: true });

    const second = await run();
    const s = second.summary;
    expect(s.resumedPools).toBe(s.pools);
    expect(s.errors).toBe(0);
    expect(s.gaps).toBe(0);

    const db = new Database(dbPath, { readonly: true });
    try {
      // Checked against the database directly, not only through the summary's own figures.
      expect(missingFrom(db, second.served)).toEqual([]);
      expect(missingFrom(db, first.served)).toEqual([]);
      const all = new Set([...first.served, ...second.served]);
      expect((db.prepare('SELECT count(*) AS n FROM trades').get() as { n: number }).n).toBe(all.size);
      expect(first.summary.stored + s.stored).toBe(all.size);
    } finally {
      db.close();
    }
    // The second simulator's first responses reach back before the cursors: they repeat trades the first run
    // stored (the same trades: same seed, same wall-clock times), so the two runs overlap.
    expect(s.simulator!.servedStoredBefore).toBeGreaterThan(0);
    expect(s.stored).toBeGreaterThan(0);
    expect(s.simulator).toMatchObject({
      distinctTradesServed: second.served.size,
      servedInDatabase: second.served.size,
      servedNew: s.stored,
      allServedStored: true,
      storedMatchesServed: true,
    });
  });
});
