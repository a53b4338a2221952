// One write funnel per database file: a second manager, in this process or another program, is refused with
// DatabaseInUseError naming the holder; the lock goes with its holder (close, failed start, kill -9).
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { DatabaseInUseError } from '../../../src/errors.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { openDirect } from '../../../src/run/run-database.ts';
import { DatabaseLock, lockPathFor } from '../../../src/storage/sqlite/database-lock.ts';
import { compiled, REPO_ROOT } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { tradeCount } from '../../support/trade-count.ts';

const dir = tempDir('gecko-dblock-');
const repo = REPO_ROOT;
const trade = (id: string) => ({
  id,
  poolId: 'solana_pool',
  blockNumber: 1,
  txHash: 'tx',
  txFromAddress: 'from',
  fromTokenAmount: '1',
  toTokenAmount: '2',
  priceUsd: '3',
  volumeUsd: '4',
  side: 'buy' as const,
  blockTimestamp: '2025-08-27T13:06:40Z',
});

const open: LockOptimizedDatabaseManager[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const m of open.splice(0)) await m.close();
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function manager(dbPath: string): LockOptimizedDatabaseManager {
  const m = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(dbPath) });
  open.push(m);
  return m;
}

/** Another program with a funnel open on dbPath, once it has said "ready". */
async function otherProgramHolding(dbPath: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [compiled('test/integration/funnel/fixtures/hold-funnel.ts'), dbPath], {
    cwd: repo,
    env: { ...process.env, GECKO_LOG_LEVEL: 'silent' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`holder exited early (${code})`)));
  });
  return child;
}

describe('one write funnel per database file', () => {
  it('refuses a second manager in this process until the first one closes', async () => {
    const dbPath = path.join(dir, 'same-process.db');
    const first = manager(dbPath);
    await first.initialize();
    const second = manager(dbPath);
    const err = await second.initialize().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DatabaseInUseError);
    expect((err as DatabaseInUseError).code).toBe('DATABASE_IN_USE');
    expect((err as DatabaseInUseError).databasePath).toBe(dbPath);
    expect((err as Error).message).toContain(`${dbPath} is already being written by`);
    if (process.platform === 'linux') expect((err as DatabaseInUseError).holderPid).toBe(process.pid);
    // The refused manager touched nothing: the first one still writes.
    expect((await first.storeTradeDataOptimized([trade('a')])).inserted).toBe(1);
    await first.close();

    const third = manager(dbPath);
    await third.initialize();
    expect((await third.storeTradeDataOptimized([trade('b')])).inserted).toBe(1);
    await third.close();
    expect(tradeCount(dbPath)).toBe(2);
  }, 30_000);

  it('refuses while another program writes the file, and takes over once that program is killed -9', async () => {
    const dbPath = path.join(dir, 'other-program.db');
    const holder = await otherProgramHolding(dbPath);
    const refused = await manager(dbPath)
      .initialize()
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(refused).toBeInstanceOf(DatabaseInUseError);
    if (process.platform === 'linux') {
      expect((refused as DatabaseInUseError).holderPid).toBe(holder.pid);
      expect((refused as Error).message).toContain(`by process ${holder.pid} `);
    }

    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    // Nothing left beside the lock by a process that ended without closing (kill -9, a second Ctrl-C).
    expect(fs.existsSync(`${lockPathFor(dbPath)}-journal`)).toBe(false);
    // No stale lock: the OS released it with the process.
    const next = manager(dbPath);
    await next.initialize();
    expect((await next.storeTradeDataOptimized([trade('after-kill')])).inserted).toBe(1);
  }, 60_000);

  it('a direct-mode (old way) collection run and a funnel exclude each other too', async () => {
    const dbPath = path.join(dir, 'direct-run.db');
    const config = { url: urlFromDatabasePath(dbPath) };
    const direct = await openDirect(config);
    try {
      await expect(manager(dbPath).initialize()).rejects.toBeInstanceOf(DatabaseInUseError);
    } finally {
      await direct.close();
    }
    const funnel = manager(dbPath);
    await funnel.initialize();
    await expect(openDirect(config)).rejects.toBeInstanceOf(DatabaseInUseError);
  }, 30_000);

  it('two paths to one file share one lock (a symlink to the database)', async () => {
    const real = path.join(dir, 'real.db');
    const alias = path.join(dir, 'alias.db');
    await manager(real).initialize();
    fs.symlinkSync(real, alias);
    expect(lockPathFor(alias)).toBe(`${fs.realpathSync(real)}.lock`);
    const err = await manager(alias)
      .initialize()
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(DatabaseInUseError);
  }, 30_000);

  it('lets go of the lock when initialize() fails', async () => {
    const dbPath = path.join(dir, 'not-a-database.db');
    fs.writeFileSync(
      dbPath,
      'this is not a SQLite file, but it is long enough to have a header of sorts.\n'.repeat(20),
    );
    await expect(manager(dbPath).initialize()).rejects.toThrow();
    const lock = DatabaseLock.acquire(dbPath);
    expect(lock.path).toBe(lockPathFor(dbPath));
    lock.release();
  }, 30_000);

  it('a database in a missing folder says so, and names the four-slash URL when three were meant', () => {
    const absolute = path.join(dir, 'meant', 'gecko.db');
    fs.mkdirSync(path.dirname(absolute), { recursive: true });
    // sqlite:///<absolute> read as relative lands under the working directory, where no such folder is.
    const asRelative = path.join(process.cwd(), absolute);
    expect(() => DatabaseLock.acquire(asRelative)).toThrow(
      `(the folder ${path.dirname(asRelative)} does not exist; for ${absolute} write sqlite:///${absolute}`,
    );
    const nowhere = path.join(dir, 'no-such-folder', 'gecko.db');
    expect(() => DatabaseLock.acquire(nowhere)).toThrow(`(the folder ${path.dirname(nowhere)} does not exist)`);
  });
});
