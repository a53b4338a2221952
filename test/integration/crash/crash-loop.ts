// `npm run test:crash -- --cycles 20 [--seed N] [--db PATH] [--senders N] [--json]`: kill -9 the collecting
// process at random moments, restart, and check acked batches are all there, none half-written, integrity ok.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../../src/cli/cli-error.ts';
import { choiceFlag, intFlag, parseFlags, runScript } from '../../../src/cli/command.ts';
import type { CrashCycleResult, CrashLoopTotal } from './crash-cycle.ts';
import { DISRUPT_MODES, type DisruptMode, MAX_SENDERS } from './crash-plan.ts';

const USAGE = `usage: npm run test:crash -- [--cycles N] [--seed N] [--db PATH] [--senders N] [--batch-size N]
                             [--disrupt mixed|none|isolate|full] [--json]
  Each cycle starts a collecting child on PATH (default: a temp dir, removed afterwards), SIGKILLs it 0.8-3 s
  after its first ack, reopens the database (replaying the spool) and checks every acked batch is present,
  no batch is half-written, integrity_check is ok and the spool is empty. Exit 0 if all hold, 1 if not.`;

const { args, cycles, seed, senders, batchSize, disrupt, dbPath } = await runScript('test:crash', undefined, () => {
  const { values: args } = parseFlags(process.argv.slice(2), {
    cycles: { type: 'string' },
    seed: { type: 'string' },
    db: { type: 'string' },
    senders: { type: 'string' },
    'batch-size': { type: 'string' },
    disrupt: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const cycles = intFlag('cycles', args.cycles, 20, 1);
  const seed = intFlag('seed', args.seed, 1, 0, 2 ** 31);
  const senders = intFlag('senders', args.senders, 4, 1, MAX_SENDERS);
  const batchSize = intFlag('batch-size', args['batch-size'], 20, 1, 10_000);
  const disrupt = choiceFlag<DisruptMode | 'mixed'>('disrupt', args.disrupt, 'mixed', ['mixed', ...DISRUPT_MODES]);
  const dbPath = args.db
    ? path.resolve(args.db)
    : path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gecko-crash-')), 'crash.db');
  // Trades of cycle N are the same on every run: rows left by an earlier run would hide losses.
  if (args.db && fs.existsSync(dbPath)) throw new UsageError(`--db ${dbPath} already exists; give a new file`);
  return { args, cycles, seed, senders, batchSize, disrupt, dbPath };
});

// Before the logger is loaded (by the dynamic import): the restart's own logs would bury the report on stderr.
process.env.GECKO_LOG_LEVEL ??= 'error';
const { runCrashLoop } = await import('./crash-cycle.ts');

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
function cycleLine(c: CrashCycleResult): string {
  const when = c.killedDuring ? `, killed during ${c.killedDuring}` : '';
  const extra = [
    c.unackedPresent ? `unacked-but-committed ${c.unackedPresent}` : '',
    c.spoolLeft ? `SPOOL NOT EMPTY (${c.spoolLeft} left)` : '',
    c.unaccountedRows ? `UNACCOUNTED ROWS ${c.unaccountedRows}` : '',
    c.sendFailures ? `send failures ${c.sendFailures}` : '',
    c.childError ? `CHILD ERROR: ${c.childError}` : '',
  ].filter(Boolean);
  return (
    `cycle ${c.cycle}: acked ${c.acked} (deferred ${c.deferred}), present ${c.present}, lost ${c.lost}, half-written ${c.halfWritten}, ` +
    `integrity ${c.integrity}, spool replayed ${c.spoolReplayed}` +
    `  [${c.disrupt}, kill at +${c.killAfterMs} ms${when}, ${s(c.durationMs)}]${extra.length ? ` ${extra.join('; ')}` : ''}${c.ok ? '' : '  FAILED'}`
  );
}
function totalLine(t: CrashLoopTotal): string {
  return (
    `total: ${t.cycles} cycles, acked ${t.acked} (deferred ${t.deferred}), present ${t.present}, lost ${t.lost}, half-written ${t.halfWritten}, ` +
    `integrity ${t.integrityOk ? 'ok' : 'NOT ok'} in every cycle, spool replayed ${t.spoolReplayed}, kills during a drill ${t.killsDuringDrill}, ` +
    `${s(t.durationMs)}: ${t.ok ? 'OK' : 'FAILED'}`
  );
}

if (!args.json)
  process.stdout.write(
    `crash loop: ${cycles} cycles, ${senders} senders, batches of ${batchSize} trades, seed ${seed}, db ${dbPath}\n`,
  );
let result: Awaited<ReturnType<typeof runCrashLoop>>;
try {
  result = await runCrashLoop({
    dbPath,
    cycles,
    seed,
    senders,
    batchSize,
    disrupt,
    ...(args.json ? {} : { onCycle: (c: CrashCycleResult) => process.stdout.write(`${cycleLine(c)}\n`) }),
  });
} catch (err) {
  process.stderr.write(`test:crash: the loop itself failed; database kept at ${dbPath}\n`);
  throw err;
}
// A failing run keeps its file: the evidence for whoever reproduces it.
if (!args.db && result.total.ok) fs.rmSync(path.dirname(dbPath), { recursive: true, force: true });
else if (!result.total.ok) process.stderr.write(`test:crash: database kept at ${dbPath}\n`);

if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else process.stdout.write(`${totalLine(result.total)}\n`);
process.exit(result.total.ok ? 0 : 1);
