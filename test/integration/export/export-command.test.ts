// `gecko-collector export` on SQLite: CSV → import round trip exact (to the last of ~70 digits), NDJSON equal to the
// stored rows, Parquet read back by an independent reader (DuckDB), filters, bad flags, and reading while a
// collector writes the same file.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { normalizeTimestamp } from '../../../src/trades/trade-validation.ts';
import { cli, field } from '../../support/collect-run.ts';
import { BIN } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';
import {
  adoptedDatabase,
  csvRecords,
  newDatabase,
  OLD_ROW,
  OLD_ROW_TEXT,
  spreadTrades,
  withoutCreatedAt,
} from './export-fixtures.ts';

const dir = tempDir('gecko-export-');
const HEADER =
  'id,pool_id,block_number,tx_hash,tx_from_address,from_token_amount,to_token_amount,price_usd,volume_usd,side,block_timestamp,created_at';
const adopted = adoptedDatabase(dir);

type Row = Record<string, unknown>;
/** Every trade with its decimals' exact text (coalesce(x_exact, x) where the file has the exact columns). */
function storedTrades(file: string): Row[] {
  const db = new Database(file, { readonly: true });
  try {
    const cols = new Set(
      (db.prepare(`SELECT name FROM pragma_table_info('trades')`).all() as Row[]).map((c) => c.name),
    );
    const x = (c: string) => (cols.has(`${c}_exact`) ? `coalesce(${c}_exact, ${c}) AS ${c}` : c);
    return db
      .prepare(
        `SELECT id, pool_id, block_number, tx_hash, tx_from_address, ${x('from_token_amount')}, ${x('to_token_amount')},
           ${x('price_usd')}, ${x('volume_usd')}, side, block_timestamp FROM trades ORDER BY id`,
      )
      .all() as Row[];
  } finally {
    db.close();
  }
}

async function exportText(db: string, ...args: string[]): Promise<string> {
  const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const r = await cli(['export', '--db', db, '--out', out, ...args]);
  expect(r.code, r.stderr).toBe(0);
  return fs.readFileSync(out, 'utf8');
}

