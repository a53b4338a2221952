// Storage that fails mid-run ends honestly, in real processes on real files: a full disk (a small tmpfs holding
// the database and its spool), the database's directory deleted, the database made read-only (chattr +i, which
// stops root too). Each says what happened in one line, exits non-zero (6: storage failed and polling stopped;
// 5: trades kept in the spool), keeps its logs small, and accounts for every trade served (stored, spooled or
// counted as lost). A second SIGTERM ends the process at once even while the writer waits on a foreign lock.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { CollectionSummary } from '../../../src/run/run-summary.ts';
import { BIN, REPO_ROOT } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const exec = promisify(execFile);
const dir = tempDir('gecko-faults-');
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `gecko-collector collect --simulate …` in its own process, JSON logs on stderr, the summary as JSON on stdout. */
function collect(db: string, seconds: number) {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'collect',
      '--simulate',
      '--duration',
      String(seconds),
      '--collectors',
      '2',
      '--poll-interval',
      '0.2',
      '--calls-per-minute',
      '6000',
      '--log-format',
      'json',
      '--log-level',
      'info',
      '--json',
      '--db',
      db,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const ended = new Promise<Ended>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, ended, stderr: () => stderr };
}

/** The lines on stderr that are not JSON log lines: what a person reads. */
const plainLines = (stderr: string) => stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{'));
const summaryOf = (e: Ended) => JSON.parse(e.stdout) as CollectionSummary;

function tradeCount(db: string): number {
  try {
    const d = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (d.prepare('SELECT count(*) AS n FROM trades').get() as { n: number }).n;
    } finally {
      d.close();
    }
  } catch {
    return 0;
  }
}

// The four runs are independent (a directory and a process each) and mostly wait on them: side by side.
describe.concurrent('storage faults mid-run', () => {
  it('disk full (database and spool on a 1.5 MB tmpfs): one line, exit 6, every served trade stored or counted lost', async () => {
    const mnt = path.join(dir, 'full');
    fs.mkdirSync(mnt);
    await exec('mount', ['-t', 'tmpfs', '-o', 'size=1500k', 'tmpfs', mnt]);
    cleanups.push(() => exec('umount', [mnt]));
    const r = await collect(path.join(mnt, 'full.db'), 60).ended;
    expect(r.code).toBe(6);
    // It stopped by itself, before --duration.
    expect(summaryOf(r).durationMs).toBeLessThan(60_000);
    expect(plainLines(r.stderr)).toEqual([
      expect.stringMatching(
        /^gecko-collector collect: storage failed: the disk is full: neither the database nor its spool \S+full\.db\.spool can take fetched trades \(SQLITE_FULL\)\. Polling stopped\. [\d,]+ fetched trades could not be kept\.$/,
      ),
    ]);
    expect(r.stderr.length).toBeLessThan(300_000);
    const s = summaryOf(r);
    expect(s.outcome).toBe('storage-lost');
    expect(s.storageFailure?.kind).toBe('spool-failed');
    expect(s.storageFailure!.tradesLost).toBeGreaterThan(0);
    expect(s.stored).toBeGreaterThan(0);
    expect(s.stored + s.storageFailure!.tradesLost).toBe(s.simulator!.servedNew);
  });

  it('the database directory deleted: one line, exit 6 before --duration', async () => {
    const sub = path.join(dir, 'gone');
    fs.mkdirSync(sub);
    const db = path.join(sub, 'gone.db');
    const run = collect(db, 60);
    await until(() => tradeCount(db) > 0, 30_000, 'the first stored trades');
    fs.rmSync(sub, { recursive: true, force: true });
    const r = await run.ended;
    expect(r.code).toBe(6);
    // The deletion stopped it, not --duration.
    expect(summaryOf(r).durationMs).toBeLessThan(60_000);
    expect(plainLines(r.stderr)).toEqual([
      `gecko-collector collect: storage failed: the database file ${db} was deleted (or its directory was) while this run wrote it; what it stored there is gone with it. Polling stopped; nothing more is written or spooled.${summaryOf(r).storageFailure!.tradesLost > 0 ? ` ${summaryOf(r).storageFailure!.tradesLost.toLocaleString('en-US')} fetched trades could not be kept.` : ''}`,
    ]);
    const s = summaryOf(r);
    expect(s.storageFailure?.kind).toBe('database-gone');
    expect(fs.existsSync(sub)).toBe(false);
  });

  it('the database made read-only mid-run: said once, trades kept in the spool, exit 5; the next run stores them', async () => {
    const sub = path.join(dir, 'ro');
    fs.mkdirSync(sub);
    const db = path.join(sub, 'ro.db');
    const run = collect(db, 6);
    await until(() => tradeCount(db) > 0 && fs.existsSync(`${db}-wal`), 30_000, 'the first stored trades');
    await exec('chattr', ['+i', db, `${db}-wal`]);
    const unlock = () => exec('chattr', ['-i', db, `${db}-wal`]);
    cleanups.push(unlock);
    const r = await run.ended;
    await unlock();
    expect(r.code).toBe(5);
    const s = summaryOf(r);
    expect(s.tradesInSpool).toBeGreaterThan(0);
    expect(plainLines(r.stderr)).toEqual([
      `gecko-collector collect: ${s.tradesInSpool.toLocaleString('en-US')} fetched trades could not be stored in ${db}; they are kept in ${db}.spool and the next run stores them`,
    ]);
    // The cause is said once, however many commits failed.
    const said = r.stderr.split('\n').filter((l) => l.includes(`"msg":"cannot write ${db} (`));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(`fetched trades go to the spool ${db}.spool until it can be written again`);
    const before = tradeCount(db);
    const next = await collect(db, 1.5).ended;
    expect(next.code).toBe(0);
    expect(summaryOf(next).tradesInSpool).toBe(0);
    expect(fs.existsSync(`${db}.spool`)).toBe(false);
    expect(tradeCount(db)).toBeGreaterThan(before);
  });

  it('a second SIGTERM ends the process at once while the writer waits on a foreign lock', async () => {
    const sub = path.join(dir, 'sig');
    fs.mkdirSync(sub);
    const db = path.join(sub, 'sig.db');
    expect((await collect(db, 0.5).ended).code).toBe(0);
    // Another process holds the write lock until it is killed: every commit waits out busy_timeout.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const d = new (require('better-sqlite3'))(process.argv[1]); d.exec('BEGIN IMMEDIATE'); console.log('locked'); setInterval(() => {}, 60000);`,
        db,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push(async () => holder.kill('SIGKILL'));
    await new Promise((r) => holder.stdout.once('data', r));
    const run = collect(db, 60);
    // Its first write (the pools' metadata) has met the lock: the writer waits on it again.
    await until(() => run.stderr().includes('"code":"SQLITE_BUSY"'), 30_000, 'the writer to meet the foreign lock');
    run.child.kill('SIGTERM');
    await until(() => run.stderr().includes('SIGTERM: stopping'), 10_000, 'the first SIGTERM to be handled');
    run.child.kill('SIGTERM');
    const r = await run.ended;
    // Ended by the signal while the lock was still held: it did not wait for the writer to drain.
    expect(holder.exitCode).toBe(null);
    holder.kill('SIGKILL');
    expect(r.signal).toBe('SIGTERM');
    expect(plainLines(r.stderr)).toEqual([
      'SIGTERM: stopping (finishing requests, flushing, draining the writer); again to exit at once',
      'SIGTERM again: exiting now (batches not yet committed are fetched again by the next run)',
    ]);
  });
});
