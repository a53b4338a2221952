// `npm run bench:load -- --collectors 8 --trades 200000 --duplicates 0.3 --manager funnel|direct [--db PATH] [--json]`:
// one load run, printed as one JSON object (--json) or a short table.

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultLoadDbPath, runLoad } from './load-run.ts';
import { machineSummary } from './machine.ts';

const USAGE = `usage: npm run bench:load -- [--collectors N] [--trades N] [--duplicates F] [--manager funnel|direct]
                             [--batch N] [--in-flight N] [--rate ROWS_PER_SEC] [--db PATH] [--json]`;

function fail(reason: string): never {
  process.stderr.write(`bench:load: ${reason}\n${USAGE}\n`);
  process.exit(2);
}

function int(name: string, v: string | undefined, def: number, min: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

let args;
try {
  args = parseArgs({
    options: {
      collectors: { type: 'string' },
      trades: { type: 'string' },
      duplicates: { type: 'string' },
      manager: { type: 'string' },
      batch: { type: 'string' },
      'in-flight': { type: 'string' },
      rate: { type: 'string' },
      db: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;
} catch (err) {
  fail((err as Error).message);
}
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const manager = args.manager ?? 'funnel';
if (manager !== 'funnel' && manager !== 'direct') fail(`--manager must be funnel or direct, got ${JSON.stringify(manager)}`);
const duplicates = args.duplicates === undefined ? 0.3 : Number(args.duplicates);
if (!(duplicates >= 0 && duplicates < 1)) fail(`--duplicates must be a fraction in [0, 1), got ${JSON.stringify(args.duplicates)}`);
const dbPath = args.db ? path.resolve(args.db) : defaultLoadDbPath(manager);
if (args.db && fs.existsSync(dbPath)) fail(`--db ${dbPath} already exists; the harness counts rows, so give it a new file`);

const result = await runLoad({
  manager,
  collectors: int('collectors', args.collectors, 8, 1),
  trades: int('trades', args.trades, 200_000, 1),
  duplicates,
  dbPath,
  batchSize: int('batch', args.batch, 200, 1),
  maxInFlight: int('in-flight', args['in-flight'], 4, 1),
  rate: int('rate', args.rate, 0, 0),
});
if (!args.db) fs.rmSync(path.dirname(dbPath), { recursive: true, force: true });

if (args.json) {
  process.stdout.write(`${JSON.stringify({ ...result, machine: machineSummary() })}\n`);
} else {
  process.stdout.write(`${machineSummary().line}\n`);
  for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(16)} ${typeof v === 'object' ? JSON.stringify(v) : v}\n`);
}
