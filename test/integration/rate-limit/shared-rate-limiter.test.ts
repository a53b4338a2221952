import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { SharedRateLimiter } from '../../../src/rate-limit/shared-rate-limiter.ts';
import type { RateLimitWorkerResult } from './fixtures/rate-limit-worker.ts';

const WORKER = new URL('./fixtures/rate-limit-worker.js', import.meta.url);

function fakeClock(start: number) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('SharedRateLimiter schedule (fake clock)', () => {
  const T0 = 1_700_000_000_123;

  it('spaces calls one interval apart at the GeckoTerminal default of 30/min', () => {
    const clock = fakeClock(T0);
    const limiter = new SharedRateLimiter({ clock: clock.now });
    expect(limiter.settings).toEqual({ intervalMs: 2000, burst: 1, minSpacingMs: 1000 });
    expect([limiter.reserve(), limiter.reserve(), limiter.reserve()].map((g) => g - T0)).toEqual([0, 2000, 4000]);
  });

  it('allows a burst, but never closer than the minimum spacing, then falls back to the rate', () => {
    const clock = fakeClock(T0);
    const limiter = new SharedRateLimiter({ callsPerMinute: 30, burst: 3, minSpacingMs: 500, clock: clock.now });
    const grants = Array.from({ length: 6 }, () => limiter.reserve() - T0);
    expect(grants).toEqual([0, 500, 1000, 2000, 4000, 6000]);
  });

  it('refills the burst after an idle period', () => {
    const clock = fakeClock(T0);
    const limiter = new SharedRateLimiter({ callsPerMinute: 60, burst: 2, minSpacingMs: 100, clock: clock.now });
    limiter.reserve();
    limiter.reserve();
    expect(limiter.reserve() - T0).toBe(1000);
    clock.advance(10_000);
    expect([limiter.reserve(), limiter.reserve()].map((g) => g - T0)).toEqual([10_000, 10_100]);
  });

  it('pause() holds every caller back, then the normal schedule resumes', () => {
    const clock = fakeClock(T0);
    const limiter = new SharedRateLimiter({ callsPerMinute: 600, burst: 5, minSpacingMs: 0, clock: clock.now });
    limiter.reserve();
    limiter.pause(7_000);
    const other = SharedRateLimiter.fromShared(limiter.buffer, { clock: clock.now });
    const after = [other.reserve(), limiter.reserve()].map((g) => g - T0);
    expect(after[0]).toBeGreaterThanOrEqual(7_000);
    expect(after[1]).toBeGreaterThanOrEqual(7_000);
    expect(limiter.grants()).toBe(3);
  });

  it('rejects bad settings and foreign buffers', () => {
    expect(() => new SharedRateLimiter({ callsPerMinute: 0 })).toThrow(ConfigError);
    expect(() => new SharedRateLimiter({ callsPerMinute: 120_000 })).toThrow(/callsPerMinute/);
    expect(() => new SharedRateLimiter({ burst: 1.5 })).toThrow(/burst/);
    expect(() => new SharedRateLimiter({ minSpacingMs: -1 })).toThrow(/minSpacingMs/);
    expect(() => SharedRateLimiter.fromShared(new SharedArrayBuffer(64))).toThrow(/not a SharedRateLimiter/);
    expect(() => SharedRateLimiter.fromShared(new ArrayBuffer(64) as unknown as SharedArrayBuffer)).toThrow(
      ConfigError,
    );
  });
});

describe('SharedRateLimiter.acquire (real clock)', () => {
  it('waits on a timer and stops waiting at once on abort', async () => {
    // One call a minute: the second call's slot is a minute after the first one's.
    const limiter = new SharedRateLimiter({ callsPerMinute: 1 });
    const first = await limiter.acquire();
    const controller = new AbortController();
    const pending = limiter.acquire(controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    // Rejected before its slot came: the abort ended the wait, not the timer.
    expect(performance.timeOrigin + performance.now()).toBeLessThan(first + limiter.settings.intervalMs);
    await expect(limiter.acquire(AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('resolves no earlier than the reserved slot', async () => {
    const limiter = new SharedRateLimiter({ callsPerMinute: 600, burst: 1, minSpacingMs: 0 });
    const first = await limiter.acquire();
    const second = await limiter.acquire();
    expect(second - first).toBe(100);
    expect(performance.timeOrigin + performance.now()).toBeGreaterThanOrEqual(second);
  });
});

describe('SharedRateLimiter across 4 worker threads', () => {
  const workers: Worker[] = [];
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.terminate()));
  });

  it('holds one budget for all threads: rate, burst and minimum spacing', async () => {
    const intervalMs = 50; // 20 calls/s
    const burst = 4;
    const minSpacingMs = 20;
    const callsPerWorker = 8;
    const limiter = new SharedRateLimiter({ callsPerMinute: 1200, burst, minSpacingMs });
    expect(limiter.settings.intervalMs).toBe(intervalMs);

    const results: Promise<RateLimitWorkerResult>[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < 4; i++) {
      const worker = new Worker(WORKER, { workerData: { buffer: limiter.buffer, calls: callsPerWorker } });
      workers.push(worker);
      ready.push(
        new Promise((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', reject);
        }),
      );
    }
    await Promise.all(ready);
    for (const worker of workers) {
      results.push(
        new Promise((resolve, reject) => {
          worker.once('message', (m: RateLimitWorkerResult) => resolve(m));
          worker.once('error', reject);
        }),
      );
    }
    const goAt = performance.timeOrigin + performance.now();
    for (const worker of workers) worker.postMessage('go');
    const perWorker = await Promise.all(results);

    const total = 4 * callsPerWorker;
    expect(limiter.grants()).toBe(total);
    const grants = perWorker.flatMap((r) => r.grants).sort((a, b) => a - b);
    const resolved = perWorker.flatMap((r) => r.resolved).sort((a, b) => a - b);
    expect(grants).toHaveLength(total);

    // Minimum spacing between any two calls, whichever threads made them.
    for (let i = 1; i < grants.length; i++) expect(grants[i]! - grants[i - 1]!).toBeGreaterThanOrEqual(minSpacingMs);
    // GCRA: k+1 consecutive calls span at least (k - burst + 1) intervals, i.e. any window of W ms holds
    // at most floor(W / interval) + burst calls.
    for (let i = 0; i < grants.length; i++) {
      for (let k = burst; i + k < grants.length; k++) {
        expect(grants[i + k]! - grants[i]!).toBeGreaterThanOrEqual((k - burst + 1) * intervalMs);
      }
    }
    // The same bound on when calls really happened, for windows opening at "go" (before any call could start):
    // by go + W at most floor(W / interval) + burst calls had returned (1 ms slack for thread clock offsets).
    const last = resolved[resolved.length - 1]!;
    for (let w = 0; goAt + w <= last + intervalMs; w += 25) {
      const done = resolved.filter((t) => t <= goAt + w).length;
      expect(done).toBeLessThanOrEqual(Math.floor((w + 1) / intervalMs) + burst);
    }
    expect(last - goAt).toBeGreaterThanOrEqual((total - burst) * intervalMs - 1);
    // Liveness: every thread got all its calls (how soon depends on the machine, which is not asserted).
    for (const r of perWorker) expect(r.grants).toHaveLength(callsPerWorker);
  });
});
