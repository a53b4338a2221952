// `collect` as a service manager sees it: each exit code (1 database in use, 2 bad setting from any source,
// 3 no poll succeeded, 4 credentials refused — before the run or from a collector thread), the summary as one
// JSON object, pools from the Python collector's watchlist.csv and watchlist table, `config --print` with
// sources and the key masked, and /healthz turning 503 when no poll succeeds.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { runCollection, startCollection } from '../../../src/run/collection-run.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import { DatabaseLock } from '../../../src/storage/sqlite/database-lock.ts';
import { cli, field } from '../../support/collect-run.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { untilValue } from '../../support/until.ts';

const dir = tempDir('gecko-service-');
const KEY = 'CG-right-key-0123456789';
let sim: GeckoSimulator;
let paid: GeckoSimulator;

beforeAll(async () => {
  sim = await startGeckoSimulator({ seed: 3, pools: 4, tradesPerSecond: 2, historySeconds: 60 });
  paid = await startGeckoSimulator({ seed: 4, pools: 2, tradesPerSecond: 2, historySeconds: 60, apiKey: KEY });
});
afterAll(async () => {
  await sim.close();
  await paid.close();
});

const fast = ['--duration', '0.8', '--poll-interval', '0.2', '--calls-per-minute', '6000', '--collectors', '2'];
const db = (name: string) => path.join(dir, name);

async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('exit codes', () => {
  it('1: the database is being written by another run', async () => {
    const lock = DatabaseLock.acquire(db('held.db'));
    try {
      const r = await cli(['collect', '--simulate', '--duration', '1', '--db', db('held.db')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^gecko-collector collect: .*held\.db is already being written by .*\[DATABASE_IN_USE\]\n$/,
      );
    } finally {
      lock.release();
    }
  });

  it('2: a bad environment variable or config file, in one line', async () => {
    const level = await withEnv({ GECKO_LOG_LEVEL: 'verbose' }, () => cli(['collect', '--simulate']));
    expect(level).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'gecko-collector collect: GECKO_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"\n',
    });
    const doctor = await withEnv({ GECKO_LOG_LEVEL: 'verbose' }, () => cli(['doctor', '--db', db('none.db')]));
    expect(doctor.code).toBe(2);
    const yaml = db('bad.yaml');
    fs.writeFileSync(yaml, 'api:\n  calls_per_minute: fast\n');
    const file = await cli(['collect', '--simulate', '--config', yaml]);
    expect(file.code).toBe(2);
    expect(file.stderr).toBe(
      `gecko-collector collect: ${yaml}: api.calls_per_minute must be an integer from 1 to 60000, got "fast"\n`,
    );
    const env = await withEnv({ GECKO_COLLECTORS: '0' }, () => cli(['collect', '--simulate']));
    expect(env.stderr).toBe('gecko-collector collect: GECKO_COLLECTORS must be an integer from 1 to 256, got "0"\n');
  });

  it('3: no poll succeeded (every pool unknown to the API), with the summary still printed', async () => {
    const r = await cli([
      'collect',
      '--pools',
      'nosuchpoolA,nosuchpoolB',
      '--base-url',
      sim.baseUrl,
      ...fast,
      '--db',
      db('unknown.db'),
    ]);
    expect(r.code).toBe(3);
    expect(field(r.stdout, 'outcome')).toBe('no API request succeeded');
    expect(field(r.stdout, 'polls')).toMatch(/^[1-9][\d,]* \(0 answered with data\)$/);
    expect(r.stderr).toMatch(
      /^gecko-collector collect: no trades poll succeeded in [\d,]+ requests \(API unreachable, or every pool unknown: see the log\)\n$/,
    );
  });

  it('4: the API refuses the key: one line, no key in it, before anything is collected', async () => {
    const wrong = 'CG-wrong-key-9876543210';
    const pool = paid.pools[0]!.address;
    const r = await cli([
      'collect',
      '--api-key',
      wrong,
      '--base-url',
      paid.baseUrl,
      '--pools',
      pool,
      ...fast,
      '--db',
      db('refused.db'),
    ]);
    expect(r).toEqual({
      code: 4,
      stdout: '',
      stderr:
        'gecko-collector collect: the API refused the API key (HTTP 401 Unauthorized): check --api-key / GECKO_API_KEY and the plan it belongs to\n',
    });
    const keyless = await cli([
      'collect',
      '--base-url',
      paid.baseUrl,
      '--pools',
      pool,
      ...fast,
      '--db',
      db('refused.db'),
    ]);
    expect(keyless.code).toBe(4);
    expect(keyless.stderr).toMatch(
      /refused the request without an API key \(HTTP 401 Unauthorized\): this base URL needs --api-key/,
    );
  });

  it('4 from a collector thread: one refused poll stops every collector at once', async () => {
    const s = await runCollection({
      baseUrl: paid.baseUrl,
      apiKey: 'CG-wrong-key-9876543210',
      pools: paid.pools.map((p) => p.address),
      poolMetadata: false,
      collectors: 2,
      pollIntervalMs: 200,
      callsPerMinute: 6000,
      durationMs: 60_000,
      dbUrl: urlFromDatabasePath(db('refused-thread.db')),
    });
    expect(s.outcome).toBe('auth-refused');
    expect(s.authRefused).toEqual({
      status: 401,
      message: expect.stringMatching(/^the API refused the API key \(HTTP 401/),
    });
    expect(s.stored).toBe(0);
    // The refusal stopped the run, not its 60 s duration.
    expect(s.durationMs).toBeLessThan(60_000);
  });
});

