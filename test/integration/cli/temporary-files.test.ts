// Files replaced whole (`export --out`, `ohlcv --out`, the metrics file beside the database) never write through a
// file planted where their temporary file goes, and leave no temporary file behind when they fail or are stopped.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replaceFile, replaceFileText } from '../../../src/common/atomic-file.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { readMetricsFile } from '../../../src/run/metrics-file.ts';
import { cli } from '../../support/collect-run.ts';
import { fixtureTrades } from '../../support/fixtures.ts';
import { testSchema } from '../../support/postgres.ts';
import { BIN } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';
import { csvRecords, newDatabase } from '../export/export-fixtures.ts';

const dir = tempDir('gecko-temp-files-');
const VICTIM_TEXT = 'the victim file: must stay as it is\n';

/** A file outside the output's folder, and a symlink to it at each of `names` (in `folder`). */
function plant(folder: string, names: string[]): string {
  const victim = path.join(dir, `victim-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(victim, VICTIM_TEXT);
  for (const name of names) fs.symlinkSync(victim, path.join(folder, name));
  return victim;
}

/** Names that look like the helper's own temporary names for `target` (`.NAME.<16 hex>.tmp`). */
function guessedNames(target: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `.${target}.${i.toString(16).padStart(16, '0')}.tmp`);
}

const leftovers = (folder: string) =>
  fs.readdirSync(folder).filter((f) => f.endsWith('.tmp') || f.endsWith('.partial'));

const trades = fixtureTrades();
const db = newDatabase(dir, 'source.db', trades);

describe('planted symlinks', () => {
  it('export --out out.csv writes its own file, not through .out.csv.partial or a guessed name', async () => {
    const folder = fs.mkdtempSync(path.join(dir, 'export-'));
    const planted = ['.out.csv.partial', ...guessedNames('out.csv', 50)];
    const victim = plant(folder, planted);
    const out = path.join(folder, 'out.csv');
    const r = await cli(['export', '--db', await db, '--out', out, '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(victim, 'utf8')).toBe(VICTIM_TEXT);
    expect(fs.lstatSync(out).isFile()).toBe(true);
    expect(csvRecords(fs.readFileSync(out, 'utf8'))).toHaveLength(trades.length + 1);
    // The planted links are left as they were; no temporary file of the run is left.
    expect(leftovers(folder).sort()).toEqual(
      planted.filter((n) => n.endsWith('.tmp') || n.endsWith('.partial')).sort(),
    );
  });

  it('ohlcv --out goes the same way', async () => {
    const folder = fs.mkdtempSync(path.join(dir, 'ohlcv-'));
    const victim = plant(folder, ['.candles.csv.partial', ...guessedNames('candles.csv', 20)]);
    const out = path.join(folder, 'candles.csv');
    const r = await cli(['ohlcv', '--db', await db, '--out', out, '--format', 'csv', '--timeframe', '1h']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(victim, 'utf8')).toBe(VICTIM_TEXT);
    expect(fs.readFileSync(out, 'utf8')).toMatch(/^pool_id,bucket_start,open,/);
  });

  it('the metrics file is not written through <db>.metrics.json.<pid>.tmp or a guessed name', async () => {
    const folder = fs.mkdtempSync(path.join(dir, 'metrics-'));
    const file = path.join(folder, 'run.db');
    // collect runs in this process here: its pid is the one the old temporary name used.
    const victim = plant(folder, [
      `run.db.metrics.json.${process.pid}.tmp`,
      ...guessedNames('run.db.metrics.json', 20),
    ]);
    const r = await cli(['collect', '--simulate', '--duration', '1', '--collectors', '1', '--db', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(victim, 'utf8')).toBe(VICTIM_TEXT);
    expect(readMetricsFile(`${file}.metrics.json`)).toMatchObject({ finishedAt: expect.any(Number) });
  });
});

describe('a write that fails or is stopped', () => {
  it('leaves the old file as it was and no temporary file (failing write, failing rename)', async () => {
    const folder = fs.mkdtempSync(path.join(dir, 'fail-'));
    const target = path.join(folder, 'kept.txt');
    fs.writeFileSync(target, 'old\n');
    await expect(
      replaceFile(target, async (stream) => {
        stream.write('half of the new content');
        throw new Error('the source failed midway');
      }),
    ).rejects.toThrow('the source failed midway');
    expect(fs.readFileSync(target, 'utf8')).toBe('old\n');
    expect(fs.readdirSync(folder)).toEqual(['kept.txt']);
    // A target that is a folder: the rename fails, the temporary file goes.
    const taken = path.join(folder, 'a-folder');
    fs.mkdirSync(taken);
    await expect(replaceFileText(taken, 'x')).rejects.toMatchObject({ syscall: 'rename' });
    expect(fs.readdirSync(folder).sort()).toEqual(['a-folder', 'kept.txt']);
    await replaceFileText(target, 'new\n');
    expect(fs.readFileSync(target, 'utf8')).toBe('new\n');
    expect(fs.readdirSync(folder).sort()).toEqual(['a-folder', 'kept.txt']);
  });

  it('export of a database it cannot read leaves neither --out nor a temporary file', async () => {
    const folder = fs.mkdtempSync(path.join(dir, 'missing-'));
    const r = await cli(['export', '--db', path.join(folder, 'none.db'), '--out', path.join(folder, 'out.csv')]);
    expect(r.code).toBe(1);
    expect(fs.readdirSync(folder)).toEqual([]);
  });

  it('export interrupted by Ctrl-C (SIGINT) while it writes removes its temporary file and exits by the signal', async () => {
    // The export waits on a lock held here, so it is stopped with its temporary file open, whatever the load.
    const t = await testSchema('temp_files');
    const m = new LockOptimizedDatabaseManager({ url: t.url }, { deferred: { path: path.join(dir, 'pg.spool') } });
    await m.initialize();
    await m.close();
    await t.sql.query('BEGIN');
    await t.sql.query('LOCK TABLE trades IN ACCESS EXCLUSIVE MODE');
    const folder = fs.mkdtempSync(path.join(dir, 'interrupt-'));
    const out = path.join(folder, 'out.csv');
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.VITEST;
    const child = spawn(process.execPath, [BIN, 'export', '--db', t.url, '--out', out], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      await until(() => leftovers(folder).length === 1 || child.exitCode !== null, 30_000, 'the temporary file');
      expect(child.exitCode, stderr).toBeNull();
      child.kill('SIGINT');
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: null, signal: 'SIGINT' });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await t.sql.query('ROLLBACK');
    }
    expect(fs.readdirSync(folder)).toEqual([]);
  });
});
