// A start that fails midway lets go of everything it had taken (writer thread, storage watch, spool, lock,
// connections): a second manager on the same store in the same process starts, and the process, once both
// managers are closed, ends by itself.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { connectTestServer, PG_TEST_URL } from '../../support/postgres.ts';
import { compiled } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-failed-start-');

interface Seen {
  failure: { code?: string; message: string } | null;
  firstSpool: string;
  secondSpool: string;
  connectionsLeft: number | null;
  secondError: string | null;
  stored: number;
}

/** Runs the fixture; rejects when it has not ended by itself within `timeoutMs` (something kept it alive). */
function failedStart(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; seen: Seen; stderr: string }> {
  const child = spawn(process.execPath, [compiled('test/integration/funnel/fixtures/failed-start.ts'), ...args], {
    cwd: dir,
    env: { ...process.env, GECKO_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the process did not end by itself within ${timeoutMs} ms; it printed ${stdout}${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      try {
        resolve({ code, seen: JSON.parse(stdout) as Seen, stderr });
      } catch {
        reject(new Error(`exit ${code}, no result: ${stdout}${stderr}`));
      }
    });
  });
}

describe('initialize() that fails midway', () => {
  it('SQLite, the spool cannot be opened: the lock and the writer thread go with the failure', async () => {
    const dbPath = path.join(dir, 'bad-spool.db');
    fs.writeFileSync(`${dbPath}.spool`, 'not a spool, just text\n'.repeat(200));
    const run = await failedStart([urlFromDatabasePath(dbPath), 'spool']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.seen.failure?.code).toBe('SPOOL_OPEN_FAILED');
    expect(run.seen.secondError).toBeNull();
    expect(run.seen.stored).toBe(1);
  }, 90_000);

  describe('PostgreSQL, no reader can connect', () => {
    const role = `gecko_t_${randomBytes(4).toString('hex')}`;
    let admin: Awaited<ReturnType<typeof connectTestServer>> | undefined;
    afterAll(async () => {
      await admin?.query(`DROP DATABASE IF EXISTS "${role}" WITH (FORCE)`).catch(() => undefined);
      await admin?.query(`DROP ROLE IF EXISTS "${role}"`).catch(() => undefined);
      await admin?.end();
    });

    it('lets go of the writer, its connection and the spool slot; a second start in the process takes them', async () => {
      admin = await connectTestServer();
      // A database of its own, owned by a role that is not a superuser (those are exempt from the limit): the
      // writer's connection is the only one the role may have.
      await admin.query(`CREATE ROLE "${role}" LOGIN CONNECTION LIMIT 1`);
      await admin.query(`CREATE DATABASE "${role}" OWNER "${role}"`);
      const url = new URL(PG_TEST_URL);
      url.username = role;
      url.pathname = `/${role}`;
      const run = await failedStart([url.toString(), 'readers', PG_TEST_URL, role]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.seen.failure?.code).toBe('DATABASE_OPEN_FAILED');
      expect(run.seen.failure?.message).toMatch(/cannot open a reader on .*too many connections/);
      expect(run.seen.connectionsLeft).toBe(0);
      // The spool slot was given back: the second manager takes the same one, not the next.
      expect(run.seen.secondSpool).toBe(run.seen.firstSpool);
      expect(run.seen.secondError).toBeNull();
      expect(run.seen.stored).toBe(1);
    }, 90_000);
  });
});
