// `gecko-collector import`: the old collector's CSV (broken lines rejected with their line numbers), NDJSON,
// a saved JSON:API response, idempotent re-import, partial failure, and the CLI's exit codes.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { ImportCommandResult } from '../../../src/cli/import-command.ts';
import { main } from '../../../src/cli/main.ts';
import { sniffFormat } from '../../../src/import/format-detect.ts';
import { ImportFailedError } from '../../../src/import/import-errors.ts';
import { type ImportProgress, runImport, type TradeSink } from '../../../src/import/import-runner.ts';
import type { ImportItem } from '../../../src/import/import-source.ts';
import { splitCsvRecord } from '../../../src/import/legacy-csv-reader.ts';
import { quoteNumberLiterals } from '../../../src/import/ndjson-reader.ts';
import { captureIo } from '../../support/capture-io.ts';
import { BIN } from '../../support/repo.ts';
import { fixturePath, tempDir } from '../../support/temp-dir.ts';

const HEADER =
  'id,pool_id,block_number,tx_hash,tx_from_address,from_token_amount,to_token_amount,price_usd,volume_usd,side,block_timestamp,created_at,note';

function row(n: number, fields: Partial<Record<'amount' | 'side' | 'ts' | 'extra', string>> = {}): string {
  const id = `solana_${n}_tx${n}_0_17000000${n}`;
  return [
    id,
    'solana_PoolA',
    String(n),
    `tx${n}`,
    `"from${n}"`,
    fields.amount ?? '2.5',
    '10787911.48458',
    '0.0000493804611736866',
    '532.71',
    fields.side ?? 'buy',
    fields.ts ?? '2025-09-04 23:31:26.000000',
    '2025-09-04 23:31:27.000000',
    // A column the import ignores, where the quoting cases go (created_at must be a time: import keeps it).
    fields.extra ?? 'note',
  ].join(',');
}

// CRLF endings, one multi-line quoted field, and a broken line of each kind. Numbers are file lines.
const CSV_LINES = [
  /* 1 */ HEADER,
  /* 2 */ row(2, { amount: '1.5e-05', ts: '2025-10-03 10:22:16-06' }),
  /* 3 */ row(3, { extra: '"created, with a comma and ""quotes"""' }),
  /* 4 */ row(4, { side: 'hold' }),
  /* 5 */ row(5, { ts: 'yesterday at noon' }),
  /* 6 */ 'solana_6_tx6_0_1,solana_PoolA,6,tx6',
  /* 7 */ row(7).replace('"from7"', '"from7'),
  /* 8 */ row(8),
  /* 9 */ row(9, { amount: '-2.5' }),
  /* 10 */ row(10, { extra: '"spans' }),
  /* 11 */ 'two lines"',
  /* 12 */ row(2, { amount: '1.5e-05', ts: '2025-10-03 10:22:16-06' }),
  /* 13 */ row(13).replace('solana_PoolA', 'solana_Po"olA'),
  /* 14 */ '',
];

const EXPECTED_REJECTS: [number, string, RegExp][] = [
  [4, 'solana_4_tx4_0_170000004', /side is "hold"/],
  [5, 'solana_5_tx5_0_170000005', /blockTimestamp "yesterday at noon".*not a valid date-time/],
  [6, 'solana_6_tx6_0_1', /expected 13 fields as in the header, found 4/],
  [7, 'solana_7_tx7_0_170000007', /unterminated quoted field/],
  [9, 'solana_9_tx9_0_170000009', /fromTokenAmount is "-2.5".*non-negative decimal/],
  [13, 'solana_13_tx13_0_1700000013', /bad quoting: a quote inside unquoted field 2/],
];

async function run(args: string[]) {
  const cap = captureIo();
  const code = await main(args, cap.io);
  return { code, stdout: cap.stdout(), stderr: cap.stderr() };
}

