// `npm run -s bench:footprint -- [--package DIR] [--reps N] [--seconds S] [--json]`: start-up times and the
// steady-state footprint of the real job. Times: `--version`, the first `import 'gecko-collector'`, a worker
// thread that imports the package until it is ready, launch to "collectors running". Footprint: RSS, threads
// and CPU of the real job as a user starts it, `collect --pools … --calls-per-minute 30` (the public rate, no
// --collectors) against a simulator this benchmark serves (so the measured process holds only the job, as
// against the real API), sampled every second from /proc; then the same with --collectors 1 and 4, whose
// difference is the cost of an extra collector thread. --package points at another checkout (built and installed) to measure
// it the same way, for before/after.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type GeckoSimulator, startGeckoSimulator } from '../src/sim/gecko-simulator.ts';
import { machineSummary } from './machine.ts';

const USAGE = 'usage: npm run -s bench:footprint -- [--package DIR] [--reps N] [--seconds S] [--json]';
const CLK_TCK = 100;

interface Footprint {
  package: string;
  machine: string;
  versionSeconds: number;
  firstImportSeconds: number;
  importProcessSeconds: number;
  workerReadySeconds: number;
  workerEntry: string;
  startupSeconds: number;
  /** The default job (no --collectors). */
  steady: Steady;
  /** --collectors 1 and 4. */
  oneCollector: Steady;
  fourCollectors: Steady;
  /** (peak RSS with 4 − with 1) / 3. */
  extraCollectorMb: number;
}

interface Steady {
  seconds: number;
  peakRssMb: number;
  meanRssMb: number;
  threads: number;
  cpuPercentOfOneCore: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timed(cmd: string, args: string[], cwd: string): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, GECKO_LOG_LEVEL: 'error' } });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return s;
}

/** A folder whose node_modules holds the package under its name, so `import 'gecko-collector'` resolves as installed. */
function consumerDir(pkg: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gecko-footprint-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(pkg, path.join(dir, 'node_modules', 'gecko-collector'));
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module","private":true}');
  fs.writeFileSync(
    path.join(dir, 'import.mjs'),
    `const t0 = performance.now();
await import('gecko-collector');
process.stdout.write(String((performance.now() - t0) / 1000));
`,
  );
  fs.writeFileSync(
    path.join(dir, 'worker.mjs'),
    `import { Worker, isMainThread, parentPort } from 'node:worker_threads';
if (isMainThread) {
  await import('gecko-collector');
  const t0 = performance.now();
  const w = new Worker(new URL(import.meta.url));
  w.once('message', () => { process.stdout.write(String((performance.now() - t0) / 1000)); void w.terminate(); });
} else {
  await import(process.env.FOOTPRINT_WORKER_ENTRY);
  parentPort.postMessage('ready');
}
`,
  );
  return dir;
}

function procStat(pid: number): { rssKb: number; threads: number; cpuTicks: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      rssKb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0),
      threads: Number(/Threads:\s+(\d+)/.exec(status)?.[1] ?? 0),
      // utime and stime are fields 14 and 15 of /proc/PID/stat (11 and 12 after the command).
      cpuTicks: Number(fields[11]) + Number(fields[12]),
    };
  } catch {
    return undefined;
  }
}

