// Per-thread CPU accounting from /proc (Linux): a thread's own busy time shows up as CPU time, and a funnel load
// run reports its producers, its main thread and the other threads (the writer first) over the timed window.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { runLoad } from '../../../bench/load-run.ts';
import { ownThreadTimes, sumTimes, threadSnapshot, timesBetween } from '../../../bench/thread-cpu.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-thread-cpu-');

describe.runIf(process.platform === 'linux')('thread CPU accounting', () => {
  it('counts a busy loop on the calling thread as its CPU time', () => {
    const a = ownThreadTimes()!;
    const cpu0 = process.cpuUsage();
    const processCpuMs = () => {
      const u = process.cpuUsage(cpu0);
      return (u.user + u.system) / 1000;
    };
    // Busy until the process has used 300 ms of CPU, however long that takes on a busy machine.
    while (processCpuMs() < 300);
    const b = ownThreadTimes()!;
    const spent = processCpuMs();
    const d = timesBetween(a.times, b.times);
    expect(b.tid).toBe(a.tid);
    // Nearly all of the process's CPU meanwhile was this thread's loop (its other threads were idle), and
    // never more than the process's.
    expect(d.cpuMs).toBeGreaterThan(spent * 0.8);
    expect(d.cpuMs).toBeLessThanOrEqual(spent + 5);
    expect(threadSnapshot()!.has(a.tid)).toBe(true);
  });

  it('sees another thread of the process, not only the calling one', async () => {
    const before = threadSnapshot()!;
    // The thread spins until its own schedstat shows 200 ms on a CPU, says its id and that figure, and stays
    // (listening) until terminated, so the snapshot below finds it.
    const w = new Worker(
      `const fs = require('node:fs');
      const { parentPort } = require('node:worker_threads');
      const cpuMs = () => Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
      const start = cpuMs();
      while (cpuMs() - start < 200);
      parentPort.on('message', () => {});
      parentPort.postMessage({
        tid: Number(fs.readlinkSync('/proc/thread-self').split('/').pop()),
        cpuMs: cpuMs(),
      });`,
      { eval: true },
    );
    const seen = (await new Promise((r) => w.once('message', r))) as { tid: number; cpuMs: number };
    const after = threadSnapshot()!;
    await w.terminate();
    expect(before.has(seen.tid)).toBe(false);
    expect(after.get(seen.tid)!.cpuMs).toBeGreaterThanOrEqual(seen.cpuMs);
  });

  it('reports a funnel run thread by thread: producers, main, the writer (by the id it reports) and the rest', async () => {
    const r = await runLoad({
      manager: 'funnel',
      collectors: 3,
      trades: 12_000,
      duplicates: 0.3,
      dbPath: path.join(dir, 'funnel.db'),
    });
    const t = r.threads!;
    expect(t).not.toBeNull();
    expect(t.producers.cpuMs).toBeGreaterThan(0);
    const others = t.others.map((o) => o.cpuMs);
    expect(others).toEqual([...others].sort((a, b) => b - a));
    // The writer ran every INSERT: busier than the main thread and than any thread left in `others`.
    expect(t.writer).not.toBeNull();
    expect(t.writer!.cpuMs).toBeGreaterThan(t.main.cpuMs);
    expect(t.writer!.cpuMs).toBeGreaterThan(others[0] ?? 0);
    expect(sumTimes([t.main, t.producers, t.writer!, ...t.others]).cpuMs).toBeLessThanOrEqual(r.cpuSeconds * 1000 + 50);
  });

  it('a direct run has no writer thread', async () => {
    const r = await runLoad({
      manager: 'direct',
      collectors: 2,
      trades: 2_000,
      duplicates: 0.3,
      dbPath: path.join(dir, 'direct.db'),
    });
    expect(r.threads!.writer).toBeNull();
  });
});
