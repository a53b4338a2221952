#!/usr/bin/env node
// CLI launcher: runs the compiled CLI (dist/, built by `npm run build`, which `npm ci` and `npm pack` run).
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// A collection is a long, light job: the young generations keep their start-up size instead of doubling while
// start-up allocations survive (the main isolate cannot take resourceLimits). Not for import and the other
// commands, whose writer would scavenge more per row.
if (process.argv[2] === 'collect') setFlagsFromString('--semi-space-growth-factor=1');

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('gecko-collector: dist/ is missing; run `npm run build` (or `npm ci`) in the package first\n');
  process.exit(1);
}
// Stack traces name the TypeScript lines (dist/ carries source maps).
process.setSourceMapsEnabled(true);
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
