// Paths of the checkout, found from the compiled test's own location (tests run from dist/test).
import fs from 'node:fs';
import path from 'node:path';

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'tsconfig.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no checkout above ${from}`);
  }
}

export const REPO_ROOT = findRoot(import.meta.dirname);
/** The CLI launcher, as users run it. */
export const BIN = path.join(REPO_ROOT, 'bin/gecko-collector.mjs');

/** The compiled file of a TypeScript source in the checkout: `test/x/y.ts` → `<repo>/dist/test/x/y.js`. */
export function compiled(source: string): string {
  return path.join(REPO_ROOT, 'dist', source.replace(/\.ts$/, '.js'));
}