describe('collect --json', () => {
  it('prints the summary as one JSON object on stdout', async () => {
    const r = await cli(['collect', '--simulate', '--duration', '1', '--json', '--db', db('json.db')]);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    const s = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(s).toMatchObject({ outcome: 'collected', manager: 'funnel', tradesInSpool: 0, dbPath: db('json.db') });
    expect(s.stored).toBeGreaterThan(0);
    expect(s.stored).toBe((s.simulator as { servedNew: number }).servedNew);
  });
});

describe('watchlist input', () => {
  it('--pools-file reads the Python collector watchlist.csv and says what it skipped; --watchlist reads the table', async () => {
    const [a, b, c] = sim.pools.map((p) => p.address);
    const csv = db('watchlist.csv');
    fs.writeFileSync(
      csv,
      [
        'id,pool_id,token_symbol,token_name,network_address,is_active,created_at,updated_at,metadata_json',
        `1,solana_${a},AAA,"Token, A",addrA,1,2025-08-01 10:00:00,,`,
        `2,solana_${b},BBB,Token B,addrB,1,,,`,
        `3,solana_${c},CCC,Token C,addrC,0,,,`,
        '4,eth_0xdeadbeef,DDD,Token D,0xD,1,,,',
      ].join('\n'),
    );
    const dbPath = db('watchlist.db');
    const r = await cli(['collect', '--pools-file', csv, '--base-url', sim.baseUrl, ...fast, '--db', dbPath]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`pools from ${csv}: 2 active pools; 1 inactive row skipped; 1 pool of eth skipped\n`);
    const state = new Database(dbPath);
    try {
      const polled = state.prepare('SELECT pool_id FROM collection_state ORDER BY pool_id').pluck().all();
      expect(polled).toEqual([`solana_${a}`, `solana_${b}`].sort());
      // The watchlist table, as the Python collector keeps it: c active now, a inactive.
      state
        .prepare('INSERT INTO pools (id, address, dex_id) SELECT ?, ?, dex_id FROM pools LIMIT 1')
        .run(`solana_${c}`, c);
      const add = state.prepare('INSERT INTO watchlist (pool_id, token_symbol, is_active) VALUES (?, ?, ?)');
      add.run(`solana_${a}`, 'AAA', 0);
      add.run(`solana_${c}`, 'CCC', 1);
    } finally {
      state.close();
    }
    const fromTable = await cli(['collect', '--watchlist', '--base-url', sim.baseUrl, ...fast, '--db', dbPath]);
    expect(fromTable.code).toBe(0);
    expect(field(fromTable.stdout, 'pools from')).toBe('watchlist table: 1 active pool; 1 inactive row skipped');
    expect(field(fromTable.stdout, 'manager')).toMatch(/, 1 pools \(solana\)/);
    const empty = await cli(['collect', '--watchlist', '--base-url', sim.baseUrl, ...fast, '--db', db('nowatch.db')]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/watchlist table has no active pool of solana/);
  });
});

describe('config --print', () => {
  it('shows each effective value and its source, the key masked', async () => {
    const yaml = db('print.yaml');
    fs.writeFileSync(yaml, 'database:\n  url: sqlite:///from-file.db\ncollection:\n  interval: 2m\n  workers: 3\n');
    const r = await withEnv({ GECKO_API_KEY: KEY, GECKO_CONFIG: yaml, GECKO_COLLECTORS: '5' }, () =>
      cli(['config', '--print', '--collectors', '6']),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(KEY);
    const row = (key: string) =>
      r.stdout
        .split('\n')
        .find((l) => l.startsWith(`${key} `))
        ?.replace(/\s+/g, ' ');
    expect(r.stdout.split('\n')[0]).toBe(`config file: ${yaml}`);
    expect(row('api-key')).toBe('api-key ******** (set, hidden) GECKO_API_KEY');
    expect(row('collectors')).toBe('collectors 6 --collectors');
    expect(row('poll-interval')).toBe(`poll-interval 120 ${yaml}: collection.interval`);
    expect(row('calls-per-minute')).toBe('calls-per-minute 500 default (with an API key)');
    expect(row('base-url')).toBe('base-url https://pro-api.coingecko.com/api/v3/onchain default (with an API key)');
    expect(row('db')).toBe(`db sqlite:///${path.resolve('from-file.db')} ${yaml}: database.url`);
    const json = await withEnv({ GECKO_API_KEY: KEY }, () => cli(['config', '--print', '--json']));
    expect(json.stdout).not.toContain(KEY);
    const parsed = JSON.parse(json.stdout) as { settings: { key: string; value: unknown; from: string }[] };
    expect(parsed.settings.find((s) => s.key === 'api-key')).toEqual({
      key: 'api-key',
      value: '(set, hidden)',
      from: 'GECKO_API_KEY',
    });
  });
});

describe('/healthz', () => {
  it('answers 503 with the reason once no poll succeeded for N poll intervals', async () => {
    const handle = await startCollection({
      baseUrl: sim.baseUrl,
      pools: ['nosuchpool'],
      poolMetadata: false,
      collectors: 1,
      pollIntervalMs: 200,
      callsPerMinute: 6000,
      healthPort: 0,
      healthStaleIntervals: 2,
      dbUrl: urlFromDatabasePath(db('health.db')),
    });
    try {
      expect(handle.healthUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/healthz$/);
      await handle.ready;
      const res = await untilValue(
        async () => {
          const r = await fetch(handle.healthUrl!);
          if (r.status === 503) return r;
          await r.body?.cancel();
          return undefined;
        },
        30_000,
        '/healthz to answer 503',
      );
      const body = (await res.json()) as { healthy: boolean; reasons: string[] };
      expect(body.healthy).toBe(false);
      expect(body.reasons[0]).toMatch(/^no poll succeeded for \d+ s \(none since the start 2 poll intervals\)$/);
    } finally {
      handle.stop();
      await handle.done;
    }
  });
});
