// The package as a user installs it: `npm pack`, installed into an empty project, node_modules made read-only,
// then the CLI, a plain .mjs consumer and a worker thread that imports the package run as an unprivileged
// user (nobody) — nothing may be written under node_modules at run time. A strict TypeScript consumer
// type-checks against the shipped declarations.
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

const NOBODY = { uid: 65534, gid: 65534 };
const root = tempDir('gecko-installed-');
const consumer = path.join(root, 'consumer');
const data = path.join(root, 'data');
const installed = path.join(consumer, 'node_modules', 'gecko-collector');

/** A program run as the user runs it (as nobody, with asNobody), without blocking: the scenarios run side by side. */
function sh(
  cmd: string,
  args: string[],
  cwd: string,
  asNobody = false,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(cmd, args, {
    cwd,
    timeout: 120_000,
    env: {
      ...process.env,
      GECKO_LOG_LEVEL: 'error',
      NODE_OPTIONS: '',
      HOME: data,
      npm_config_cache: path.join(data, '.npm'),
    },
    ...(asNobody ? NOBODY : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function must(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Every file under dir, with its mtime: what a run must leave exactly as it was. */
function snapshot(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    out.set(file, fs.lstatSync(file).mtimeMs);
  }
  return out;
}

/** Starts tsc on a strict consumer of the installed package: it runs while the other tests do. */
function startTypeCheck(): Promise<{ status: number | null; output: string }> {
  fs.writeFileSync(
    path.join(consumer, 'consumer.ts'),
    `import { LockOptimizedDatabaseManager, type TradeRecord, type DatabaseConfig } from 'gecko-collector';
const config: Partial<DatabaseConfig> = { url: 'sqlite:///consumer.db', synchronous: 'FULL' };
const db = new LockOptimizedDatabaseManager(config);
const trades: TradeRecord[] = [];
const inserted: number = (await db.storeTradeDataOptimized(trades)).inserted;
// Real types, not any: a number where the url goes must not compile.
// @ts-expect-error url is a string
new LockOptimizedDatabaseManager({ url: 42 });
export { inserted };
`,
  );
  fs.writeFileSync(
    path.join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        types: ['node'],
        typeRoots: [path.join(REPO_ROOT, 'node_modules/@types')],
      },
      files: ['consumer.ts'],
    }),
  );
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', consumer], {
    cwd: consumer,
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, output })));
}

let before: Map<string, number>;
let typeCheck: Promise<{ status: number | null; output: string }>;

beforeAll(() => {
  fs.mkdirSync(consumer, { recursive: true });
  fs.mkdirSync(data, { recursive: true });
  fs.chmodSync(root, 0o755);
  fs.chmodSync(data, 0o777);
  // dist/ is the build the tests run from (npm test made it): packed as is, without prepare's second build.
  const tarball = must(
    spawnSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', root], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 300_000,
    }),
    'npm pack',
  )
    .trim()
    .split('\n')
    .pop()!;
  fs.writeFileSync(
    path.join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  // From npm's cache where it can (npm ci filled it), without install scripts: compiling better-sqlite3 takes minutes, so
  // its binary of the same version is copied from the checkout instead.
  must(
    spawnSync(
      'npm',
      ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', path.join(root, tarball)],
      { cwd: consumer, encoding: 'utf8', timeout: 300_000 },
    ),
    'npm install',
  );
  const native = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
  fs.mkdirSync(path.dirname(path.join(consumer, native)), { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, native), path.join(consumer, native));
  must(spawnSync('chmod', ['-R', 'a-w', path.join(consumer, 'node_modules')], { encoding: 'utf8' }), 'chmod');
  before = snapshot(path.join(consumer, 'node_modules'));
  // The consumer scripts run from data/; their modules resolve from the consumer's own node_modules.
  fs.symlinkSync(path.join(consumer, 'node_modules'), path.join(data, 'node_modules'));
  typeCheck = startTypeCheck();
}, 600_000);

afterAll(() => {
  spawnSync('chmod', ['-R', 'u+w', root]);
});

