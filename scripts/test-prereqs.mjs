#!/usr/bin/env node
// Run by `npm test` before the suite: checks what the tests need besides `npm ci` (the programs they run on the
// database and the system, Chromium for the status page, Debian's SQLAlchemy, a working better-sqlite3,
// PostgreSQL on 127.0.0.1:5432 with trust auth), installs what is missing with apt-get and starts PostgreSQL when
// it may (as root), and otherwise says in one line what is missing and how to get it, and exits 1: the suite does
// not start into a wall of failures.
//
// GECKO_TEST_NO_INSTALL=1 only checks and reports. GECKO_TEST_PYTHON names the Python whose SQLAlchemy the
// tests use (default /usr/bin/python3, else python3 on PATH), GECKO_TEST_PG_URL the PostgreSQL server.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const env = process.env;
const PG_URL = env.GECKO_TEST_PG_URL ?? 'postgresql://root@127.0.0.1:5432/test';

function onPath(cmd) {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      fs.accessSync(path.join(dir, cmd), fs.constants.X_OK);
      return true;
    } catch {
      // Not in this directory.
    }
  }
  return false;
}

function python() {
  if (env.GECKO_TEST_PYTHON) return env.GECKO_TEST_PYTHON;
  return fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

function sqliteBinding() {
  try {
    const Database = require('better-sqlite3');
    new Database(':memory:').close();
    return null;
  } catch (err) {
    return String(err.message).split('\n')[0];
  }
}

function postgresBinaries() {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root) : [];
  return versions.some((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')));
}

/** What a missing program or library is, the Debian package that brings it, and how to tell it is there. */
const CHECKS = [
  { what: 'the sqlite3 CLI', apt: 'sqlite3', ok: () => onPath('sqlite3') },
  { what: 'chattr', apt: 'e2fsprogs', ok: () => onPath('chattr') },
  { what: 'su', apt: 'util-linux', ok: () => onPath('su') },
  { what: 'mount', apt: 'mount', ok: () => onPath('mount') && onPath('umount') },
  { what: 'script', apt: 'bsdutils', ok: () => onPath('script') },
  { what: 'systemd-analyze', apt: 'systemd', ok: () => onPath('systemd-analyze') },
  {
    what: `SQLAlchemy for ${python()}`,
    apt: 'python3-sqlalchemy',
    ok: () => spawnSync(python(), ['-c', 'import sqlalchemy'], { stdio: 'ignore' }).status === 0,
  },
  { what: 'the PostgreSQL server (initdb)', apt: 'postgresql', ok: postgresBinaries },
  // The status page's test drives Debian's Chromium headless through playwright-core (which downloads no browser).
  { what: 'Chromium (/usr/bin/chromium)', apt: 'chromium', ok: () => fs.existsSync('/usr/bin/chromium') },
];

async function postgresProblem() {
  let pg;
  try {
    pg = require('pg');
  } catch {
    return 'the pg module (npm ci)';
  }
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return null;
  } catch (err) {
    return `PostgreSQL at ${PG_URL} (${err.code ?? err.message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function startPostgres() {
  const conf = '/etc/postgresql';
  if (!onPath('pg_ctlcluster') || !fs.existsSync(conf)) return;
  for (const version of fs.readdirSync(conf))
    for (const cluster of fs.readdirSync(path.join(conf, version)))
      spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, cluster, 'start'], { stdio: 'ignore' });
}

const mayInstall = process.getuid?.() === 0 && env.GECKO_TEST_NO_INSTALL !== '1';
let installNote = '';

function install(packages) {
  if (!onPath('apt-get')) {
    installNote = ' (no apt-get here to install them with)';
    return;
  }
  process.stderr.write(`npm test: installing ${packages.join(' ')} (apt-get, as root) for the test suite\n`);
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { env: aptEnv, encoding: 'utf8' });
  const run = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    env: aptEnv,
    encoding: 'utf8',
  });
  if (run.status !== 0) {
    const why = `${run.stderr || update.stderr || ''}`.trim().split('\n').pop();
    installNote = ` (apt-get install failed${why ? `: ${why}` : ''})`;
  }
}

let missing = CHECKS.filter((c) => !c.ok());
if (missing.length > 0 && mayInstall) {
  install([...new Set(missing.map((c) => c.apt))]);
  missing = missing.filter((c) => !c.ok());
}

const problems = missing.map((c) => `${c.what} (apt-get install ${c.apt})`);
let binding = sqliteBinding();
if (binding && mayInstall && onPath('npm')) {
  // No prebuilt binary for this platform: build it (python3, make and a C++ compiler).
  if (!onPath('g++') || !onPath('make')) install(['python3', 'make', 'g++']);
  spawnSync('npm', ['rebuild', 'better-sqlite3'], { stdio: 'ignore' });
  binding = sqliteBinding();
}
if (binding)
  problems.push(
    `a working better-sqlite3 (${binding}: apt-get install python3 make g++, then npm rebuild better-sqlite3)`,
  );

let pgProblem = await postgresProblem();
if (pgProblem?.includes('ECONNREFUSED') && mayInstall) {
  startPostgres();
  pgProblem = await postgresProblem();
}
if (pgProblem)
  problems.push(
    `${pgProblem}: start it (pg_ctlcluster --skip-systemctl-redirect <version> main start), with trust auth for 127.0.0.1, a superuser root and a database test`,
  );
if (process.getuid?.() !== 0)
  problems.push('root (the suite mounts a small tmpfs, sets chattr +i and runs the package as nobody): sudo npm test');

if (problems.length > 0) {
  process.stderr.write(`npm test needs what this machine lacks${installNote}: ${problems.join('; ')}\n`);
  process.exit(1);
}
