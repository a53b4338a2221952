// A collection run lowers the CPU priority of its collector threads, and of nothing else (the writer, the
// checkpointer and the main thread keep the process's own), as the kernel reports it.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCollection } from '../../../src/run/collection-run.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { allThreadNices } from '../../support/thread-nice.ts';

describe('collector thread priority', () => {
  it('runs exactly the collector threads at the collectorNice value', async () => {
    const samples: number[][] = [];
    const handle = await startCollection({
      simulate: true,
      dbUrl: `sqlite:///${path.join(tempDir(), 'nice.db')}`,
      collectors: 3,
      collectorNice: 9,
      durationMs: 1500,
      progressIntervalMs: 100,
      metricsFile: false,
      onProgress: () => samples.push(allThreadNices()),
    });
    const summary = await handle.done;
    expect(summary.errors).toBe(0);
    expect(summary.stored).toBeGreaterThan(0);
    const atNine = samples.map((s) => s.filter((n) => n === 9).length);
    expect(Math.max(...atNine)).toBe(3);
    // The main thread, the writer and the rest stay at 0 meanwhile.
    expect(Math.min(...samples.map((s) => s.filter((n) => n === 0).length))).toBeGreaterThanOrEqual(3);
  });

  it('refuses a nice value out of range before anything starts', async () => {
    await expect(
      startCollection({ simulate: true, dbUrl: `sqlite:///${path.join(tempDir(), 'never.db')}`, collectorNice: 25 }),
    ).rejects.toThrow(/invalid collectorNice 25/);
  });
});
