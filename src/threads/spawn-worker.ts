// Starts worker threads (plain or piscina) from TypeScript modules. Node 20 cannot strip types, so a `.ts`
// entry is bundled once per process with esbuild into plain JS under node_modules/.cache: a worker that
// loaded through tsx instead costs a loader-hooks thread of its own (~14 MB and ~150 ms more per worker).

import { Worker, type WorkerOptions } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

export interface WorkerEntry {
  /** The file the thread actually starts. */
  filename: string;
  /** argv to pass to the thread. */
  argv: string[];
  /** Node flags for the thread (give these to piscina too). */
  execArgv: string[];
}

const STALE_AFTER_MS = 24 * 3600_000;
const bundles = new Map<string, string>();
let cacheDir: string | undefined;

/** Beside node_modules' packages, so the bundle's bare imports (better-sqlite3, pino...) resolve as usual. */
function bundleDir(): string {
  if (cacheDir) return cacheDir;
  const esbuildMain = createRequire(import.meta.url).resolve('esbuild');
  const nodeModules = esbuildMain.slice(0, esbuildMain.lastIndexOf(`${path.sep}node_modules${path.sep}`) + '/node_modules'.length);
  cacheDir = path.join(nodeModules, '.cache', 'gecko-collector-workers');
  fs.mkdirSync(cacheDir, { recursive: true });
  // Bundles of processes that were killed before they could clean up.
  for (const f of fs.readdirSync(cacheDir)) {
    const p = path.join(cacheDir, f);
    try {
      if (Date.now() - fs.statSync(p).mtimeMs > STALE_AFTER_MS) fs.rmSync(p, { force: true });
    } catch {
      // Another process removed it first.
    }
  }
  process.once('exit', () => {
    for (const file of bundles.values()) fs.rmSync(file, { force: true });
  });
  return cacheDir;
}

function bundle(file: string): string {
  const cached = bundles.get(file);
  if (cached) return cached;
  // One file per process and entry: concurrent processes (test forks) never overwrite each other's bundle.
  const tag = createHash('sha1').update(file).digest('hex').slice(0, 10);
  const outfile = path.join(bundleDir(), `${path.basename(file, '.ts')}-${tag}-${process.pid}.mjs`);
  buildSync({
    entryPoints: [file],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'error',
  });
  bundles.set(file, outfile);
  return outfile;
}

/** Resolves a worker module (file URL or absolute path) to what `new Worker` / piscina must be given. */
export function workerEntry(entry: URL | string): WorkerEntry {
  const file = entry instanceof URL ? fileURLToPath(entry) : entry;
  // Source maps make stack traces from a bundled worker point at the .ts files.
  return { filename: file.endsWith('.ts') ? bundle(file) : file, argv: [], execArgv: [...inheritedExecArgv(), '--enable-source-maps'] };
}

/** The parent's flags minus tsx's loader (a bundled worker is plain JS and needs no hooks thread). */
function inheritedExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '--require' || a === '--import') && argv[i + 1]?.includes('tsx')) {
      i++;
      continue;
    }
    if (/^--(require|import)=.*tsx/.test(a)) continue;
    out.push(a);
  }
  return out;
}

export function spawnWorker(entry: URL | string, options: WorkerOptions = {}): Worker {
  const { filename, argv, execArgv } = workerEntry(entry);
  return new Worker(filename, { ...options, argv: [...argv, ...(options.argv ?? [])], execArgv: options.execArgv ?? execArgv });
}
