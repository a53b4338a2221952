// The commands on PostgreSQL, as users run them: collect --simulate ends with stored == served, a second run
// resumes from the cursors, doctor reports the schema, pools and leases, and a missing database fails in one line.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PG_SCHEMA_VERSION } from '../../../src/storage/postgres/schema-migrations.ts';
import { cli, field } from '../../support/collect-run.ts';
import { PG_TEST_URL, testSchema } from '../../support/postgres.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-pg-cli-');
// A run on PostgreSQL keeps its local files (spool, metrics) in the state directory: this file's own.
const state = path.join(dir, 'state');
process.env.XDG_STATE_HOME = state;
process.chdir(dir);

describe('collect and doctor on PostgreSQL', () => {
  it('collect --simulate stores exactly what was served, twice in a row; doctor reads it back', async () => {
    const t = await testSchema();
    const spool = `${dir}/run.spool`;
    const args = ['collect', '--db', t.url, '--simulate', '--duration', '3', '--collectors', '2', '--spool', spool];
    const first = await cli(args);
    expect(first.code, first.stderr).toBe(0);
    expect(field(first.stdout, 'stored == served')).toMatch(/^yes/);
    expect(field(first.stdout, 'database')).toBe(t.url);
    const second = await cli(args);
    expect(second.code, second.stderr).toBe(0);
    expect(field(second.stdout, 'stored == served')).toMatch(/^yes/);
    expect(field(second.stdout, 'simulator served')).toMatch(/were stored before this run/);
    const stored = await t.count('SELECT count(*)::int AS n FROM trades');
    const doctor = await cli(['doctor', '--db', t.url, '--json']);
    expect(doctor.code).toBe(0);
    const report = JSON.parse(doctor.stdout) as {
      engine: string;
      schemaVersion: number;
      tables: { name: string; rows: number }[];
      pools: { tradeCount: number; cursor: unknown; lease: { holder: string | null } | null }[];
    };
    expect(report).toMatchObject({ engine: 'postgres', schemaVersion: PG_SCHEMA_VERSION });
    expect(report.tables.find((x) => x.name === 'trades')?.rows).toBe(stored);
    expect(report.pools.reduce((n, p) => n + p.tradeCount, 0)).toBe(stored);
    expect(report.pools.every((p) => p.cursor !== null && p.lease?.holder === null)).toBe(true);
  });

  it('without --spool a run keeps its lock and metrics in the state directory, none in the working directory; doctor lists only the files that exist', async () => {
    const t = await testSchema();
    const fresh = await cli(['doctor', '--db', t.url]);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout).toMatch(new RegExp(`local files +none in ${path.join(state, 'gecko-collector')}`));
    const work = fs.mkdtempSync(path.join(dir, 'work-'));
    process.chdir(work);
    try {
      const run = await cli(['collect', '--db', t.url, '--simulate', '--duration', '2', '--collectors', '2']);
      expect(run.code, run.stderr).toBe(0);
    } finally {
      process.chdir(dir);
    }
    expect(fs.readdirSync(work)).toEqual([]);
    const base = `pg-127.0.0.1-5432-test-${t.schema}`;
    const stateDir = path.join(state, 'gecko-collector');
    expect(fs.statSync(stateDir).mode & 0o777).toBe(0o700);
    // A clean run defers nothing: its spool file is never created, only the spool's lock and the metrics.
    expect(
      fs
        .readdirSync(stateDir)
        .filter((f) => f.startsWith(base))
        .sort(),
    ).toEqual([`${base}.metrics.json`, `${base}.spool.lock`]);
    const doctor = await cli(['doctor', '--db', t.url, '--json']);
    const report = JSON.parse(doctor.stdout) as { localFiles: string[]; lastRun: unknown; spool: unknown };
    expect(report.localFiles).toEqual([path.join(stateDir, `${base}.metrics.json`)]);
    expect(report.lastRun).not.toBeNull();
    expect(report.spool).toBeNull();
    const text = await cli(['doctor', '--db', t.url, '--wide']);
    expect(text.stdout).toMatch(/local files +\S+\.metrics\.json\n/);
    expect(text.stdout).not.toContain('.spool');
  });

  it('--spool still wins over the state directory', async () => {
    const t = await testSchema();
    const spool = path.join(dir, `own-${t.schema}.spool`);
    const run = await cli(['collect', '--db', t.url, '--simulate', '--duration', '1', '--spool', spool]);
    expect(run.code, run.stderr).toBe(0);
    expect(fs.existsSync(`${spool}.lock`)).toBe(true);
    expect(fs.readdirSync(path.join(state, 'gecko-collector')).some((f) => f.includes(`${t.schema}.spool`))).toBe(
      false,
    );
  });

  it('import writes a file exactly once into PostgreSQL, rejecting the bad line, and again only as duplicates', async () => {
    const t = await testSchema();
    const long = '98765432109876543210987654321.0123456789012345678901234567890123456789';
    const trade = (i: number, over: Record<string, unknown> = {}) =>
      JSON.stringify({
        id: `solana_1_tx${i}_0_1756300000`,
        poolId: 'solana_POOL1',
        blockNumber: 1,
        txHash: `tx${i}`,
        txFromAddress: null,
        fromTokenAmount: long,
        toTokenAmount: '1',
        priceUsd: '0.5',
        volumeUsd: '12.25',
        side: 'buy',
        blockTimestamp: '2025-08-27T13:06:40Z',
        ...over,
      });
    const file = `${dir}/trades.ndjson`;
    const firstSeen = '2025-09-04 23:57:56';
    fs.writeFileSync(
      file,
      `${[trade(1, { created_at: firstSeen }), trade(2), trade(3, { side: 'swap' }), trade(4)].join('\n')}\n`,
    );
    const args = ['import', file, '--db', t.url, '--json'];
    const first = await cli(args);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ ok: true, imported: 3, duplicates: 0, rejected: 1 });
    const again = JSON.parse((await cli(args)).stdout);
    expect(again).toMatchObject({ imported: 0, duplicates: 3, rejected: 1 });
    const rows = await t.query<{ a: string }>("SELECT from_token_amount::text AS a FROM trades WHERE id LIKE '%tx1_%'");
    expect(rows).toEqual([{ a: long }]);
    // The input's created_at is kept (the others get the write time); the pool the trades name has a row.
    const created = await t.query<{ id: string; c: string }>(
      `SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS c FROM trades ORDER BY id`,
    );
    expect(created[0]).toEqual({ id: 'solana_1_tx1_0_1756300000', c: firstSeen });
    expect(created.slice(1).every((r) => r.c > '2026')).toBe(true);
    expect(await t.query('SELECT id, address, dex_id FROM pools')).toEqual([
      { id: 'solana_POOL1', address: 'POOL1', dex_id: 'unknown-dex-solana' },
    ]);
  });

  it('import on the COPY path keeps every input created_at', async () => {
    const t = await testSchema();
    const lines = Array.from({ length: 1500 }, (_, i) =>
      JSON.stringify({
        id: `solana_${i}_c${i}_0_1756300000`,
        pool_id: `solana_POOL${i % 3}`,
        block_number: i,
        tx_hash: `c${i}`,
        from_token_amount: '1.5',
        to_token_amount: '2',
        price_usd: '0.5',
        volume_usd: '3',
        side: 'sell',
        block_timestamp: '2025-08-27T13:06:40Z',
        created_at: `2025-09-04 23:${String(i % 60).padStart(2, '0')}:56.000000`,
      }),
    );
    const file = `${dir}/copy.ndjson`;
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await cli(['import', file, '--db', t.url, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ imported: 1500, rejected: 0 });
    const kept = await t.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM trades
       WHERE to_char(created_at AT TIME ZONE 'UTC', 'MI') = lpad((split_part(id, '_', 2)::int % 60)::text, 2, '0')
         AND created_at < '2026-01-01'`,
    );
    expect(kept).toEqual([{ n: 1500 }]);
    expect(await t.query<{ n: number }>('SELECT count(*)::int AS n FROM pools')).toEqual([{ n: 3 }]);
  });

  it('a database that does not exist fails at start with one line, and the password never shows', async () => {
    const url = PG_TEST_URL.replace(/\/[^/?]+(\?.*)?$/, '/gecko_no_such_db').replace('://root@', '://root:hunter2@');
    const r = await cli(['collect', '--db', url, '--simulate', '--duration', '1', '--spool', `${dir}/x.spool`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/gecko_no_such_db.*does not exist/);
    expect(r.stderr).not.toContain('hunter2');
  });
});
