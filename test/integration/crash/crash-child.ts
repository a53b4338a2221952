// The collecting process the crash loop kills: a LockOptimizedDatabaseManager on the db in argv, N sender
// threads printing an ACK line per acked batch, and optionally a breaker/disk-full drill so kills also land
// while batches sit in the spool or are being replayed. Runs until killed (or --max-ms, against orphans).

import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { UsageError } from '../../../src/cli/cli-error.ts';
import { choiceFlag, intFlag, parseFlags, runScript } from '../../../src/cli/command.ts';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { linkTransferList } from '../../../src/sender/writer-link.ts';
import { readDatabase, setPageLimit } from '../../../src/testing/index.ts';
import { DISRUPT_MODES, type DisruptMode, MAX_SENDERS, seededRandom } from './crash-plan.ts';
import type { CrashSenderData } from './crash-sender.ts';

const USAGE = `usage: node dist/test/integration/crash/crash-child.js --db PATH --cycle N [--senders N] [--batch-size N]
       [--pause-ms N] [--in-flight N] [--seed N] [--disrupt none|isolate|full] [--max-ms N]`;

// One line on a bad flag: the parent keeps only the tail of this process's stderr.
const { dbPath, cycle, senders, batchSize, pauseMs, maxInFlight, seed, maxMs, disrupt } = await runScript(
  'crash-child',
  undefined,
  () => {
    const { values } = parseFlags(process.argv.slice(2), {
      db: { type: 'string' },
      cycle: { type: 'string' },
      senders: { type: 'string' },
      'batch-size': { type: 'string' },
      'pause-ms': { type: 'string' },
      'in-flight': { type: 'string' },
      seed: { type: 'string' },
      disrupt: { type: 'string' },
      'max-ms': { type: 'string' },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    if (values.db === undefined) throw new UsageError('--db PATH is required');
    if (values.cycle === undefined) throw new UsageError('--cycle N is required');
    return {
      dbPath: values.db,
      cycle: intFlag('cycle', values.cycle, 0, 0),
      senders: intFlag('senders', values.senders, 4, 1, MAX_SENDERS),
      batchSize: intFlag('batch-size', values['batch-size'], 20, 1, 10_000),
      pauseMs: intFlag('pause-ms', values['pause-ms'], 2, 0),
      maxInFlight: intFlag('in-flight', values['in-flight'], 4, 1),
      seed: intFlag('seed', values.seed, 1, 0),
      maxMs: intFlag('max-ms', values['max-ms'], 120_000, 1),
      disrupt: choiceFlag('disrupt', values.disrupt, 'none', DISRUPT_MODES),
    };
  },
);

// Synchronous on the fd: a line written is a line the parent will read, even if SIGKILL lands next.
const emit = (line: string) => fs.writeSync(1, `${line}\n`);

process.on('unhandledRejection', (err) => {
  fs.writeSync(2, `crash-child: unhandled rejection: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(5);
});

// The parent normally kills us within seconds; if it died instead, do not collect forever.
setTimeout(() => {
  fs.writeSync(2, `crash-child: not killed within ${maxMs} ms; exiting\n`);
  process.exit(3);
}, maxMs).unref();

// Fast breaker timings, so a short cycle goes through open, half-open, close and replay: maxOpenMs stays
// below the drill's shortest normal spell, so every spell gets a half-open trial that can succeed.
const manager = new LockOptimizedDatabaseManager(
  { url: urlFromDatabasePath(dbPath), busyTimeoutMs: 200, lockRetries: 1 },
  {
    breaker: { consecutiveFailures: 2, openMs: 100, maxOpenMs: 300, halfOpenTrials: 1 },
    supervisor: { restartDelayMs: 50 },
    replayIntervalMs: 200,
  },
);
await manager.initialize();
// Whatever an earlier run left in the spool was replayed by initialize(); the parent's check empties it first,
// so this is normally 0.
emit(`READY ${manager.replayedTotal}`);

let _drill: Promise<void> | undefined;
for (let worker = 0; worker < senders; worker++) {
  const link = await manager.linkForWorker();
  const data: CrashSenderData = { link, cycle, worker, batchSize, pauseMs, seed, maxInFlight };
  const thread = new Worker(new URL('./crash-sender.js', import.meta.url), {
    workerData: data,
    transferList: linkTransferList(link),
  });
  thread.on('message', (m: { kind: string }) => {
    // Start disrupting only once batches flow, so the drill overlaps the window in which the kill lands.
    if (m.kind === 'ack' && disrupt !== 'none') _drill ??= runDrill(disrupt);
  });
  thread.on('error', (err) => {
    fs.writeSync(2, `crash-child: sender ${worker} failed: ${err.stack ?? err.message}\n`);
    process.exit(4);
  });
}

/** Alternates normal running with spells in which batches cannot be written and are deferred to the spool. */
async function runDrill(mode: Exclude<DisruptMode, 'none'>): Promise<void> {
  const random = seededRandom(seed * 7919 + cycle);
  for (;;) {
    await sleep(400 + random() * 500);
    emit(`PHASE ${mode} on ${Date.now()}`);
    if (mode === 'isolate') {
      manager.breaker.isolate();
    } else {
      // A cap at the current size: the next page the writer needs fails with SQLITE_FULL, as on a full disk;
      // two failures open the breaker and batches go to the spool.
      const pages = (await readDatabase(manager, (db) => db.pragma('page_count', { simple: true }))) as number;
      await setPageLimit(manager, pages);
    }
    await sleep(250 + random() * 350);
    if (mode === 'isolate') manager.breaker.release();
    else await setPageLimit(manager, 0);
    emit(`PHASE ${mode} off ${Date.now()}`);
  }
}
