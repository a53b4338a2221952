// A trade from the future cannot poison a pool's cursor: the writer rejects it with its reason, the cursor only
// ever names a stored trade no later than the clock-skew allowance (run against a hostile API server in real
// processes, and again after a restart), and a cursor already poisoned by an earlier version is reported by
// `doctor` with the command that repairs it, repaired by that command, and repaired when a writer opens the file.
// doctor's report is read with --wide: its lines as they are, not wrapped to a terminal.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import type { TradeRecord } from '../../../src/protocol/records.ts';
import { runCollectChild } from '../../support/collect-child.ts';
import { type HostileGeckoServer, settled, startHostileGeckoServer } from '../../support/hostile-gecko-server.ts';
import { BIN } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

const exec = promisify(execFile);
const dir = tempDir('gecko-cursors-');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function gecko(args: string[]): Promise<Run> {
  try {
    const r = await exec(process.execPath, [BIN, ...args], { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
/** The stored format of a time (`YYYY-MM-DD HH:MM:SS.ffffff`), which compares as text in time order. */
const stored = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '000');

describe('a future trade among good ones (hostile API, real processes)', () => {
  let server: HostileGeckoServer;
  beforeAll(async () => {
    server = await startHostileGeckoServer({
      pools: [
        {
          address: 'farfuture',
          script: { fault: 'future-timestamp', timestamp: () => '2099-01-01T00:00:00Z', every: 7 },
        },
        {
          address: 'hourahead',
          script: { fault: 'future-timestamp', timestamp: () => isoSeconds(Date.now() + 3_600_000), every: 7 },
        },
      ],
    });
  });
  afterAll(() => server.close());

  const db = path.join(dir, 'future.db');
  const pools = ['farfuture', 'hourahead'];
  /** One run, stopped (SIGTERM, a clean stop) once `enough` holds and every answered pool asked again. */
  const collect = async (enough: () => boolean) =>
    runCollectChild(
      [
        '--pools',
        pools.join(','),
        '--base-url',
        server.baseUrl,
        '--duration',
        '90',
        '--poll-interval',
        '0.2',
        '--calls-per-minute',
        '6000',
        '--collectors',
        '1',
        '--log-format',
        'json',
        '--log-level',
        'warn',
        '--db',
        db,
      ],
      50,
      { stopWhen: settled(server, pools, enough) },
    );
  // More than 20 good trades and a future one served, on each pool (checkDatabase asks for them).
  const served = () => pools.every((a) => server.record(a).good.size > 20 && server.record(a).bad.size > 0);

  function checkDatabase(): void {
    const d = new Database(db, { readonly: true });
    try {
      const limit = stored(Date.now() + 300_000);
      expect(d.prepare('SELECT count(*) AS n FROM trades WHERE block_timestamp > ?').get(limit)).toEqual({ n: 0 });
      for (const address of ['farfuture', 'hourahead']) {
        const poolId = server.poolId(address);
        const good = [...server.record(address).good.keys()];
        expect(good.length).toBeGreaterThan(20);
        const have = new Set(
          (d.prepare('SELECT id FROM trades WHERE pool_id = ?').all(poolId) as { id: string }[]).map((r) => r.id),
        );
        // Every good trade served is stored: the future one hid none of them.
        expect(good.filter((id) => !have.has(id))).toEqual([]);
        // The served future trades were bad ones, none stored.
        const bad = [...server.record(address).bad.values()];
        expect(bad.length).toBeGreaterThan(0);
        expect(bad.filter((b) => b.id !== undefined && have.has(b.id))).toEqual([]);
        const cursor = d
          .prepare('SELECT last_trade_id AS id, last_trade_timestamp AS ts FROM collection_state WHERE pool_id = ?')
          .get(poolId) as { id: string; ts: string };
        // The cursor names a stored trade of the pool, at its stored time, not in the future.
        const trade = d
          .prepare('SELECT block_timestamp AS ts FROM trades WHERE id = ? AND pool_id = ?')
          .get(cursor.id, poolId) as { ts: string } | undefined;
        expect(trade?.ts).toBe(cursor.ts);
        expect(cursor.ts <= stored(Date.now())).toBe(true);
      }
    } finally {
      d.close();
    }
  }

  it('rejects the future trades with their reason, stores every good one, cursors stay on stored trades', async () => {
    const r = await collect(served);
    expect(r.code).toBe(0);
    // The collector checks each trade on arrival with the writer's allowance: the reason names the API's field.
    expect(r.stderr).toMatch(
      /attributes\.block_timestamp \\"2099-01-01T00:00:00Z\\" \(string\) is in the future \(later than [\d-]+ [\d:.]+ UTC, the clock-skew allowance\)/,
    );
    checkDatabase();
  });

  it('after a restart: resumes from the sane cursor and again stores every good trade', async () => {
    const before = server.record('farfuture').good.size;
    const r = await collect(() => server.record('farfuture').good.size > before);
    expect(r.code).toBe(0);
    expect(server.record('farfuture').good.size).toBeGreaterThan(before);
    checkDatabase();
  });
});

describe('cursors already poisoned (an earlier version stored them)', () => {
  const pool = 'solana_poisoned';
  const trade = (n: number, ms: number): TradeRecord => ({
    id: `solana_${n}_tx${n}_0_${Math.floor(ms / 1000)}`,
    poolId: pool,
    blockNumber: 1000 + n,
    txHash: `tx${n}`,
    txFromAddress: null,
    fromTokenAmount: '1.5',
    toTokenAmount: '2',
    priceUsd: '3.25',
    volumeUsd: '10',
    side: 'buy',
    blockTimestamp: isoSeconds(ms),
  });
  const now = Math.floor(Date.now() / 1000) * 1000;
  const trades = [trade(1, now - 180_000), trade(2, now - 120_000), trade(3, now - 60_000)];
  const newest = trades[2]!;

  async function makeDatabase(file: string): Promise<void> {
    const m = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(file) });
    await m.initialize();
    const future = trade(9, Date.parse('2099-01-01T00:00:00Z'));
    const ack = await m.write({
      trades: [...trades, future],
      cursors: [
        { poolId: pool, lastTradeId: future.id, lastTradeTimestamp: future.blockTimestamp, polledAt: isoSeconds(now) },
      ],
    });
    // The writer itself refuses the future trade and does not follow the cursor onto it.
    expect(ack.kind).toBe('ack');
    expect(ack.rejected).toEqual([
      {
        id: future.id,
        reason: expect.stringMatching(/^blockTimestamp "2099-01-01T00:00:00Z" \(string\) is in the future/),
      },
    ]);
    await m.close();
    const d = new Database(file);
    expect(d.prepare('SELECT last_trade_id AS id FROM collection_state WHERE pool_id = ?').get(pool)).toEqual({
      id: newest.id,
    });
    // What an earlier version left: a cursor in 2099 on a trade never stored, and one on a vanished trade.
    d.prepare(
      "UPDATE collection_state SET last_trade_id = 'solana_ghost', last_trade_timestamp = ? WHERE pool_id = ?",
    ).run('2099-01-01 00:00:00.000000', pool);
    d.prepare(
      "INSERT INTO collection_state (pool_id, last_trade_id, last_trade_timestamp) VALUES ('solana_empty', 'solana_gone', ?)",
    ).run(stored(now - 3_600_000));
    d.close();
  }

  const cursorRows = (file: string) => {
    const d = new Database(file, { readonly: true });
    try {
      return d
        .prepare('SELECT pool_id, last_trade_id, last_trade_timestamp FROM collection_state ORDER BY pool_id')
        .all();
    } finally {
      d.close();
    }
  };

  it('doctor reports them with the repair command (exit 1); doctor --repair-cursors repairs them; doctor is then clean', async () => {
    const file = path.join(dir, 'poisoned.db');
    await makeDatabase(file);
    const report = await gecko(['doctor', '--wide', '--db', file]);
    expect(report.code).toBe(1);
    expect(report.stdout).toContain(
      "cursors to repair: 2 (1 in the future, 1 on a trade that is not stored): their pools' newer trades are taken for repeats",
    );
    expect(report.stdout).toContain(`  ${pool}: in the future (cursor 2099-01-01 00:00:00.000000, trade solana_ghost)`);
    expect(report.stdout).toContain(`  repair: gecko-collector doctor --repair-cursors --db ${file}`);
    const json = JSON.parse((await gecko(['doctor', '--json', '--db', file])).stdout) as { badCursors: unknown[] };
    expect(json.badCursors).toHaveLength(2);

    const repair = await gecko(['doctor', '--repair-cursors', '--db', file]);
    expect(repair).toEqual({
      code: 0,
      stdout: [
        `repaired 2 cursors in ${file}:`,
        `  ${pool}: 2099-01-01 00:00:00.000000 (solana_ghost) -> ${stored(Date.parse(newest.blockTimestamp))} (${newest.id})`,
        `  solana_empty: ${stored(now - 3_600_000)} (solana_gone) -> removed (no stored trade: the pool starts afresh)`,
        '',
      ].join('\n'),
      stderr: '',
    });
    expect(cursorRows(file)).toEqual([
      { pool_id: pool, last_trade_id: newest.id, last_trade_timestamp: stored(Date.parse(newest.blockTimestamp)) },
    ]);
    const after = await gecko(['doctor', '--db', file]);
    expect(after.code).toBe(0);
    expect(after.stdout).not.toContain('cursors to repair');
  });

  it('a writer opening the file repairs them, logs each, and counts them in its open info', async () => {
    const file = path.join(dir, 'poisoned-open.db');
    await makeDatabase(file);
    const m = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(file) });
    const info = await m.initialize();
    await m.close();
    expect(info.cursorsRepaired).toBe(2);
    expect(cursorRows(file)).toEqual([
      { pool_id: pool, last_trade_id: newest.id, last_trade_timestamp: stored(Date.parse(newest.blockTimestamp)) },
    ]);
    expect(fs.existsSync(file)).toBe(true);
  });
});