/** Every stored trade, the amount columns read from their exact text (the *_exact columns). */
function tradesOf(dbPath: string): Record<string, string | number | null>[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db
      .prepare(
        `SELECT *, from_token_amount_exact AS from_token_amount, to_token_amount_exact AS to_token_amount,
           price_usd_exact AS price_usd, volume_usd_exact AS volume_usd FROM trades ORDER BY id`,
      )
      .all() as Record<string, string | number | null>[];
  } finally {
    db.close();
  }
}

describe('import command: legacy CSV', () => {
  const dir = tempDir('gecko-import-');
  const csv = path.join(dir, 'export.csv');
  fs.writeFileSync(csv, CSV_LINES.join('\r\n'));
  const dbPath = path.join(dir, 'gecko.db');
  const db = `sqlite:///${dbPath}`;

  it('imports the good lines and rejects each broken one with its line number and reason, without stopping', async () => {
    const r = await run(['import', csv, '--db', db]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    // Lines 2, 3, 8, 10 (+11) are new; line 12 repeats line 2's id.
    expect(lines[0]).toBe('imported 4, duplicates 1, rejected 6');
    expect(lines).toHaveLength(1 + EXPECTED_REJECTS.length);
    EXPECTED_REJECTS.forEach(([line, id, reason], i) => {
      expect(lines[i + 1]).toMatch(new RegExp(`^line ${line}: ${id}: `));
      expect(lines[i + 1]).toMatch(reason);
    });

    const rows = tradesOf(dbPath);
    expect(rows.map((t) => t.block_number)).toEqual([10, 2, 3, 8]);
    const two = rows.find((t) => t.block_number === 2)!;
    expect(two.from_token_amount).toBe('1.5e-05');
    expect(two.block_timestamp).toBe('2025-10-03 16:22:16.000000');
    expect(two.tx_from_address).toBe('from2');
    // The old collector's created_at (when it first saw the trade) is kept, not replaced by the import time.
    expect(two.created_at).toBe('2025-09-04 23:31:27.000000');
    expect(rows.find((t) => t.block_number === 3)!.block_timestamp).toBe('2025-09-04 23:31:26.000000');
  });

  it('importing the same file again finds every trade a duplicate', async () => {
    const r = await run(['import', csv, '--db', db, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as ImportCommandResult;
    expect(out).toMatchObject({
      ok: true,
      format: 'csv',
      records: 11,
      imported: 0,
      duplicates: 5,
      rejected: 6,
      rejectsOmitted: 0,
    });
    expect(out.rejects.map((j) => [j.line, j.id])).toEqual(EXPECTED_REJECTS.map(([line, id]) => [line, id]));
    expect(tradesOf(dbPath)).toHaveLength(4);
  });

  it('small batches give the same result', async () => {
    const other = path.join(dir, 'small-batches.db');
    const r = await run(['import', csv, '--db', `sqlite:///${other}`, '--batch', '1', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ imported: 4, duplicates: 1, rejected: 6, batches: 5 });
  });

  it('a header without the needed columns is an error naming them, and creates no database', async () => {
    const bad = path.join(dir, 'bad-header.csv');
    fs.writeFileSync(bad, 'id,pool_id,price\nx,y,1\n');
    const target = path.join(dir, 'never.db');
    const r = await run(['import', bad, '--db', `sqlite:///${target}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CSV header lacks block_number, tx_hash/);
    expect(fs.existsSync(target)).toBe(false);
  });
});

describe('import command: NDJSON and JSON:API', () => {
  const dir = tempDir('gecko-import-');

  it('reads camelCase and snake_case objects, keeps unquoted 70-digit numbers exact, rejects bad lines', async () => {
    const big = '532.712044209470242119280771152461839182058804794342390432123456789012';
    const file = path.join(dir, 'trades.ndjson');
    const camel = {
      id: 'solana_1_a_0_1',
      poolId: 'solana_P',
      blockNumber: 1,
      txHash: 'a',
      txFromAddress: null,
      fromTokenAmount: '1',
      toTokenAmount: '2',
      priceUsd: '3',
      volumeUsd: '4',
      side: 'buy',
      blockTimestamp: '2025-08-28T16:15:08Z',
    };
    const snake = `{"id":"solana_2_b_0_2","pool_id":"solana_P","block_number":2,"tx_hash":"b","tx_from_address":"f","from_token_amount":${big},"to_token_amount":"2","price_usd":1e-7,"volume_usd":"4","side":"sell","block_timestamp":"2025-08-28 16:15:09.000000","created_at":"2025-09-04T23:57:56Z"}`;
    fs.writeFileSync(
      file,
      `${[
        JSON.stringify(camel),
        snake,
        '',
        '{"id": "broken",',
        '[1,2]',
        JSON.stringify({ ...camel, id: 'solana_3_c_0_3', side: 'hold' }),
      ].join('\n')}\n`,
    );
    const dbPath = path.join(dir, 'nd.db');
    const r = await run(['import', file, '--db', `sqlite:///${dbPath}`]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('imported 2, duplicates 0, rejected 3');
    expect(lines[1]).toMatch(/^line 4: \?: not valid JSON/);
    expect(lines[2]).toMatch(/^line 5: \?: expected one trade object per line, got an array/);
    expect(lines[3]).toMatch(/^line 6: solana_3_c_0_3: side is "hold"/);
    const rows = tradesOf(dbPath);
    expect(rows[1]).toMatchObject({
      id: 'solana_2_b_0_2',
      from_token_amount: big,
      price_usd: '1e-7',
      block_number: 2,
      side: 'sell',
      created_at: '2025-09-04 23:57:56.000000',
    });
    expect(rows[0]).toMatchObject({
      id: 'solana_1_a_0_1',
      tx_from_address: null,
      block_timestamp: '2025-08-28 16:15:08.000000',
    });
  });

  it('imports the 300 trades of a saved GeckoTerminal response under --network/--pool', async () => {
    const dbPath = path.join(dir, 'api.db');
    const file = fixturePath('geckoterminal/trades_solana_sol-pump.json');
    const r = await run([
      'import',
      file,
      '--db',
      `sqlite:///${dbPath}`,
      '--network',
      'solana',
      '--pool',
      'PoolAddr',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: true,
      format: 'jsonapi',
      records: 300,
      imported: 300,
      duplicates: 0,
      rejected: 0,
    });
    const rows = tradesOf(dbPath);
    expect(rows).toHaveLength(300);
    expect(new Set(rows.map((t) => t.pool_id))).toEqual(new Set(['solana_PoolAddr']));

    const again = await run([
      'import',
      file,
      '--db',
      `sqlite:///${dbPath}`,
      '--network',
      'solana',
      '--pool',
      'PoolAddr',
    ]);
    expect(again.stdout).toBe('imported 0, duplicates 300, rejected 0\n');
  });

  it('one malformed trade in a response is a reject at data[i]; a wrong --network is refused', async () => {
    const doc = JSON.parse(fs.readFileSync(fixturePath('geckoterminal/trades_solana_sol-pump.json'), 'utf8')) as {
      data: { attributes: Record<string, unknown> }[];
    };
    doc.data[7]!.attributes.kind = 'swap';
    const file = path.join(dir, 'one-bad.json');
    fs.writeFileSync(file, JSON.stringify(doc, null, 1));
    const dbPath = path.join(dir, 'api2.db');
    const r = await run(['import', file, '--db', `sqlite:///${dbPath}`, '--network', 'solana', '--pool', 'P']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('imported 299, duplicates 0, rejected 1');
    expect(lines[1]).toMatch(
      /^data\[7\]: solana_\S+: attributes\.kind is "swap" \(string\), expected "buy" or "sell"$/,
    );

    const wrong = await run(['import', file, '--db', `sqlite:///${dbPath}`, '--network', 'eth', '--pool', 'P']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/start with "solana_", not "eth_"/);
  });

  it('a JSON:API file without --pool is a usage error (exit 2)', async () => {
    const r = await run([
      'import',
      fixturePath('geckoterminal/trades_solana_sol-pump.json'),
      '--db',
      `sqlite:///${path.join(dir, 'x.db')}`,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs --network and --pool/);
    expect(fs.existsSync(path.join(dir, 'x.db'))).toBe(false);
  });
});

describe('import command: failures and flags', () => {
  const dir = tempDir('gecko-import-');

  it('a missing file exits 1 naming the path and creates no database', async () => {
    const missing = path.join(dir, 'nope', 'export.csv');
    const target = path.join(dir, 'm.db');
    const r = await run(['import', missing, '--db', `sqlite:///${target}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(missing);
    expect(r.stderr).toMatch(/cannot read import file/);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('an unknown flag exits 2 with one line', async () => {
    const r = await run(['import', 'x.csv', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^gecko-collector import: .*--bogus/);
  });

  it('bad flag values and a missing FILE exit 2', async () => {
    for (const args of [
      ['import'],
      ['import', 'a.csv', '--batch', '0'],
      ['import', 'a.csv', '--format', 'xml'],
      ['import', 'a.csv', 'b.csv'],
      ['import', 'a.csv', '--db', 'postgres://x'],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('when a write fails halfway, the acknowledged batches are counted and nothing more is sent', async () => {
    const items: ImportItem[] = Array.from({ length: 10 }, (_, i) => ({
      kind: 'record',
      location: { line: i + 2, at: `line ${i + 2}` },
      candidate: {
        id: `t${i}`,
        poolId: 'p',
        blockNumber: i,
        txHash: null,
        txFromAddress: null,
        fromTokenAmount: '1',
        toTokenAmount: '1',
        priceUsd: '1',
        volumeUsd: '1',
        side: 'buy',
        blockTimestamp: '2025-08-28T16:15:08Z',
      },
    }));
    const stored: string[] = [];
    let calls = 0;
    const sink: TradeSink = {
      async storeTradeDataOptimized(trades) {
        if (++calls === 3) throw new Error('disk I/O error');
        stored.push(...trades.map((t) => t.id));
        return { inserted: trades.length, duplicates: 0, rejected: [] };
      },
    };
    async function* source() {
      yield* items;
    }
    const err = await runImport(source(), sink, { batchSize: 2, maxInFlight: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportFailedError);
    const failed = err as ImportFailedError;
    expect(failed.message).toMatch(/a write failed: disk I\/O error/);
    expect(failed.summary).toMatchObject({ imported: 4, batches: 2 });
    expect(stored).toEqual(['t0', 't1', 't2', 't3']);
    expect(calls).toBe(3);
  });

  it('reports progress after each acknowledged batch, counts only growing, the last equal to the summary', async () => {
    const items: ImportItem[] = Array.from({ length: 7 }, (_, i) => ({
      kind: 'record',
      location: { line: i + 2, at: `line ${i + 2}` },
      candidate: {
        id: `p${i % 5}`,
        poolId: 'p',
        blockNumber: i,
        txHash: null,
        txFromAddress: null,
        fromTokenAmount: '1',
        toTokenAmount: '1',
        priceUsd: '1',
        volumeUsd: '1',
        side: 'buy',
        blockTimestamp: '2025-08-28T16:15:08Z',
      },
    }));
    const seen = new Set<string>();
    const sink: TradeSink = {
      async storeTradeDataOptimized(trades) {
        const fresh = trades.filter((t) => !seen.has(t.id));
        for (const t of fresh) seen.add(t.id);
        return { inserted: fresh.length, duplicates: trades.length - fresh.length, rejected: [] };
      },
    };
    async function* source() {
      yield* items;
    }
    const progress: ImportProgress[] = [];
    const summary = await runImport(source(), sink, {
      batchSize: 2,
      maxInFlight: 1,
      onProgress: (p) => progress.push(p),
    });
    expect(progress.map((p) => p.batches)).toEqual([1, 2, 3, 4]);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]!.imported + progress[i]!.duplicates).toBeGreaterThan(
        progress[i - 1]!.imported + progress[i - 1]!.duplicates,
      );
    expect(progress.at(-1)).toMatchObject({
      imported: summary.imported,
      duplicates: summary.duplicates,
      batches: summary.batches,
    });
    expect(summary).toMatchObject({ imported: 5, duplicates: 2 });
  });

  it('draws a progress line on stderr when it is a terminal, clears it, and keeps stdout for the result', async () => {
    const csv = path.join(dir, 'progress.csv');
    fs.writeFileSync(csv, `${[HEADER, ...Array.from({ length: 40 }, (_, i) => row(i + 100))].join('\n')}\n`);
    const tty = captureIo();
    (tty.io.stderr as { isTTY?: boolean }).isTTY = true;
    expect(
      await main(
        ['import', csv, '--db', `sqlite:///${path.join(dir, 'progress.db')}`, '--batch', '10', '--json'],
        tty.io,
      ),
    ).toBe(0);
    expect(tty.stderr()).toMatch(
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal escape is what is checked
      /^\rimport: \d+ read, \d+ imported, 0 duplicates, 0 rejected \([\d,]+\/s\)\x1b\[K/,
    );
    expect(tty.stderr().endsWith('\r\x1b[K')).toBe(true);
    expect(JSON.parse(tty.stdout())).toMatchObject({ ok: true, imported: 40 });
    // Not a terminal (a pipe, a log file): no progress line at all.
    const piped = await run(['import', csv, '--db', `sqlite:///${path.join(dir, 'progress.db')}`, '--batch', '10']);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).toBe('imported 0, duplicates 40, rejected 0\n');
  });

  it('through the real bin, --json stdout is exactly one JSON object', async () => {
    const csv = path.join(dir, 'bin.csv');
    fs.writeFileSync(csv, `${[HEADER, row(2), row(3)].join('\n')}\n`);
    const env = { ...process.env };
    delete env.GECKO_LOG_LEVEL;
    delete env.VITEST;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [BIN, 'import', csv, '--db', `sqlite:///${path.join(dir, 'bin.db')}`, '--json'],
      { env },
    );
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, imported: 2, rejected: 0 });
  });
});

describe('import building blocks', () => {
  it('splits RFC 4180 records', () => {
    expect(splitCsvRecord('a,"b,c","d""e",,')).toEqual({ kind: 'ok', fields: ['a', 'b,c', 'd"e', '', ''] });
    expect(splitCsvRecord('"x\ny",z')).toEqual({ kind: 'ok', fields: ['x\ny', 'z'] });
    expect(splitCsvRecord('a,"b')).toEqual({ kind: 'open-quote' });
    expect(splitCsvRecord('a,"b"c').kind).toBe('error');
    expect(splitCsvRecord('a,b"c').kind).toBe('error');
  });

  it('quotes number literals outside strings only', () => {
    expect(quoteNumberLiterals('{"a":1.50,"b":"x 2, y","c":[-3e-7,null,true],"d\\"5":6}')).toBe(
      '{"a":"1.50","b":"x 2, y","c":["-3e-7",null,true],"d\\"5":"6"}',
    );
  });

  it('sniffs formats', () => {
    expect(sniffFormat('{"id":"a"}\n{"id":"b"}\n')).toBe('ndjson');
    expect(sniffFormat('{\n "data": [\n')).toBe('jsonapi');
    expect(sniffFormat('{"data":[]}')).toBe('jsonapi');
    expect(sniffFormat(`${HEADER}\n`)).toBe('csv');
    expect(sniffFormat('hello')).toBeUndefined();
  });
});
