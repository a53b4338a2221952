// Per-thread CPU accounting from /proc (Linux): a thread's own busy time shows up as CPU time, and a funnel load
// run reports its producers, its main thread and the other threads (the writer first) over the timed window.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { runLoad } from '../../../bench/load-run.ts';
import { ownThreadTimes, sumTimes, threadSnapshot, timesBetween } from '../../../bench/thread-cpu.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-thread-cpu-');
const spin = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe.runIf(process.platform === 'linux')('thread CPU accounting', () => {
  it('counts a busy loop on the calling thread as its CPU time', () => {
    const a = ownThreadTimes()!;
    spin(300);
    const b = ownThreadTimes()!;
    const d = timesBetween(a.times, b.times);
    expect(b.tid).toBe(a.tid);
    // 300 ms of wall time spinning: on a CPU for most of it, however busy the machine.
    expect(d.cpuMs + d.runQueueMs).toBeGreaterThan(250);
    expect(d.cpuMs).toBeGreaterThan(100);
    expect(threadSnapshot()!.has(a.tid)).toBe(true);
  });

  it('sees another thread of the process, not only the calling one', async () => {
    const before = threadSnapshot()!;
    const w = new Worker(
      'const end = Date.now() + 300; while (Date.now() < end); require("node:worker_threads").parentPort.postMessage(require("node:fs").readlinkSync("/proc/thread-self"));',
      { eval: true },
    );
    const tid = Number(
      String(await new Promise((r) => w.once('message', r)))
        .split('/')
        .pop(),
    );
    const after = threadSnapshot()!;
    await w.terminate();
    expect(before.has(tid)).toBe(false);
    expect(after.get(tid)!.cpuMs).toBeGreaterThan(100);
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
