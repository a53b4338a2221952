// `npm run bench:load -- --collectors 8 --trades 200000 --duplicates 0.3 --manager funnel|direct [--db PATH] [--json]`:
// one load run, printed as one JSON object (--json) or a short table.

import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../src/cli/cli-error.ts';
import { choiceFlag, intFlag, numberFlag, parseFlags, runScript } from '../src/cli/command.ts';
import { DEFAULT_COLLECTOR_NICE, MAX_NICE } from '../src/common/thread-priority.ts';
import { DEFAULT_DATABASE_CONFIG } from '../src/config/database-config.ts';
import { defaultLoadDbPath, runLoad } from './load-run.ts';
import { machineSummary } from './machine.ts';

const USAGE = `usage: npm run bench:load -- [--collectors N] [--trades N] [--duplicates F] [--manager funnel|direct]
                             [--batch N] [--in-flight N] [--rate ROWS_PER_SEC] [--db PATH] [--json]
                             [--slow-writer FACTOR] (writer FACTOR× slower, trades generated lazily, RSS sampled)
                             [--checkpoint-interval MS] (checkpointer thread period; 0 = the writer checkpoints)
                             [--collector-nice N] (producers' nice value, as collector threads; default ${DEFAULT_COLLECTOR_NICE}, 0 = none)
                             [--mmap-mb N] [--cache-mb N] (the writer's mmap_size and page cache; defaults from DatabaseConfig)
                             [--pragmas optimized|default] (default: SQLite's own settings, rollback journal: the Python collector's)`;

const result = await runScript('bench:load', USAGE, async () => {
  const { values: args } = parseFlags(process.argv.slice(2), {
    collectors: { type: 'string' },
    trades: { type: 'string' },
    duplicates: { type: 'string' },
    manager: { type: 'string' },
    batch: { type: 'string' },
    'in-flight': { type: 'string' },
    rate: { type: 'string' },
    'slow-writer': { type: 'string' },
    'checkpoint-interval': { type: 'string' },
    'mmap-mb': { type: 'string' },
    'cache-mb': { type: 'string' },
    pragmas: { type: 'string' },
    'collector-nice': { type: 'string' },
    db: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const manager = choiceFlag('manager', args.manager, 'funnel', ['funnel', 'direct'] as const);
  const duplicates = numberFlag('duplicates', args.duplicates, 0.3, 0, 0.99);
  const dbPath = args.db ? path.resolve(args.db) : defaultLoadDbPath(manager);
  if (args.db && fs.existsSync(dbPath))
    throw new UsageError(`--db ${dbPath} already exists; the harness counts rows, so give it a new file`);
  const slowWriter =
    args['slow-writer'] === undefined ? undefined : intFlag('slow-writer', args['slow-writer'], 1, 1, 1000);
  const options = {
    manager,
    collectors: intFlag('collectors', args.collectors, 8, 1, 256),
    trades: intFlag('trades', args.trades, 200_000, 1),
    duplicates,
    dbPath,
    batchSize: intFlag('batch', args.batch, 200, 1, 100_000),
    maxInFlight: intFlag('in-flight', args['in-flight'], DEFAULT_DATABASE_CONFIG.maxInFlight, 1, 1024),
    rate: intFlag('rate', args.rate, 0, 0),
    collectorNice: intFlag('collector-nice', args['collector-nice'], DEFAULT_COLLECTOR_NICE, 0, MAX_NICE),
    ...(slowWriter ? { slowWriter, lazy: true, rssSampleMs: 1000 } : {}),
    dbConfig: {
      ...(args['checkpoint-interval'] === undefined
        ? {}
        : { checkpointIntervalMs: intFlag('checkpoint-interval', args['checkpoint-interval'], 1000, 0, 3_600_000) }),
      ...(args['mmap-mb'] === undefined
        ? {}
        : { mmapSizeBytes: intFlag('mmap-mb', args['mmap-mb'], 0, 0, 1 << 20) * 2 ** 20 }),
      ...(args['cache-mb'] === undefined
        ? {}
        : { cacheSizeKb: intFlag('cache-mb', args['cache-mb'], 0, 0, 1 << 16) * 1024 }),
      pragmas: choiceFlag('pragmas', args.pragmas, 'optimized', ['optimized', 'default'] as const),
    },
  };
  return { json: args.json === true, keepDb: args.db !== undefined, dbPath, load: await runLoad(options) };
});
if (!result.keepDb) fs.rmSync(path.dirname(result.dbPath), { recursive: true, force: true });

if (result.json) {
  process.stdout.write(`${JSON.stringify({ ...result.load, machine: machineSummary() })}\n`);
} else {
  process.stdout.write(`${machineSummary().line}\n`);
  for (const [k, v] of Object.entries(result.load))
    process.stdout.write(`${k.padEnd(16)} ${typeof v === 'object' ? JSON.stringify(v) : v}\n`);
}
