#!/usr/bin/env node
// `npm run build:types` (and `prepare`, so `npm ci` / `npm pack`): the library's .d.ts files into dist/types.
// TypeScript is a dev dependency: an install without them (`npm ci --omit=dev`, to run the CLI) skips this step
// instead of failing the install.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  process.stderr.write('build:types: TypeScript is not installed (no dev dependencies): dist/types not built\n');
  process.exit(0);
}
const config = fileURLToPath(new URL('../tsconfig.build.json', import.meta.url));
const run = spawnSync(process.execPath, [tsc, '-p', config], { stdio: 'inherit' });
process.exit(run.status ?? 1);
