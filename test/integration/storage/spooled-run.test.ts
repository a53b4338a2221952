// After a run whose batches went through the spool (another program held the write lock longer than the
// breaker's patience), the summary's stored count includes what the replay inserted, so the simulator check
// `stored == served` holds. The lock is held by a separate process, as a user's sqlite3 shell would.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { runCollection } from '../../../src/run/collection-run.ts';
import { REPO_ROOT } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-spooled-');

/** A separate process that takes the database's write lock after `afterMs` and holds it for `holdMs`. */
function holdWriteLock(db: string, afterMs: number, holdMs: number) {
  const script = `
    const Database = require('better-sqlite3');
    setTimeout(() => {
      const d = new Database(process.argv[1]);
      d.pragma('busy_timeout = 20000');
      d.exec('BEGIN IMMEDIATE');
      process.stdout.write('locked\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.argv[2]));
      d.exec('COMMIT');
      d.close();
      process.stdout.write('released\\n');
    }, Number(process.argv[3]));`;
  const child = spawn(process.execPath, ['-e', script, db, String(holdMs), String(afterMs)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return { exited: once(child, 'exit'), output: () => out };
}

describe('a spooled run', () => {
  it('stored == served after a foreign write lock outlasted the breaker: replayed trades are counted', async () => {
    const db = path.join(dir, 'spooled.db');
    // The database exists before the lock holder opens it.
    await runCollection({ simulate: true, dbUrl: urlFromDatabasePath(db), collectors: 1, durationMs: 300 });
    const lock = holdWriteLock(db, 1500, 4000);
    const summary = await runCollection({
      simulate: { seed: 7 },
      dbUrl: urlFromDatabasePath(db),
      collectors: 2,
      durationMs: 13_000,
      pollIntervalMs: 200,
      callsPerMinute: 6000,
      database: { busyTimeoutMs: 150, lockRetries: 1 },
    });
    await lock.exited;
    expect(lock.output()).toBe('locked\nreleased\n');
    expect(summary.metrics!.breaker.opens).toBeGreaterThan(0);
    expect(summary.metrics!.deferred.deferredTotal).toBeGreaterThan(0);
    expect(summary.storedOnReplay).toBeGreaterThan(0);
    expect(summary.tradesInSpool).toBe(0);
    expect(summary.outcome).toBe('collected');
    const sim = summary.simulator!;
    expect(sim.allServedStored).toBe(true);
    expect(summary.stored).toBe(sim.servedNew);
    expect(sim.storedMatchesServed).toBe(true);
  });
});
