// The README's test command on a machine without the sqlite3 CLI and SQLAlchemy: scripts/test-prereqs.mjs, which
// `npm test` runs before the suite, says in one line what is missing and how to get it and exits 1, so the suite
// never starts into a wall of failures. The machine is made by a PATH of symlinks to only what is there and a
// Python that cannot see Debian's packages; nothing is installed (GECKO_TEST_NO_INSTALL, and no apt-get on PATH).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

const exec = promisify(execFile);
const SCRIPT = path.join(REPO_ROOT, 'scripts/test-prereqs.mjs');

/** A bin directory holding only `commands` (symlinks to this machine's), and a Python without site packages. */
function freshMachine(commands: string[]): { PATH: string; GECKO_TEST_PYTHON: string } {
  const dir = tempDir('gecko-prereqs-');
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  for (const cmd of commands) {
    const found = (process.env.PATH ?? '')
      .split(path.delimiter)
      .map((d) => path.join(d, cmd))
      .find((f) => fs.existsSync(f));
    if (!found) throw new Error(`this machine has no ${cmd} to link`);
    fs.symlinkSync(found, path.join(bin, cmd));
  }
  const python = path.join(dir, 'python3');
  // -S: no site directories, so Debian's python3-sqlalchemy is not importable.
  fs.writeFileSync(python, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n', { mode: 0o755 });
  return { PATH: bin, GECKO_TEST_PYTHON: python };
}

async function prereqs(extra: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [SCRIPT], { cwd: REPO_ROOT, env: { ...process.env, ...extra } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm test on a fresh machine', () => {
  it('runs the prerequisites check before the suite', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.test).toMatch(/&& node scripts\/test-prereqs\.mjs && vitest run$/);
    // npm start stays offline and needs nothing beyond npm ci.
    expect(pkg.scripts.start).not.toContain('test-prereqs');
  });

  it('without the sqlite3 CLI and SQLAlchemy: one line naming both and their packages, exit 1', async () => {
    const machine = freshMachine(['chattr', 'su', 'mount', 'umount', 'script', 'systemd-analyze', 'npm']);
    const r = await prereqs({ ...machine, GECKO_TEST_NO_INSTALL: '1' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      `npm test needs what this machine lacks: the sqlite3 CLI (apt-get install sqlite3); SQLAlchemy for ${machine.GECKO_TEST_PYTHON} (apt-get install python3-sqlalchemy)`,
      '',
    ]);
  });

  it('as root with no apt-get to install with: the same line says so', async () => {
    const machine = freshMachine(['chattr', 'su', 'mount', 'umount', 'script', 'systemd-analyze', 'npm']);
    const r = await prereqs(machine);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^npm test needs what this machine lacks \(no apt-get here to install them with\): the sqlite3 CLI \(apt-get install sqlite3\); SQLAlchemy for \S+ \(apt-get install python3-sqlalchemy\)\n$/,
    );
  });

  it('with everything there (this machine): silent, exit 0', async () => {
    const r = await prereqs({ GECKO_TEST_NO_INSTALL: '1' });
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});
