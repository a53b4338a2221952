// The package as a user installs it: `import … from 'gecko-collector'` in plain Node 20 (no TypeScript loader)
// and in a strict TypeScript project, through package.json's exports (src/index.mjs and the built .d.ts files).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const consumer = tempDir('gecko-consumer-');
const installed = path.join(consumer, 'node_modules', 'gecko-collector');

/** Lays the package out as npm would install it, its published files linked, its declarations built for it. */
function installPackage(): void {
  fs.mkdirSync(installed, { recursive: true });
  fs.copyFileSync(path.join(repo, 'package.json'), path.join(installed, 'package.json'));
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { files: string[]; dependencies: Record<string, string> };
  for (const entry of pkg.files.map((f) => f.replace(/\/$/, '')).filter((f) => f !== 'dist/types')) {
    fs.symlinkSync(path.join(repo, entry), path.join(installed, entry));
  }
  // npm puts the package's dependencies beside it; the declarations import their types (pino, comlink, better-sqlite3…).
  for (const dep of Object.keys(pkg.dependencies)) {
    const target = path.join(consumer, 'node_modules', dep);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.symlinkSync(path.join(repo, 'node_modules', dep), target);
  }
  const build = spawnSync(process.execPath, [path.join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(installed, 'dist/types')], {
    cwd: repo,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`npm run build:types failed:\n${build.stdout}${build.stderr}`);
  fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
}

describe('the published package', () => {
  beforeAll(installPackage, 120_000);

  it('src/index.mjs exports by name every value src/index.ts exports', async () => {
    const fromTs = await import('../../src/index.ts');
    // A plain-JS module without declarations of its own: imported by URL, its names are what is checked.
    const fromEntry = (await import(pathToFileURL(path.join(repo, 'src/index.mjs')).href)) as Record<string, unknown>;
    expect(Object.keys(fromEntry).sort()).toEqual(Object.keys(fromTs).sort());
    for (const [name, value] of Object.entries(fromEntry)) expect(value, name).toBeDefined();
  });

  it('runs in plain Node 20: stores a good row, rejects a bad one with its reason', () => {
    const dbPath = path.join(consumer, 'plain.db');
    fs.writeFileSync(
      path.join(consumer, 'store.mjs'),
      `import { LockOptimizedDatabaseManager, CircuitBreakerError } from 'gecko-collector';
const trade = (id, side) => ({ id, poolId: 'solana_pool', blockNumber: 1, txHash: 'tx', txFromAddress: 'from', fromTokenAmount: '1.5',
  toTokenAmount: '2', priceUsd: '3', volumeUsd: '4', side, blockTimestamp: '2025-08-27T13:06:40Z' });
const db = new LockOptimizedDatabaseManager({ url: 'sqlite:///${dbPath}' });
await db.initialize();
const result = await db.storeTradeDataOptimized([trade('good', 'buy'), trade('bad', 'hold')]);
await db.close();
console.log(JSON.stringify({ result, breakerError: typeof CircuitBreakerError, loaders: process.execArgv }));
`,
    );
    const run = spawnSync(process.execPath, ['store.mjs'], { cwd: consumer, encoding: 'utf8', env: { ...process.env, GECKO_LOG_LEVEL: 'silent', NODE_OPTIONS: '' }, timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as { result: { inserted: number; rejected: { id: string; reason: string }[] }; breakerError: string; loaders: string[] };
    expect(out.loaders).toEqual([]);
    expect(out.breakerError).toBe('function');
    expect(out.result.inserted).toBe(1);
    expect(out.result.rejected).toEqual([{ id: 'bad', reason: expect.stringMatching(/side/) }]);
    const ids = spawnSync('sqlite3', [dbPath, 'SELECT id FROM trades'], { encoding: 'utf8' });
    expect(ids.stdout.trim()).toBe('good');
  }, 60_000);

  it('an install without dev dependencies skips the declarations instead of failing (npm ci --omit=dev)', () => {
    // Copied where no node_modules is above it: TypeScript cannot be found, as after --omit=dev.
    const alone = path.join(tempDir('gecko-build-types-'), 'build-types.mjs');
    fs.copyFileSync(path.join(repo, 'bin/build-types.mjs'), alone);
    const run = spawnSync(process.execPath, [alone], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/^build:types: TypeScript is not installed \(no dev dependencies\): dist\/types not built$/m);
  });

  it('type-checks a strict TypeScript consumer against the built declarations', () => {
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
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'], typeRoots: [path.join(repo, 'node_modules/@types')] },
        files: ['consumer.ts'],
      }),
    );
    const check = spawnSync(process.execPath, [path.join(repo, 'node_modules/typescript/bin/tsc'), '-p', consumer], { cwd: consumer, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
  }, 60_000);
});
