// The CLI follows its pools file while it collects: an edited file is read again (its mtime is checked), a file
// that no longer parses is refused in one log line and the set kept, and SIGHUP reads the sources again (here
// the new pools list, which the simulator changes meanwhile).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import { spawnCli } from '../../support/cli-process.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

let sim: GeckoSimulator;

beforeAll(async () => {
  sim = await startGeckoSimulator({ seed: 28, pools: 5, tradesPerSecond: 3, historySeconds: 60 });
});

afterAll(async () => {
  await sim?.close();
});

function logLines(out: string): { msg?: string; pool?: string }[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; pool?: string });
}

describe('collect --pools-file', () => {
  it('follows the file as it changes, refuses a bad one, and reads the lists again on SIGHUP', async () => {
    const [a, b, c, d, e] = sim.pools.map((p) => p.address);
    const id = (address: string | undefined) => `${sim.network}_${address}`;
    const dir = tempDir();
    const file = path.join(dir, 'pools.txt');
    const dbPath = path.join(dir, 'file.db');
    fs.writeFileSync(file, `${a}\n${b}\n`);
    sim.setListings({ newPools: [e!] });
    const cli = spawnCli(
      [
        'collect',
        '--pools-file',
        file,
        '--new-pools',
        '1',
        '--refresh-pools',
        '1h',
        '--base-url',
        sim.baseUrl,
        '--network',
        sim.network,
        '--db',
        dbPath,
        '--poll-interval',
        '0.3',
        '--calls-per-minute',
        '6000',
        '--collectors',
        '2',
        '--log-format',
        'json',
      ],
      dir,
      { GECKO_LOG_LEVEL: 'info' },
    );
    const joined = (address: string | undefined) =>
      logLines(cli.out()).some((l) => l.msg?.startsWith('pool joined the set') && l.pool === id(address));
    const left = (address: string | undefined) =>
      logLines(cli.out()).some((l) => l.msg?.startsWith('pool left the set') && l.pool === id(address));
    try {
      await until(() => cli.out().includes('"msg":"collectors running"'), 30_000, 'the collectors');
      fs.writeFileSync(file, `${a}\n${c}\n# b is gone\n`);
      await until(() => joined(c) && left(b), 30_000, 'the file change to be followed');
      const db = new Database(dbPath, { readonly: true });
      try {
        const membership = db
          .prepare('SELECT pool_id, source, left_at IS NULL AS open FROM pool_membership ORDER BY pool_id')
          .all() as { pool_id: string; source: string; open: number }[];
        expect(membership).toEqual(
          [
            { pool_id: id(a), source: 'file', open: 1 },
            { pool_id: id(b), source: 'file', open: 0 },
            { pool_id: id(c), source: 'file', open: 1 },
            { pool_id: id(e), source: 'new', open: 1 },
          ].sort((x, y) => x.pool_id.localeCompare(y.pool_id)),
        );
      } finally {
        db.close();
      }

      fs.writeFileSync(file, `${a}\nnot a pool address!\n`);
      await until(() => cli.out().includes('pools file refused'), 30_000, 'the bad file to be refused');
      expect(cli.out()).toContain('keeping the 3 pools of the set');
      expect(left(c)).toBe(false);

      // The new pools list changes; only SIGHUP (the refresh is an hour away) makes the run see it.
      sim.setListings({ newPools: [d!] });
      cli.child.kill('SIGHUP');
      await until(() => joined(d), 30_000, 'SIGHUP to bring the new pool in');
      expect(cli.child.exitCode).toBeNull();
    } finally {
      cli.child.kill('SIGTERM');
      expect(await cli.exited()).toBe(0);
    }
  });
});
