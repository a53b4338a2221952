// Runs the project's TypeScript without a loader: Node 20 cannot strip types, and tsx's loader hooks cost every
// process (and every thread that inherits them) a hooks thread of its own (~18 MB RSS at start here). An entry is
// bundled with esbuild into plain JS under node_modules/.cache; plain JS so the CLI launcher can use it before any
// TypeScript runs. src/threads/spawn-worker.ts bundles worker entries the same way.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, buildSync } from 'esbuild';

/** A bundle nobody has used for this long is removed (bundles are named by content, so old sources leave some). */
const STALE_AFTER_MS = 24 * 3600_000;
/** Bundles this process uses, by `worker:` or `module:` and source path (the two kinds are built apart). @type {Map<string, string>} */
const bundles = new Map();
/** @type {string | undefined} */
let cacheDir;

/** Beside node_modules' packages, so a bundle's bare imports (better-sqlite3, pino...) resolve as usual. */
function bundleDir() {
  if (cacheDir) return cacheDir;
  const esbuildMain = createRequire(import.meta.url).resolve('esbuild');
  const marker = `${path.sep}node_modules${path.sep}`;
  const cache = path.join(esbuildMain.slice(0, esbuildMain.lastIndexOf(marker) + marker.length - 1), '.cache');
  const dir = path.join(cache, 'gecko-collector-bundles');
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(dir)) {
    const p = path.join(dir, f);
    try {
      if (Date.now() - fs.statSync(p).mtimeMs > STALE_AFTER_MS) fs.rmSync(p, { force: true });
    } catch {
      // Another process removed it first.
    }
  }
  // Where versions before 2026-11-27 kept one bundle per process (and left those of killed processes).
  fs.rmSync(path.join(cache, 'gecko-collector-workers'), { recursive: true, force: true });
  cacheDir = dir;
  return dir;
}

const SELF = fileURLToPath(import.meta.url);

/**
 * In a bundle every module's `import.meta.url` would be the bundle's own, so `new URL('../workers/x.ts',
 * import.meta.url)` would point into the cache. Each project module gets its own file's URL instead.
 * This file itself stays an import: a bundled copy would be a second instance, with its own bundle map and
 * its own sweep of the cache folder, in the same process.
 * @type {import('esbuild').Plugin}
 */
const ownImportMetaUrl = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onResolve({ filter: /ts-entry\.mjs$/ }, (args) => {
      const resolved = path.resolve(args.resolveDir, args.path);
      return resolved === SELF ? { path: pathToFileURL(SELF).href, external: true } : undefined;
    });
    b.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
      const source = fs.readFileSync(args.path, 'utf8');
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return { contents: source.replaceAll('import.meta.url', url).replaceAll('import.meta.dirname', JSON.stringify(path.dirname(args.path))), loader: 'ts' };
    });
  },
};

/** @param {string} file @returns {import('esbuild').BuildOptions & { write: false }} */
function buildOptions(file) {
  return {
    entryPoints: [file],
    // Not written: the output is named by its content (see keep). outfile only places the source map's paths.
    outfile: path.join(bundleDir(), 'bundle.mjs'),
    write: false,
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

/**
 * Stores a bundle under a name made of its entry and a hash of its content, and returns that path. Processes
 * that build the same sources share one file (tests run many at once), so nothing is left per process; a
 * process killed mid-write leaves only its temporary file, which the stale sweep removes.
 * @param {string} file @param {Uint8Array} contents
 */
function keep(file, contents) {
  const hash = createHash('sha1').update(contents).digest('hex').slice(0, 16);
  const target = path.join(bundleDir(), `${path.basename(file).replace(/\.[cm]?ts$/, '')}-${hash}.mjs`);
  if (fs.existsSync(target)) {
    // Marks it used, for the stale sweep.
    const now = new Date();
    fs.utimesSync(target, now, now);
    return target;
  }
  const tmp = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, contents);
  // Atomic: a concurrent reader sees the whole file or none.
  fs.renameSync(tmp, target);
  return target;
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
  // A run longer than the stale age may find its bundle swept by another process when a worker restarts.
  if (cached && fs.existsSync(cached)) return cached;
  const [out] = buildSync(buildOptions(file)).outputFiles;
  if (/import\.meta\.(url|dirname|filename)/.test(out.text)) {
    throw new Error(`${file}: a worker entry's modules must not use import.meta (in a bundle it is the bundle's, not theirs); pass paths in workerData instead`);
  }
  const bundled = keep(file, out.contents);
  bundles.set(key, bundled);
  return bundled;
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
  let bundled = bundles.get(key);
  if (!bundled) {
    const [out] = (await build({ ...buildOptions(file), plugins: [ownImportMetaUrl] })).outputFiles;
    bundled = keep(file, out.contents);
    bundles.set(key, bundled);
  }
  process.setSourceMapsEnabled(true);
  return import(pathToFileURL(bundled).href);
}
