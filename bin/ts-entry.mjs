// Runs the project's TypeScript without a loader: Node 20 cannot strip types, and tsx's loader hooks cost every
// process (and every thread that inherits them) a hooks thread of its own, ~45 MB RSS on this machine. An entry
// is bundled once per process with esbuild into plain JS under node_modules/.cache; plain JS so the CLI launcher
// can use it before any TypeScript runs. src/threads/spawn-worker.ts bundles worker entries the same way.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, buildSync } from 'esbuild';

const STALE_AFTER_MS = 24 * 3600_000;
/** Bundles made by this process, by `worker:` or `module:` and source path (the two kinds are built apart). @type {Map<string, string>} */
const bundles = new Map();
/** @type {string | undefined} */
let cacheDir;

/** Beside node_modules' packages, so a bundle's bare imports (better-sqlite3, pino...) resolve as usual. */
function bundleDir() {
  if (cacheDir) return cacheDir;
  const esbuildMain = createRequire(import.meta.url).resolve('esbuild');
  const marker = `${path.sep}node_modules${path.sep}`;
  const nodeModules = esbuildMain.slice(0, esbuildMain.lastIndexOf(marker) + marker.length - 1);
  const dir = path.join(nodeModules, '.cache', 'gecko-collector-bundles');
  fs.mkdirSync(dir, { recursive: true });
  // Bundles of processes that were killed before they could clean up.
  for (const f of fs.readdirSync(dir)) {
    const p = path.join(dir, f);
    try {
      if (Date.now() - fs.statSync(p).mtimeMs > STALE_AFTER_MS) fs.rmSync(p, { force: true });
    } catch {
      // Another process removed it first.
    }
  }
  process.once('exit', () => {
    for (const file of bundles.values()) fs.rmSync(file, { force: true });
  });
  cacheDir = dir;
  return dir;
}

/**
 * In a bundle every module's `import.meta.url` would be the bundle's own, so `new URL('../workers/x.ts',
 * import.meta.url)` would point into the cache. Each project module gets its own file's URL instead.
 * @type {import('esbuild').Plugin}
 */
const ownImportMetaUrl = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
      const source = fs.readFileSync(args.path, 'utf8');
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return { contents: source.replaceAll('import.meta.url', url).replaceAll('import.meta.dirname', JSON.stringify(path.dirname(args.path))), loader: 'ts' };
    });
  },
};

/** @param {string} file @param {string} key */
function outfileFor(file, key) {
  // One file per process and entry: concurrent processes (test forks) never overwrite each other's bundle.
  const tag = createHash('sha1').update(key).digest('hex').slice(0, 10);
  return path.join(bundleDir(), `${path.basename(file).replace(/\.[cm]?ts$/, '')}-${tag}-${process.pid}.mjs`);
}

/** @param {string} file @param {string} outfile @returns {import('esbuild').BuildOptions} */
function buildOptions(file, outfile) {
  return {
    entryPoints: [file],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // Source maps make stack traces point at the .ts files (with --enable-source-maps / setSourceMapsEnabled).
    sourcemap: 'inline',
    logLevel: 'error',
  };
}

/** @param {URL | string} entry */
function sourceFile(entry) {
  return entry instanceof URL ? fileURLToPath(entry) : path.resolve(entry);
}

/**
 * The plain-JS bundle of a worker's TypeScript entry (file URL or absolute path), built on first use in this
 * process, synchronously (piscina and `new Worker` take a file name at once). esbuild cannot run plugins
 * synchronously, so a worker bundle cannot give modules their own import.meta.url: one that uses it is refused.
 * Other files (.js, .mjs) are returned as they are.
 * @param {URL | string} entry
 * @returns {string} absolute path of the file to run
 */
export function bundleTypeScript(entry) {
  const file = sourceFile(entry);
  if (!/\.[cm]?ts$/.test(file)) return file;
  const key = `worker:${file}`;
  const cached = bundles.get(key);
  if (cached) return cached;
  const outfile = outfileFor(file, key);
  buildSync(buildOptions(file, outfile));
  if (/import\.meta\.(url|dirname|filename)/.test(fs.readFileSync(outfile, 'utf8'))) {
    fs.rmSync(outfile, { force: true });
    throw new Error(`${file}: a worker entry's modules must not use import.meta (in a bundle it is the bundle's, not theirs); pass paths in workerData instead`);
  }
  bundles.set(key, outfile);
  return outfile;
}

/**
 * Imports a TypeScript module (the CLI, a bench script) through its bundle, each module keeping its own
 * import.meta.url, with stack traces mapped back to the sources.
 * @param {URL | string} entry
 * @returns {Promise<Record<string, unknown>>}
 */
export async function importTypeScript(entry) {
  const file = sourceFile(entry);
  const key = `module:${file}`;
  let outfile = bundles.get(key);
  if (!outfile) {
    outfile = outfileFor(file, key);
    await build({ ...buildOptions(file, outfile), plugins: [ownImportMetaUrl] });
    bundles.set(key, outfile);
  }
  process.setSourceMapsEnabled(true);
  return import(pathToFileURL(outfile).href);
}
