// Retention inside a running collect (retention.older_than): the run prunes on its schedule while its own writer
// keeps committing, between the writer's transactions. Nothing the collector stored is lost: every trade the
// simulator served is in the database or in the archive, and the run ends cleanly. Its prune's clock is three days
// ahead, so the trades it just collected are old.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollection } from '../../../src/run/collection-run.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const DAY_MS = 86_400_000;
let sim: GeckoSimulator;

beforeAll(async () => {
  sim = await startGeckoSimulator({ seed: 33, pools: 3, tradesPerSecond: 6, historySeconds: 60 });
});

afterAll(async () => {
  await sim?.close();
});

async function archivedIds(dir: string): Promise<string[]> {
  const ids: string[] = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.parquet'))) {
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(path.join(dir, f)), columns: ['id'] });
    ids.push(...rows.map((r) => String(r.id)));
  }
  return ids;
}

describe('retention inside collect', () => {
  it('prunes on its schedule beside its own writer and loses nothing', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'beside.db');
    const archive = path.join(dir, 'archive');
    const handle = await startCollection({
      network: sim.network,
      pools: sim.pools.map((p) => p.address),
      baseUrl: sim.baseUrl,
      dbUrl: `sqlite:///${dbPath}`,
      collectors: 2,
      pollIntervalMs: 200,
      callsPerMinute: 6000,
      minSpacingMs: 0,
      batch: 'development',
      metricsFile: false,
      retention: {
        olderThanMs: DAY_MS,
        archiveDir: archive,
        firstAfterMs: 800,
        everyMs: 500,
        settleMs: 1000,
        now: () => new Date(Date.now() + 3 * DAY_MS),
      },
    });
    let summary: Awaited<typeof handle.done> | undefined;
    try {
      // Two prunes at least: the second finds the day's first file and writes the next one.
      await until(
        () => fs.existsSync(path.join(archive, `trades-${new Date().toISOString().slice(0, 10)}.2.parquet`)),
        60_000,
        'two scheduled prunes',
      );
    } finally {
      handle.stop();
      summary = await handle.done;
    }
    expect(summary.errors).toBe(0);
    const db = new Database(dbPath, { readonly: true });
    try {
      const stored = new Set(db.prepare('SELECT id FROM trades').pluck().all() as string[]);
      const archived = await archivedIds(archive);
      // No trade is in both places, and none is missing.
      expect(archived.filter((id) => stored.has(id))).toEqual([]);
      const all = new Set([...stored, ...archived]);
      expect(all.size).toBe(stored.size + archived.length);
      const served = sim.servedTradeIds();
      expect([...served].filter((id) => !all.has(id))).toEqual([]);
      expect(archived.length).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });
});