/** Runs the real job; returns launch → "collectors running" and the footprint sampled after it. */
async function collectRun(
  bin: string,
  cwd: string,
  seconds: number,
  collectors: number | undefined,
  sim: GeckoSimulator,
): Promise<{ startupSeconds: number; steady: Steady }> {
  const db = path.join(cwd, `footprint-${collectors ?? 'default'}.db`);
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      bin,
      'collect',
      '--base-url',
      sim.baseUrl,
      '--network',
      sim.network,
      '--pools',
      sim.pools.map((p) => p.address).join(','),
      ...(collectors === undefined ? [] : ['--collectors', String(collectors)]),
      '--calls-per-minute',
      '30',
      // Polls due faster than the budget allows: the job runs at the full public rate throughout.
      '--poll-interval',
      '2',
      '--duration',
      String(seconds + 5),
      '--db',
      `sqlite:///${db}`,
    ],
    { cwd, env: { ...process.env, GECKO_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let startupSeconds = Number.NaN;
  const ready = new Promise<void>((resolve, reject) => {
    let buffered = '';
    child.stderr.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      if (Number.isNaN(startupSeconds) && buffered.includes('collectors running')) {
        startupSeconds = (performance.now() - t0) / 1000;
        resolve();
      }
      if (buffered.length > 1 << 20) buffered = buffered.slice(-4096);
    });
    child.once('exit', (code) => reject(new Error(`collect exited (${code}) before its collectors ran`)));
  });
  await ready;
  const samples: { rssKb: number; threads: number; cpuTicks: number; at: number }[] = [];
  for (let i = 0; i <= seconds; i++) {
    const s = procStat(child.pid!);
    if (s) samples.push({ ...s, at: performance.now() });
    await new Promise((r) => setTimeout(r, 1000));
  }
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await done;
  // Steady state: leave out the first 10 s after start-up (JIT, first polls, metadata).
  const steady = samples.slice(Math.min(10, samples.length - 2));
  const first = steady[0]!;
  const last = steady[steady.length - 1]!;
  const wall = (last.at - first.at) / 1000;
  return {
    startupSeconds,
    steady: {
      seconds: Math.round(wall),
      peakRssMb: Math.max(...samples.map((s) => s.rssKb)) / 1024,
      meanRssMb: steady.reduce((a, s) => a + s.rssKb, 0) / steady.length / 1024,
      threads: Math.max(...samples.map((s) => s.threads)),
      cpuPercentOfOneCore: wall > 0 ? ((last.cpuTicks - first.cpuTicks) / CLK_TCK / wall) * 100 : 0,
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      package: { type: 'string' },
      reps: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '60' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const reps = Number(values.reps);
  const seconds = Number(values.seconds);
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps: expected an integer >= 1, got ${values.reps}`);
  if (!Number.isInteger(seconds) || seconds < 15)
    throw new Error(`--seconds: expected an integer >= 15, got ${values.seconds}`);
  const pkg = path.resolve(values.package ?? fileURLToPath(new URL('../..', import.meta.url)));
  const bin = path.join(pkg, 'bin/gecko-collector.mjs');
  if (!fs.existsSync(bin)) throw new Error(`${pkg} is not a gecko-collector checkout (no bin/gecko-collector.mjs)`);
  const machine = machineSummary().line;
  if (!values.json) process.stdout.write(`${machine}\npackage: ${pkg}\n`);
  const dir = consumerDir(pkg);
  // A thread that only sends batches imports the light entry where the package has one.
  const exportsField = (
    JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { exports?: Record<string, unknown> }
  ).exports;
  const workerEntry = exportsField?.['./sender'] ? 'gecko-collector/sender' : 'gecko-collector';
  try {
    // One warm-up of each: the OS file cache, not the package, should not be what is measured.
    timed(process.execPath, [bin, '--version'], dir);
    timed(process.execPath, ['import.mjs'], dir);
    const versions: number[] = [];
    const imports: number[] = [];
    const importProcesses: number[] = [];
    const workers: number[] = [];
    for (let i = 0; i < reps; i++) {
      versions.push(timed(process.execPath, [bin, '--version'], dir));
      const t0 = performance.now();
      const r = spawnSync(process.execPath, ['import.mjs'], { cwd: dir, encoding: 'utf8' });
      importProcesses.push((performance.now() - t0) / 1000);
      imports.push(Number(r.stdout));
      workers.push(
        Number(
          spawnSync(process.execPath, ['worker.mjs'], {
            cwd: dir,
            encoding: 'utf8',
            env: { ...process.env, FOOTPRINT_WORKER_ENTRY: workerEntry },
          }).stdout,
        ),
      );
    }
    // The market `collect --simulate` serves with 4 collectors: 8 pools, 4 trades/s each.
    const sim = await startGeckoSimulator({ pools: 8, tradesPerSecond: 4, historySeconds: 3600, seed: 1 });
    let run: Awaited<ReturnType<typeof collectRun>>;
    let one: Awaited<ReturnType<typeof collectRun>>;
    let four: Awaited<ReturnType<typeof collectRun>>;
    try {
      run = await collectRun(bin, dir, seconds, undefined, sim);
      one = await collectRun(bin, dir, seconds, 1, sim);
      four = await collectRun(bin, dir, seconds, 4, sim);
    } finally {
      await sim.close();
    }
    const result: Footprint = {
      package: pkg,
      machine,
      versionSeconds: median(versions),
      firstImportSeconds: median(imports),
      importProcessSeconds: median(importProcesses),
      workerReadySeconds: median(workers),
      workerEntry,
      ...run,
      oneCollector: one.steady,
      fourCollectors: four.steady,
      extraCollectorMb: (four.steady.peakRssMb - one.steady.peakRssMb) / 3,
    };
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      const line = (what: string, s: Steady) =>
        `${what}, ${s.seconds} s steady state:\n  peak RSS ${s.peakRssMb.toFixed(0)} MB, mean ${s.meanRssMb.toFixed(0)} MB, ${s.threads} threads, CPU ${s.cpuPercentOfOneCore.toFixed(2)} % of one core`;
      process.stdout.write(
        `${[
          `--version:                 ${result.versionSeconds.toFixed(3)} s (median of ${reps}, whole process)`,
          `first import:              ${result.firstImportSeconds.toFixed(3)} s in-process (${result.importProcessSeconds.toFixed(3)} s whole process)`,
          `worker thread ready:       ${result.workerReadySeconds.toFixed(3)} s (new Worker → imported ${result.workerEntry})`,
          `launch → collectors run:   ${result.startupSeconds.toFixed(2)} s`,
          line('collect at 30 calls/min, default collectors', result.steady),
          line('collect at 30 calls/min, --collectors 1', result.oneCollector),
          line('collect at 30 calls/min, --collectors 4', result.fourCollectors),
          `each extra collector thread: ${result.extraCollectorMb.toFixed(1)} MB peak RSS ((4 − 1) / 3)`,
        ].join('\n')}\n`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:footprint: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
  process.exitCode = 2;
});
