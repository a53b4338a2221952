#!/usr/bin/env node
// `node bin/run-ts.mjs FILE.ts [args...]`: runs one of the project's TypeScript scripts (the bench scripts)
// from its esbuild bundle, with no loader thread in the process (see ts-entry.mjs).
import fs from 'node:fs';
import path from 'node:path';
import { importTypeScript } from './ts-entry.mjs';

const file = process.argv[2];
if (!file || file === '--help' || file === '-h') {
  process.stderr.write('usage: node bin/run-ts.mjs FILE.ts [args...]\n');
  process.exit(file ? 0 : 2);
}
const script = path.resolve(file);
if (!fs.existsSync(script)) {
  process.stderr.write(`run-ts: cannot read ${script}\n`);
  process.exit(2);
}
// The script sees itself as argv[1], as under `tsx FILE`, so its "am I the entry point" check holds.
process.argv.splice(1, 2, script);
await importTypeScript(script);