describe('export to CSV and back', () => {
  it('export → import into a new file → export again: every row and every digit the same', async () => {
    const a = await newDatabase(dir, 'a.db', spreadTrades());
    const first = await exportText(a, '--format', 'csv');
    const records = csvRecords(first);
    expect(records[0]!.join(',')).toBe(HEADER);
    expect(records).toHaveLength(1 + spreadTrades().length);
    // The fixture's longest decimals survive whole.
    expect(first).toContain('0.0000493804611736865774611869570754394294604142126779721093309794408');

    const csv = path.join(dir, 'a.csv');
    fs.writeFileSync(csv, first);
    const b = path.join(dir, 'b.db');
    const imported = await cli(['import', csv, '--db', b, '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ imported: spreadTrades().length, rejected: 0 });
    expect(storedTrades(b)).toEqual(storedTrades(a));
    expect(withoutCreatedAt(await exportText(b))).toBe(withoutCreatedAt(first));
  });

  it('an adopted file: the exact text beside NUMERIC, an old row without it as plain decimals; round trip exact', async () => {
    const file = await adopted;
    const text = await exportText(file);
    const byId = new Map(csvRecords(text).map((r) => [r[0], r]));
    const old = byId.get(OLD_ROW.id)!;
    expect(old.slice(5, 9)).toEqual([
      OLD_ROW_TEXT.from_token_amount,
      OLD_ROW_TEXT.to_token_amount,
      OLD_ROW_TEXT.price_usd,
      OLD_ROW_TEXT.volume_usd,
    ]);
    expect(old[11]).toBe(OLD_ROW.created_at);
    for (const t of spreadTrades()) {
      const r = byId.get(t.id)!;
      expect(r.slice(5, 11)).toEqual([
        t.fromTokenAmount,
        t.toTokenAmount,
        t.priceUsd,
        t.volumeUsd,
        t.side,
        normalizeTimestamp(t.blockTimestamp),
      ]);
    }
    const csv = path.join(dir, 'adopted.csv');
    fs.writeFileSync(csv, text);
    const c = path.join(dir, 'c.db');
    expect((await cli(['import', csv, '--db', c])).code).toBe(0);
    const again = storedTrades(c);
    const original = storedTrades(file).map((r) => (r.id === OLD_ROW.id ? { ...r, ...OLD_ROW_TEXT } : { ...r }));
    expect(again).toEqual(original);
  });
});

describe('NDJSON and filters', () => {
  it('NDJSON lines are the stored rows, in pool, block time, id order', async () => {
    const file = await adopted;
    const lines = (await exportText(file, '--format', 'ndjson'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Row);
    const stored = storedTrades(file).map((r) => (r.id === OLD_ROW.id ? { ...r, ...OLD_ROW_TEXT } : r));
    expect(lines.map(({ created_at: _, ...r }) => r).sort((x, y) => String(x.id).localeCompare(String(y.id)))).toEqual(
      [...stored].sort((x, y) => String(x.id).localeCompare(String(y.id))),
    );
    const key = (r: Row) => `${r.pool_id}\u0000${r.block_timestamp}\u0000${r.id}`;
    const keys = lines.map(key);
    expect(keys).toEqual([...keys].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
  });

  it('--pool, --network, --since and --until select what they say', async () => {
    const file = await adopted;
    const all = storedTrades(file);
    const ids = async (...args: string[]) =>
      csvRecords(await exportText(file, ...args))
        .slice(1)
        .map((r) => r[0])
        .sort();
    const expected = (keep: (r: Row) => boolean) =>
      all
        .filter(keep)
        .map((r) => r.id as string)
        .sort();
    expect(await ids('--pool', 'solana_SecondPool')).toEqual(expected((r) => r.pool_id === 'solana_SecondPool'));
    expect(await ids('--network', 'eth', '--pool', '0xThirdPool')).toEqual(
      expected((r) => r.pool_id === 'eth_0xThirdPool'),
    );
    expect(await ids('--pool', 'solana_SecondPool', '--pool', 'eth_0xThirdPool')).toEqual(
      expected((r) => r.pool_id !== 'solana_PoolFromFixture'),
    );
    expect(await ids('--network', 'solana')).toEqual(expected((r) => String(r.pool_id).startsWith('solana_')));
    const since = '2025-08-27 20:00:00.000000';
    const until = '2025-08-28 10:00:00.000000';
    const window = expected((r) => String(r.block_timestamp) >= since && String(r.block_timestamp) < until);
    expect(window.length).toBeGreaterThan(10);
    expect(window.length).toBeLessThan(all.length - 10);
    expect(await ids('--since', '2025-08-27T20:00:00Z', '--until', '2025-08-28 10:00')).toEqual(window);
  });
});

describe('Parquet', () => {
  it('typed columns read back by DuckDB: exact text, doubles, UTC timestamps', async () => {
    const file = await adopted;
    const out = path.join(dir, 'trades.parquet');
    const r = await cli(['export', '--db', file, '--format', 'parquet', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const duck = await DuckDBInstance.create(':memory:');
    const con = await duck.connect();
    try {
      const types = (await con.runAndReadAll(`DESCRIBE SELECT * FROM '${out}'`)).getRowObjectsJson();
      expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toMatchObject({
        id: 'VARCHAR',
        block_number: 'BIGINT',
        price_usd: 'DOUBLE',
        price_usd_exact: 'VARCHAR',
        volume_usd: 'DOUBLE',
        block_timestamp: 'TIMESTAMP WITH TIME ZONE',
        created_at: 'TIMESTAMP WITH TIME ZONE',
      });
      const rows = (
        await con.runAndReadAll(
          `SELECT id, pool_id, block_number, tx_hash, from_token_amount_exact AS from_token_amount,
             to_token_amount_exact AS to_token_amount, price_usd_exact AS price_usd, volume_usd_exact AS volume_usd,
             side, price_usd AS price_double, volume_usd AS volume_double,
             epoch_us(block_timestamp) AS block_us, epoch_us(created_at) AS created_us
           FROM '${out}' ORDER BY id`,
        )
      ).getRowObjectsJson();
      const stored = storedTrades(file).map((s) => (s.id === OLD_ROW.id ? { ...s, ...OLD_ROW_TEXT } : s));
      expect(rows).toHaveLength(stored.length);
      stored.sort((x, y) => (String(x.id) < String(y.id) ? -1 : 1));
      for (let i = 0; i < stored.length; i++) {
        const s = stored[i]!;
        const p = rows[i]!;
        expect(p).toMatchObject({
          id: s.id,
          pool_id: s.pool_id,
          block_number: String(s.block_number),
          tx_hash: s.tx_hash,
          from_token_amount: s.from_token_amount,
          to_token_amount: s.to_token_amount,
          price_usd: s.price_usd,
          volume_usd: s.volume_usd,
          side: s.side,
        });
        expect(p.price_double).toBe(Number(s.price_usd));
        expect(p.volume_double).toBe(Number(s.volume_usd));
        const ts = String(s.block_timestamp);
        expect(Number(p.block_us)).toBe(
          Date.parse(`${ts.slice(0, 19).replace(' ', 'T')}Z`) * 1000 + Number(ts.slice(20)),
        );
      }
      const old = rows.find((x) => x.id === OLD_ROW.id)!;
      expect(Number(old.created_us)).toBe(Date.parse('2025-09-04T23:57:56Z') * 1000);
    } finally {
      con.closeSync();
      duck.closeSync();
    }
  });

  it('export → import of the Parquet file into a new database → export again: every row, digit and created_at the same', async () => {
    const a = await newDatabase(dir, 'pq-a.db', spreadTrades());
    const out = path.join(dir, 'round.parquet');
    expect((await cli(['export', '--db', a, '--format', 'parquet', '--out', out])).code).toBe(0);
    const b = path.join(dir, 'pq-b.db');
    const imported = await cli(['import', out, '--db', b, '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({
      format: 'parquet',
      imported: spreadTrades().length,
      rejected: 0,
    });
    expect(storedTrades(b)).toEqual(storedTrades(a));
    // created_at included, to the microsecond: the CSV exports of both databases are the same text.
    expect(await exportText(b)).toBe(await exportText(a));
    const again = await cli(['import', out, '--db', b, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ imported: 0, duplicates: spreadTrades().length });
  });

  it('a Parquet file that is not a trades export: exit 1 naming the missing columns, no database created', async () => {
    const other = path.join(dir, 'other.parquet');
    const { parquetWriteFile } = await import('hyparquet-writer');
    await parquetWriteFile({ filename: other, columnData: [{ name: 'x', data: [1, 2], type: 'INT32' }] });
    const db = path.join(dir, 'never.db');
    const r = await cli(['import', other, '--db', db]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/other\.parquet is not a gecko-collector trades Parquet file .*no column id, pool_id/);
    expect(fs.existsSync(db)).toBe(false);
  });
});

describe('bad input', () => {
  it('--pool of a pool the database does not know: exit 1, one line on stderr naming it, nothing written', async () => {
    const file = await newDatabase(dir, 'pools.db', spreadTrades());
    const out = path.join(dir, 'unknown.csv');
    const r = await cli([
      'export',
      '--db',
      file,
      '--pool',
      'solana_SecondPool',
      '--pool',
      'solana_NoSuch',
      '--out',
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `gecko-collector export: pool solana_NoSuch not in ${file} (no pools row, no trade; doctor lists the pools it holds): nothing exported [POOL_UNKNOWN]\n`,
    );
    expect(r.stdout).toBe('');
    expect(fs.readdirSync(dir).filter((f) => f.includes('unknown.csv'))).toEqual([]);
    // A known pool with no trades in the window is an empty export, not an error.
    const empty = await cli(['export', '--db', file, '--pool', 'solana_SecondPool', '--since', '2100-01-01']);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stderr).toBe('exported 0 trades (csv)\n');
  });

  it('bad flags exit 2 with a line naming the flag; a missing database exits 1 and is not created', async () => {
    const file = await adopted;
    const cases: [string[], RegExp][] = [
      [['--format', 'xml'], /--format must be one of csv, ndjson, parquet, got "xml"/],
      [['--since', 'yesterday'], /--since must be a UTC date or date-time.*got "yesterday"/],
      [['--until', '2025-02-30'], /--until must be a UTC date/],
      [['--since', '2025-08-29', '--until', '2025-08-28'], /--since \(2025-08-29\) must be before --until/],
      [
        ['--pool', 'SomeAddress'],
        /--pool "SomeAddress" is an address: give the pool id \(solana_SomeAddress\) or --network/,
      ],
      [['--network', 'sol ana'], /--network must be a network id/],
      [['--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['export', '--db', file, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const missing = path.join(dir, 'missing.db');
    const r = await cli(['export', '--db', missing, '--out', path.join(dir, 'x.csv')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/database file not found: .*missing\.db/);
    expect(fs.existsSync(missing)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.includes('x.csv'))).toEqual([]);
    const nowhere = await cli(['export', '--db', file, '--out', path.join(dir, 'no-such-dir', 'x.csv')]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(
      /cannot write .*no-such-dir\/x\.csv: no such file or directory \[OUTPUT_UNWRITABLE\]/,
    );
  });

  it('--help lists every flag', async () => {
    const r = await cli(['export', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--format', '--out', '--pool', '--network', '--since', '--until', '--db', '--config'])
      expect(r.stdout).toContain(flag);
  });
});

describe('while a collector writes', () => {
  it('exports from a read-only connection while collect --simulate writes the file; the collector loses nothing', async () => {
    const db = path.join(dir, 'live.db');
    const spool = path.join(dir, 'live.spool');
    const child: ChildProcess = spawn(
      process.execPath,
      [BIN, 'collect', '--simulate', '--collectors', '2', '--db', db, '--spool', spool],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GECKO_LOG_LEVEL: 'warn' } },
    );
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.resume();
    const exited = once(child, 'exit');
    const counts: number[] = [];
    try {
      const stored = () => {
        if (!fs.existsSync(db)) return 0;
        const r = new Database(db, { readonly: true });
        try {
          return (r.prepare('SELECT count(*) AS n FROM trades').get() as { n: number }).n;
        } catch {
          return 0;
        } finally {
          r.close();
        }
      };
      await until(() => stored() > 0, 30_000, 'the first commit');
      // Export over and over while the collector keeps committing (at least 5 times), until an export has seen
      // it commit more; new trades come with the simulator's next polls, seconds apart.
      for (;;) {
        const text = await exportText(db, '--format', 'csv');
        const ids = csvRecords(text)
          .slice(1)
          .map((r) => r[0]);
        expect(new Set(ids).size).toBe(ids.length);
        counts.push(ids.length);
        if (counts.length >= 5 && counts[counts.length - 1]! > counts[0]!) break;
        if (counts.length >= 5) await until(() => stored() > counts[0]!, 30_000, 'the collector to commit more');
      }
    } finally {
      child.kill('SIGINT');
      const [code] = await exited;
      expect(code, stdout).toBe(0);
    }
    expect(field(stdout, 'stored == served')).toMatch(/^yes/);
    expect(counts.length).toBeGreaterThan(1);
    // Each export saw a snapshot: never fewer rows than the one before, and the writer went on meanwhile.
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1]!);
    expect(counts[counts.length - 1]).toBeGreaterThan(counts[0]!);
    const final = csvRecords(await exportText(db)).length - 1;
    expect(final).toBeGreaterThanOrEqual(counts[counts.length - 1]!);
  });
});
