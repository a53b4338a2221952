// After a run whose batches went through the spool (another program held the write lock longer than the
// breaker's patience), the summary's stored count includes what the replay inserted, so the simulator check
// `stored == served` holds. The lock is held by a separate process, as a user's sqlite3 shell would: taken once
// the run stores, released once the breaker opened and batches went to the spool; the run stops once they are replayed.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { type CollectionSummary, runCollection, startCollection } from '../../../src/run/collection-run.ts';
import { readMetricsFile } from '../../../src/run/metrics-file.ts';
import { REPO_ROOT } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const dir = tempDir('gecko-spooled-');

/** A separate process that takes the database's write lock when told `lock` on stdin and commits on `release`. */
function writeLockHolder(db: string) {
  const script = `
    const Database = require('better-sqlite3');
    const d = new Database(process.argv[1]);
    d.pragma('busy_timeout = 20000');
    require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
      if (line === 'lock') {
        d.exec('BEGIN IMMEDIATE');
        process.stdout.write('locked\\n');
      } else if (line === 'release') {
        d.exec('COMMIT');
        d.close();
        process.stdout.write('released\\n');
        process.exit(0);
      }
    });`;
  const child = spawn(process.execPath, ['-e', script, db], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const tell = async (command: 'lock' | 'release', answer: string) => {
    child.stdin.write(`${command}\n`);
    await until(() => out.includes(answer), 30_000, `the lock holder to say ${answer}`);
  };
  return { exited: once(child, 'exit'), output: () => out, tell, kill: () => child.kill('SIGKILL') };
}

describe('a spooled run', () => {
  it('stored == served after a foreign write lock outlasted the breaker: replayed trades are counted', async () => {
    const db = path.join(dir, 'spooled.db');
    // The database exists before the lock holder opens it.
    await runCollection({ simulate: true, dbUrl: urlFromDatabasePath(db), collectors: 1, durationMs: 300 });
    const lock = writeLockHolder(db);
    const metricsFile = path.join(dir, 'spooled.metrics.json');
    const handle = await startCollection({
      simulate: { seed: 7 },
      dbUrl: urlFromDatabasePath(db),
      collectors: 2,
      pollIntervalMs: 200,
      callsPerMinute: 6000,
      database: { busyTimeoutMs: 150, lockRetries: 1 },
      metricsFile,
      metricsFileIntervalMs: 100,
    });
    let summary: CollectionSummary;
    try {
      // The run's own metrics file tells when the breaker opened, what went to the spool and what came back.
      const snapshot = () => readMetricsFile(metricsFile)?.snapshot;
      await until(async () => (await handle.progress()).counters.inserted > 0, 60_000, 'the first stored trades');
      await lock.tell('lock', 'locked');
      await until(
        () => (snapshot()?.breaker.opens ?? 0) > 0 && (snapshot()?.deferred.deferredTotal ?? 0) > 0,
        60_000,
        'the breaker to open and batches to go to the spool',
      );
      await lock.tell('release', 'released');
      await until(
        () => snapshot()?.deferred.batches === 0 && (snapshot()?.deferred.replayedTotal ?? 0) > 0,
        60_000,
        'the spool to be replayed',
      );
    } finally {
      lock.kill();
      handle.stop();
      summary = await handle.done;
    }
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
