// Faults with real threads and files: nothing acknowledged or deferred is lost, and writing resumes.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { killWriter, readDatabase, setPageLimit } from '../../../src/testing/index.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';
import { countAndCheck, dbIn, gate, openFunnel, runSenders, waitForDrain } from './fault-harness.ts';

const run = promisify(execFile);
const dir = tempDir('gecko-faults-');

describe('fault: another program holds the write lock longer than busy_timeout', () => {
  it('opens the breaker, defers, closes after release, and stores every trade once', async () => {
    const db = dbIn(dir, 'locked.db');
    const m = await openFunnel(db);
    const events: string[] = [];
    m.breaker.on('stateChange', (e) => events.push(`${e.from}->${e.to}`));
    let acked = 0;
    const resume = gate();
    const senders = runSenders(m, 4, 60, 50, 20, (r) => (acked = r.done), { after: 20, until: resume.opened });
    await until(() => acked === 80, 60_000, 'the batches before the hold to commit');
    // The sqlite3 CLI takes the write lock and keeps it until it reads COMMIT.
    const holder = spawn('sqlite3', [db], { stdio: ['pipe', 'pipe', 'inherit'] });
    let said = '';
    holder.stdout!.on('data', (d: Buffer) => (said += d.toString()));
    holder.stdin!.write(
      "PRAGMA busy_timeout=5000;\nBEGIN EXCLUSIVE;\nINSERT INTO dexes (id, name, network) VALUES ('lockholder', 'x', 'y');\nSELECT 'locked';\n",
    );
    await until(() => said.includes('locked'), 30_000, 'the sqlite3 shell to hold the write lock');
    resume.open();
    await until(
      () => events.includes('CLOSED->OPEN') && m.deferredDepth().batches > 0,
      60_000,
      'the breaker to open and batches to be deferred',
    );
    holder.stdin!.end('COMMIT;\n');
    await once(holder, 'exit');
    const report = await senders;
    await waitForDrain(m);
    const metrics = await m.getLockContentionMetrics();
    await m.close();

    expect(report.failed).toEqual([]);
    expect(report.done).toBe(240);
    expect(report.deferred).toBeGreaterThan(0);
    expect(events).toContain('CLOSED->OPEN');
    expect(events.at(-1)).toBe('HALF_OPEN->CLOSED');
    expect(metrics.lockErrors).toBeGreaterThan(0);
    expect(metrics.breaker.opens).toBeGreaterThan(0);
    const { trades, integrity } = countAndCheck(db);
    expect(trades).toBe(240 * 50);
    expect(integrity).toBe('ok');
  });
});

describe('fault: disk full (database capped with max_page_count)', () => {
  it('SQLITE_FULL batches are deferred and written once space returns', async () => {
    const db = dbIn(dir, 'full.db');
    const m = await openFunnel(db);
    const fullErrors: string[] = [];
    m.breaker.on('open', (e) => fullErrors.push(String((e.error as { sqliteCode?: string })?.sqliteCode)));
    const { trades: before } = countAndCheck(db);
    expect(before).toBe(0);
    // Cap the file near its current size: the next pages cannot be allocated.
    const pages = (await readDatabase(m, (d) => d.pragma('page_count', { simple: true }))) as number;
    await setPageLimit(m, pages + 2);
    const resume = gate();
    const senders = runSenders(m, 2, 40, 100, 30, undefined, { after: 10, until: resume.opened });
    await until(
      () => fullErrors.length > 0 && m.deferredDepth().batches > 0,
      60_000,
      'the breaker to open and batches to be deferred while the disk is full',
    );
    await setPageLimit(m, 0);
    resume.open();
    const report = await senders;
    await waitForDrain(m);
    await m.close();
    expect(report.failed).toEqual([]);
    expect(fullErrors).toContain('SQLITE_FULL');
    const { trades, integrity } = countAndCheck(db);
    expect(trades).toBe(80 * 100);
    expect(integrity).toBe('ok');
  });
});

describe('fault: database file made read-only mid-run', () => {
  it('fails clearly, defers, and loses nothing once writable again', async () => {
    const db = dbIn(dir, 'readonly.db');
    const m = await openFunnel(db);
    const codes: string[] = [];
    m.breaker.on('open', (e) => codes.push(String((e.error as { sqliteCode?: string })?.sqliteCode)));
    let acked = 0;
    const resume = gate();
    const senders = runSenders(m, 2, 40, 100, 30, (r) => (acked = r.done), { after: 10, until: resume.opened });
    await until(() => acked === 20, 60_000, 'the batches before the hold to commit');
    // Root ignores file modes; the immutable attribute stops even root from writing the WAL.
    await run('chattr', ['+i', `${db}-wal`]);
    resume.open();
    await until(
      () => codes.length > 0 && m.deferredDepth().batches > 0,
      60_000,
      'the breaker to open and batches to be deferred while the WAL is read-only',
    );
    await run('chattr', ['-i', `${db}-wal`]);
    const report = await senders;
    await waitForDrain(m);
    await m.close();
    expect(report.failed).toEqual([]);
    expect(
      codes.some(
        (c) => c.startsWith('SQLITE_READONLY') || c.startsWith('SQLITE_IOERR') || c.startsWith('SQLITE_CANTOPEN'),
      ),
    ).toBe(true);
    const { trades, integrity } = countAndCheck(db);
    expect(trades).toBe(80 * 100);
    expect(integrity).toBe('ok');
  });
});

describe('fault: the writer thread is terminated mid-batch', () => {
  it('is restarted, collectors reconnect, and the count equals the unique trades', async () => {
    const db = dbIn(dir, 'killed.db');
    const m = await openFunnel(db);
    let acked = 0;
    const senders = runSenders(m, 4, 150, 100, 20, (r) => (acked = r.done));
    // Kill while batches are in flight, twice: once after the first acks, again after the first restart.
    await until(() => acked >= 20, 60_000, 'first acks');
    await killWriter(m);
    await until(() => m.writerRestarts.restarts === 1, 60_000, 'first restart');
    const ackedBeforeSecondKill = acked;
    // On a slow machine the senders may have finished (spooling) while the writer restarted.
    await until(() => acked > ackedBeforeSecondKill + 10 || acked === 600, 60_000, 'progress after restart');
    await killWriter(m);
    const report = await senders;
    await waitForDrain(m);
    const restarts = m.writerRestarts.restarts;
    await m.close();
    expect(report.failed).toEqual([]);
    expect(restarts).toBe(2);
    expect(report.done).toBe(600);
    const { trades, integrity } = countAndCheck(db);
    expect(trades).toBe(600 * 100);
    expect(integrity).toBe('ok');
  });
});
