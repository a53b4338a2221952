// `collect` refuses a --db it must not write, before touching it: a text file, another application's SQLite
// file (its own `pools` table), a database or directory that cannot be written. Each: exit 2, one line naming
// the path and what was found, and the file and its directory exactly as they were (bytes, mtime, no new file).
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ForeignDatabaseError } from '../../../src/errors.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { BIN } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

const exec = promisify(execFile);
const dir = tempDir('gecko-refused-');
const immutable: string[] = [];
afterAll(async () => {
  for (const p of immutable) await exec('chattr', ['-i', p]).catch(() => undefined);
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `gecko-collector collect --simulate` in its own process, against `db`. */
async function collect(db: string): Promise<Run> {
  try {
    const r = await exec(
      process.execPath,
      [BIN, 'collect', '--simulate', '--duration', '1', '--log-level', 'error', '--db', db],
      {
        timeout: 60_000,
      },
    );
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Everything observable about a directory: each entry's bytes (hashed), size and mtime, and the directory's mtime. */
function snapshot(d: string): unknown {
  return {
    dirMtime: fs.statSync(d).mtimeMs,
    entries: fs
      .readdirSync(d)
      .sort()
      .map((name) => {
        const st = fs.statSync(path.join(d, name));
        const hash = st.isFile()
          ? crypto
              .createHash('sha256')
              .update(fs.readFileSync(path.join(d, name)))
              .digest('hex')
          : 'dir';
        return { name, size: st.size, mtime: st.mtimeMs, hash };
      }),
  };
}

function caseDir(name: string): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d);
  return d;
}

describe('foreign files are refused before anything touches them', () => {
  it('a text file: exit 2, its path and "a text file" in one line, no .lock left', async () => {
    const d = caseDir('text');
    const file = path.join(d, 'text.db');
    fs.writeFileSync(file, 'not a database\nsecond line\n');
    const before = snapshot(d);
    const r = await collect(file);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `gecko-collector collect: ${file} is not a gecko-collector database nor the Python collector's: found a text file (first line "not a database"). Nothing was changed; give --db a new file name or the right database.\n`,
    );
    expect(snapshot(d)).toEqual(before);
  });

  it("another application's SQLite file with its own pools table: exit 2, nothing changed (no WAL, no user_version, no tables)", async () => {
    const d = caseDir('app');
    const file = path.join(d, 'app.db');
    const app = new Database(file);
    app.exec("CREATE TABLE pools (pid INTEGER PRIMARY KEY, owner TEXT); INSERT INTO pools VALUES (1, 'x');");
    app.close();
    const before = snapshot(d);
    const r = await collect(file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^gecko-collector collect: \S+app\.db is not a gecko-collector database nor the Python collector's: found an SQLite database whose table pools has no columns id, address, name, dex_id \(tables: pools\)\. Nothing was changed; .*\n$/,
    );
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(snapshot(d)).toEqual(before);
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(0);
    expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
    check.close();
  });

  it('an SQLite file of another application in WAL mode with no trades table: refused, no -wal/-shm created', async () => {
    const d = caseDir('wal');
    const file = path.join(d, 'other.db');
    const app = new Database(file);
    app.pragma('journal_mode = WAL');
    app.exec('CREATE TABLE users (name TEXT)');
    app.close();
    const before = snapshot(d);
    const r = await collect(file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('found an SQLite database of another application (tables: users; no trades table)');
    expect(snapshot(d)).toEqual(before);
  });
});

describe('a database that cannot be written is refused at start', () => {
  it('a read-only (immutable) database file: exit 2, names the file, collects nothing', async () => {
    const d = caseDir('ro-file');
    const file = path.join(d, 'ro.db');
    const made = await collect(file);
    expect(made.code).toBe(0);
    await exec('chattr', ['+i', file]);
    immutable.push(file);
    const before = snapshot(d);
    const r = await collect(file);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `gecko-collector collect: ${file} cannot be written: ${file} is not writable (EPERM). Nothing would be stored; make it writable or choose another file.\n`,
    );
    expect(snapshot(d)).toEqual(before);
  });

  it('a new database in a directory that cannot be written: exit 2, names the directory', async () => {
    const d = caseDir('ro-dir');
    await exec('chattr', ['+i', d]);
    immutable.push(d);
    const file = path.join(d, 'new.db');
    const r = await collect(file);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `gecko-collector collect: ${file} cannot be written: its directory ${d} is not writable (EPERM). Nothing would be stored; make it writable or choose another file.\n`,
    );
    expect(fs.readdirSync(d)).toEqual([]);
  });

  it('a damaged SQLite file: the library refuses it with a ForeignDatabaseError that keeps the SQLite error as its cause', async () => {
    const file = path.join(caseDir('damaged'), 'damaged.db');
    const header = Buffer.from('SQLite format 3\0', 'latin1');
    fs.writeFileSync(file, Buffer.concat([header, crypto.randomBytes(4096 - header.length)]));
    const manager = new LockOptimizedDatabaseManager({ url: file });
    const err = await manager.initialize().then(
      () => undefined,
      (e: unknown) => e,
    );
    await manager.close();
    expect(err).toBeInstanceOf(ForeignDatabaseError);
    expect((err as Error).message).toContain('an SQLite file that cannot be read');
    expect((err as Error).cause).toMatchObject({ code: expect.stringMatching(/^SQLITE_/) });
  });
});
