// The real CLI as a child process: SIGINT during collection stops polling, drains the writer, prints the
// summary and exits 0, and the database holds exactly the trades the summary says were stored (integrity ok).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BIN } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

describe('SIGINT', () => {
  it('drains and keeps every acked trade, then exits 0 with a summary', async () => {
    const dbPath = path.join(tempDir(), 'sigint.db');
    const child = spawn(
      process.execPath,
      [BIN, 'collect', '--simulate', '--collectors', '3', '--poll-interval', '0.5', '--db', `sqlite:///${dbPath}`],
      {
        env: { ...process.env, GECKO_LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    const committed = (table: string) => {
      if (!fs.existsSync(dbPath)) return 0;
      const db = new Database(dbPath, { readonly: true });
      try {
        return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      } catch {
        return 0; // not created yet
      } finally {
        db.close();
      }
    };
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    // Logs (pino JSON) and the stop notice go to stderr; the summary to stdout.
    const running = new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('"msg":"collectors running"')) resolve();
      });
    });
    const timeout = setTimeout(() => child.kill('SIGKILL'), 45_000);
    try {
      await Promise.race([running, exited]);
      // Signalled once trades and cursors are being committed, so batches and cursor writes are in flight.
      await until(() => committed('trades') > 0 && committed('collection_state') > 0, 30_000, 'the first commits');
      child.kill('SIGINT');
      const { code, signal } = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(stderr).toContain(
        'SIGINT: stopping (finishing requests, flushing, draining the writer); again to exit at once',
      );
    } finally {
      clearTimeout(timeout);
    }
    const summary = stdout.slice(stdout.indexOf('collection summary'));
    expect(summary).toContain('collection summary');
    const stored = Number(/trades stored \(new\):\s+([\d,]+)/.exec(summary)?.[1]?.replace(/,/g, ''));
    expect(stored).toBeGreaterThan(0);
    expect(summary).toMatch(/stored == served:\s+yes/);

    const db = new Database(dbPath, { readonly: true });
    try {
      expect((db.prepare('SELECT count(*) AS n FROM trades').get() as { n: number }).n).toBe(stored);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect((db.prepare('SELECT count(*) AS n FROM collection_state').get() as { n: number }).n).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });
});