// The scenarios only read the installed package (each writes its own files under data/): they run side by side.
describe.concurrent('the packed and installed package, read-only, run as nobody', () => {
  it('ships compiled JavaScript, declarations and source maps, and no TypeScript sources or tests', () => {
    const files = [...snapshot(installed).keys()].map((f) => path.relative(installed, f));
    expect(files).toContain('dist/src/index.js');
    expect(files).toContain('dist/src/index.d.ts');
    expect(files).toContain('dist/workers/sqlite-writer-thread.js.map');
    expect(files).toContain('dist/workers/collector-thread.js');
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('dist/test') || f.startsWith('dist/bench'))).toEqual([]);
    // src/ is not shipped: each source map carries the TypeScript it maps to.
    const maps = files.filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(50);
    for (const map of maps) {
      const m = JSON.parse(fs.readFileSync(path.join(installed, map), 'utf8')) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      expect(m.sources, map).toHaveLength(1);
      const source = path.resolve(path.dirname(path.join(REPO_ROOT, map)), m.sources[0]!);
      expect(m.sourcesContent?.[0], map).toBe(fs.readFileSync(source, 'utf8'));
    }
    const deps = fs.readdirSync(path.join(consumer, 'node_modules'));
    expect(deps).not.toContain('esbuild');
    expect(deps).not.toContain('typescript');
  });

  it('the CLI answers --version and collects from the simulator into a database', async () => {
    const bin = path.join(consumer, 'node_modules/.bin/gecko-collector');
    const version = await sh(bin, ['--version'], data, true);
    expect(version.stderr).toBe('');
    expect(version.stdout).toMatch(/^gecko-collector \d+\.\d+\.\d+ \(Node v\d+\.\d+\.\d+, SQLite 3\.\d+\.\d+\)\n$/);
    const db = path.join(data, 'cli.db');
    const run = await sh(
      bin,
      ['collect', '--simulate', '--duration', '3', '--collectors', '2', '--db', `sqlite:///${db}`],
      data,
      true,
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/stored == served: +yes/);
    const count = spawnSync('sqlite3', [db, 'SELECT count(*) FROM trades'], { encoding: 'utf8' });
    expect(Number(count.stdout)).toBeGreaterThan(0);
  }, 120_000);

  it('a plain .mjs consumer and a worker thread import it and store through the funnel', async () => {
    const db = path.join(data, 'lib.db');
    const script = path.join(data, 'store.mjs');
    fs.writeFileSync(
      script,
      `import { Worker } from 'node:worker_threads';
import { LockOptimizedDatabaseManager, linkTransferList } from 'gecko-collector';
const trade = (id, side) => ({ id, poolId: 'solana_pool', blockNumber: 1, txHash: 'tx', txFromAddress: 'from', fromTokenAmount: '1.5',
  toTokenAmount: '2', priceUsd: '3', volumeUsd: '4', side, blockTimestamp: '2025-08-27T13:06:40Z' });
const db = new LockOptimizedDatabaseManager({ url: 'sqlite:///${db}' });
await db.initialize();
const result = await db.storeTradeDataOptimized([trade('good', 'buy'), trade('bad', 'hold')]);
const link = await db.linkForWorker();
const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: { link, trade: trade('from-worker', 'sell') }, transferList: linkTransferList(link) });
const [ack] = await new Promise((resolve, reject) => { worker.once('message', (m) => resolve([m])); worker.once('error', reject); });
await new Promise((r) => worker.once('exit', r));
await db.close();
console.log(JSON.stringify({ result, ack }));
`,
    );
    fs.writeFileSync(
      path.join(data, 'worker.mjs'),
      `import { parentPort, workerData } from 'node:worker_threads';
import { openWriterClient } from 'gecko-collector/sender';
const client = openWriterClient(workerData.link);
const ack = await client.storeTrades([workerData.trade]);
await client.close();
parentPort.postMessage(ack);
`,
    );
    const run = await sh(process.execPath, [script], data, true);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as {
      result: { inserted: number; rejected: { id: string; reason: string }[] };
      ack: { inserted: number };
    };
    expect(out.result.inserted).toBe(1);
    expect(out.result.rejected).toEqual([{ id: 'bad', reason: expect.stringMatching(/side/) }]);
    expect(out.ack.inserted).toBe(1);
    const ids = spawnSync('sqlite3', [db, 'SELECT id FROM trades ORDER BY id'], { encoding: 'utf8' });
    expect(ids.stdout.trim().split('\n')).toEqual(['from-worker', 'good']);
  }, 120_000);

  it('each entry (gecko-collector, /sender, /testing) loads as installed, with the names of the build', async () => {
    const entries = {
      'gecko-collector': 'dist/src/index.js',
      'gecko-collector/sender': 'dist/src/sender/index.js',
      'gecko-collector/testing': 'dist/src/testing/index.js',
    };
    const script = path.join(data, 'entries.mjs');
    fs.writeFileSync(
      script,
      `const out = {};
for (const entry of ${JSON.stringify(Object.keys(entries))}) out[entry] = Object.keys(await import(entry)).sort();
console.log(JSON.stringify(out));
`,
    );
    const run = await sh(process.execPath, [script], data, true);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const installedNames = JSON.parse(run.stdout) as Record<string, string[]>;
    for (const [entry, built] of Object.entries(entries)) {
      const names = Object.keys(await import(path.join(REPO_ROOT, built))).sort();
      expect(names.length, entry).toBeGreaterThan(3);
      expect(installedNames[entry], entry).toEqual(names);
    }
  }, 60_000);

  it('type-checks a strict TypeScript consumer against the shipped declarations', async () => {
    const check = await typeCheck;
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
  }, 60_000);
});

describe('after the runs', () => {
  it('left every file under node_modules as it was', () => {
    const after = snapshot(path.join(consumer, 'node_modules'));
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [file, mtime] of before) expect(after.get(file), file).toBe(mtime);
  });
});
