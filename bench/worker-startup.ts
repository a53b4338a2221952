// `node dist/bench/worker-startup.js [--threads 8]`: how long N worker threads take to start through
// new Worker (compiled JavaScript) and how much RSS they add. Prints one JSON line.

import { Worker } from 'node:worker_threads';
import { intFlag, parseFlags, runScript } from '../src/cli/command.ts';
import { machineSummary } from './machine.ts';

const USAGE = 'usage: node dist/bench/worker-startup.js [--threads N]';

await runScript('worker-startup', USAGE, async () => {
  const { values } = parseFlags(process.argv.slice(2), { threads: { type: 'string' } });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const threads = intFlag('threads', values.threads, 8, 1, 64);
  const rssBefore = process.memoryUsage.rss();
  const t0 = performance.now();
  const workers = await Promise.all(
    Array.from({ length: threads }, () => {
      const w = new Worker(new URL('./idle-worker.js', import.meta.url));
      return new Promise<typeof w>((resolve, reject) => {
        w.once('message', () => resolve(w));
        w.once('error', reject);
      });
    }),
  );
  const startupMs = Math.round(performance.now() - t0);
  const rssAddedMb = Math.round((process.memoryUsage.rss() - rssBefore) / 2 ** 20);
  await Promise.all(workers.map((w) => w.terminate()));
  process.stdout.write(`${JSON.stringify({ threads, startupMs, rssAddedMb, machine: machineSummary().line })}\n`);
});
