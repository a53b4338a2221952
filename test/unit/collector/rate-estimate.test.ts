// One pool's rate estimate: from the first answer's span, smoothed over polls, jumping at a burst or a gap, easing
// back after it, and starting from a stored rate.
import { describe, expect, it } from 'vitest';
import { RateEstimate } from '../../../src/collector/rate-estimate.ts';

/** An answer at `atS` (seconds) of a pool making `rate` trades/s steadily, `fresh` of them new. */
function answer(atS: number, rate: number, fresh: number, gap = false) {
  const count = Math.min(300, Math.round(rate * 3600));
  // Off the whole second: this oldest trade's time is taken as exact.
  const atMs = atS * 1000 + 250;
  return { atMs, count, oldestMs: atMs - (count / rate) * 1000, fresh, gap };
}

describe('RateEstimate', () => {
  it('takes the first answer over the span it covers', () => {
    const e = new RateEstimate();
    expect(e.rate).toBeUndefined();
    e.observe(answer(1000, 5, 300));
    expect(e.rate).toBeCloseTo(5, 5);
  });

  it('counts the new trades over the time between polls', () => {
    const e = new RateEstimate();
    e.observe(answer(1000, 5, 300));
    for (let t = 1030; t <= 1300; t += 30) e.observe(answer(t, 5, 150));
    expect(e.rate).toBeCloseTo(5, 1);
  });

  it('jumps to a burst at once (a full answer that did not reach the cursor) and eases back after it', () => {
    const e = new RateEstimate();
    e.observe(answer(1000, 5, 300));
    e.observe(answer(1030, 5, 150));
    e.observe(answer(1050, 50, 300, true));
    expect(e.rate).toBeCloseTo(50, 5);
    let t = 1050;
    for (let i = 0; i < 40; i++) {
      t += 20;
      e.observe(answer(t, 5, 100));
    }
    expect(e.rate).toBeLessThan(7);
    expect(e.rate).toBeGreaterThan(4);
  });

  it('starts from a stored rate and lets the first answers move it', () => {
    const e = new RateEstimate(20);
    expect(e.rate).toBeCloseTo(20, 5);
    e.observe(answer(1000, 20, 300));
    expect(e.rate).toBeCloseTo(20, 3);
  });

  it("takes the counters' prior until the first answer, which replaces it whole (a stored rate is blended)", () => {
    const counted = new RateEstimate(20, true);
    expect(counted.rate).toBeCloseTo(20, 5);
    counted.observe(answer(1000, 5, 300));
    expect(counted.rate).toBeCloseTo(5, 5);
    const stored = new RateEstimate(20);
    stored.observe(answer(1000, 5, 300));
    expect(stored.rate).toBeGreaterThan(5.5);
  });

  it('says a pool without trades in the last 24 hours makes none', () => {
    const e = new RateEstimate();
    e.observe({ atMs: 1_000_000, count: 0, oldestMs: Number.NaN, fresh: 0, gap: false });
    expect(e.rate).toBe(0);
  });
});

describe('RateEstimate of a busy pool, from whole-second block times', () => {
  it('takes the oldest trade as half a second after its stamp: 300 trades in 0.75 s are 400 a second', () => {
    const e = new RateEstimate();
    let sum = 0;
    // Polls at every phase of the second: the stamp of the oldest trade (0.75 s before) is its second's start.
    for (let i = 0; i < 20; i++) {
      const atMs = 1_000_000 + i * 2050;
      const oldestMs = Math.floor((atMs - 750) / 1000) * 1000;
      e.observe({ atMs, count: 300, oldestMs, fresh: 300, gap: i > 0 });
      if (i > 0) sum += e.rate!;
    }
    expect(sum / 19).toBeGreaterThan(320);
    expect(sum / 19).toBeLessThan(480);
  });

  it('takes the trades after the oldest second over the time since it ended, when there are enough of them', () => {
    // 400 trades/s: 300 trades over 0.75 s. The answer 1.5 s after its oldest trade's second began: 200 trades in
    // the last 0.5 s (after that second), 100 in it. The half-second guess would say 300 over 1 s.
    const e = new RateEstimate();
    e.observe({ atMs: 1_000_001_500, count: 300, oldestMs: 1_000_000_000, newerCount: 200, fresh: 300, gap: false });
    expect(e.rate).toBeCloseTo(400, 6);
  });
});
