// AlertEvaluator: each alert fires just above and not at/below its threshold, rates are judged over a
// recent window (with cumulative fallback), `since` survives while an alert stays active, and each
// transition is logged exactly once.

import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import {
  ALERT_NAMES,
  AlertEvaluator,
  type AlertEvaluatorOptions,
  DEFAULT_ALERT_THRESHOLDS,
} from '../../../src/monitoring/alert-evaluator.ts';
import type { AlertThresholds } from '../../../src/monitoring/metrics-snapshot.ts';
import { makeAlertInput } from '../../support/snapshot-fixture.ts';

interface LogLine {
  level: number;
  msg: string;
  alert?: string;
}

/** A real pino logger writing JSON lines into an array, plus a settable clock. */
function setup(thresholds: Partial<AlertThresholds> = {}, options: AlertEvaluatorOptions = {}) {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as LogLine);
      cb();
    },
  });
  const clock = { t: 1_000_000 };
  const logger = pino({ level: 'debug' }, sink);
  const evaluator = new AlertEvaluator(thresholds, { logger, now: () => clock.t, ...options });
  const warns = () => lines.filter((l) => l.level === 40);
  const infos = () => lines.filter((l) => l.level === 30);
  return { evaluator, clock, lines, warns, infos };
}

const names = (alerts: { name: string }[]) => alerts.map((a) => a.name);

describe('AlertEvaluator: thresholds', () => {
  it('exposes the default thresholds and every alert name', () => {
    expect(DEFAULT_ALERT_THRESHOLDS).toEqual({
      lockRetryRate: 0.05,
      breakerOpenMs: 60_000,
      minBatchFill: 0.5,
      queryLatencyMs: 100,
      minBatchesForFill: 20,
    });
    expect(ALERT_NAMES).toEqual(['lock-retry-rate', 'breaker-open-too-long', 'small-batches', 'slow-query']);
    expect(new AlertEvaluator().thresholds).toEqual(DEFAULT_ALERT_THRESHOLDS);
    expect(new AlertEvaluator({ queryLatencyMs: 250, lockRetryRate: undefined }).thresholds).toMatchObject({
      queryLatencyMs: 250,
      lockRetryRate: 0.05,
    });
  });

  it.each([
    ['lockRetryRate', { lockRetryRate: 1.5 }],
    ['lockRetryRate', { lockRetryRate: Number.NaN }],
    ['minBatchFill', { minBatchFill: -0.1 }],
    ['breakerOpenMs', { breakerOpenMs: -1 }],
    ['queryLatencyMs', { queryLatencyMs: Number.POSITIVE_INFINITY }],
    ['minBatchesForFill', { minBatchesForFill: 2.5 }],
    ['minBatchesForFill', { minBatchesForFill: 0 }],
    ['slowQueryMs', { slowQueryMs: 5 } as Partial<AlertThresholds>],
  ])('rejects a bad %s with a ConfigError naming the field', (field, thresholds) => {
    let caught: unknown;
    try {
      new AlertEvaluator(thresholds);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).field).toBe(field);
    expect((caught as ConfigError).code).toBe('CONFIG_INVALID');
  });

  it('rejects bad window options', () => {
    expect(() => new AlertEvaluator({}, { windowMs: 0 })).toThrow(ConfigError);
    expect(() => new AlertEvaluator({}, { minWindowOperations: 0.5 })).toThrow(ConfigError);
  });
});

describe('AlertEvaluator: each alert fires above and not at or below its threshold', () => {
  it('lock-retry-rate: busyRetries / operations > 5 %', () => {
    const at = (busyRetries: number) =>
      names(setup().evaluator.evaluate(makeAlertInput({ lock: { busyRetries, operations: 100 } })));
    expect(at(6)).toEqual(['lock-retry-rate']);
    expect(at(5)).toEqual([]);
    expect(at(4)).toEqual([]);
    // No operations yet: max(1, operations) keeps the rate finite.
    expect(names(setup().evaluator.evaluate(makeAlertInput({ lock: { busyRetries: 0, operations: 0 } })))).toEqual([]);

    const [alert] = setup().evaluator.evaluate(makeAlertInput({ lock: { busyRetries: 6, operations: 100 } }));
    expect(alert).toMatchObject({ name: 'lock-retry-rate', value: 0.06, threshold: 0.05, since: 1_000_000 });
    expect(alert?.message).toContain('6.0%');
  });

  it('breaker-open-too-long: not CLOSED for longer than 60 s, from breaker.unhealthySince', () => {
    const at = (state: 'OPEN' | 'ISOLATED' | 'HALF_OPEN' | 'CLOSED', openFor: number | null) => {
      const { evaluator, clock } = setup();
      const unhealthySince = openFor === null ? null : clock.t - openFor;
      return evaluator.evaluate(makeAlertInput({ breaker: { state, unhealthySince } }));
    };
    expect(names(at('OPEN', 60_001))).toEqual(['breaker-open-too-long']);
    expect(at('OPEN', 60_001)[0]).toMatchObject({ value: 60_001, threshold: 60_000 });
    expect(names(at('ISOLATED', 120_000))).toEqual(['breaker-open-too-long']);
    expect(names(at('OPEN', 60_000))).toEqual([]);
    expect(names(at('OPEN', 5_000))).toEqual([]);
    expect(names(at('HALF_OPEN', null))).toEqual([]);
    // Half-open probing that keeps failing is still "open" to an operator.
    expect(names(at('HALF_OPEN', 61_000))).toEqual(['breaker-open-too-long']);
    expect(names(at('CLOSED', null))).toEqual([]);
  });

  it('breaker-open-too-long: fires once the open period passes the limit', () => {
    const { evaluator, clock } = setup({ breakerOpenMs: 10_000 });
    const input = makeAlertInput({ breaker: { state: 'OPEN', openedAt: clock.t, unhealthySince: clock.t } });
    expect(evaluator.evaluate(input)).toEqual([]);
    clock.t += 10_000;
    expect(evaluator.evaluate(input)).toEqual([]);
    clock.t += 1;
    expect(names(evaluator.evaluate(input))).toEqual(['breaker-open-too-long']);
  });

  it('small-batches: avgBatchSize < 50 % of maxBatchSize, only after minBatchesForFill batches', () => {
    const at = (avgBatchSize: number, batches: number) =>
      names(
        setup().evaluator.evaluate(
          makeAlertInput({ batch: { avgBatchSize, maxBatchSize: 200, batches, rows: avgBatchSize * batches } }),
        ),
      );
    expect(at(99, 20)).toEqual(['small-batches']);
    expect(at(100, 20)).toEqual([]);
    expect(at(150, 40)).toEqual([]);
    expect(at(10, 19)).toEqual([]);

    const [alert] = setup().evaluator.evaluate(
      makeAlertInput({ batch: { avgBatchSize: 40, maxBatchSize: 200, batches: 25, rows: 1000 } }),
    );
    expect(alert).toMatchObject({ name: 'small-batches', value: 40, threshold: 100 });
  });

  it('small-batches leaves timer and close flushes out: low traffic is not inefficiency', () => {
    const byReason = (r: Partial<Record<'size' | 'maxWait' | 'flush' | 'close' | 'unspecified', [number, number]>>) => {
      const out = {
        size: { batches: 0, rows: 0 },
        maxWait: { batches: 0, rows: 0 },
        flush: { batches: 0, rows: 0 },
        close: { batches: 0, rows: 0 },
        unspecified: { batches: 0, rows: 0 },
      };
      for (const [k, [batches, rows]] of Object.entries(r)) out[k as keyof typeof out] = { batches, rows };
      const batches = Object.values(out).reduce((n, f) => n + f.batches, 0);
      const rows = Object.values(out).reduce((n, f) => n + f.rows, 0);
      return { avgBatchSize: rows / batches, maxBatchSize: 50, batches, rows, byReason: out };
    };
    const at = (r: Parameters<typeof byReason>[0]) =>
      setup().evaluator.evaluate(makeAlertInput({ batch: byReason(r) }));
    // A quiet run: 60 timer flushes of ~5 rows, 4 close tails and a few full batches from the first poll.
    expect(at({ maxWait: [60, 300], close: [4, 8], size: [5, 250] })).toEqual([]);
    // Under load every batch is cut by size or a flush; tiny ones mean batching is not doing its job.
    const [forced] = at({ flush: [40, 80], size: [2, 100] });
    expect(forced).toMatchObject({ name: 'small-batches', value: 180 / 42, threshold: 25 });
    expect(forced?.message).toContain('42 batches not cut by the max-wait timer or close');
    // Batches whose sender gives no reason (no batch processor) still count.
    expect(names(at({ unspecified: [30, 60], maxWait: [100, 4000] }))).toEqual(['small-batches']);
    // Fewer than minBatchesForFill judged batches: no verdict, however many timer flushes there were.
    expect(at({ maxWait: [500, 500], flush: [19, 19] })).toEqual([]);
  });

  it('small-batches window counts only judged batches', () => {
    const { evaluator, clock } = setup();
    const snap = (maxWait: [number, number], size: [number, number]) =>
      makeAlertInput({
        batch: {
          avgBatchSize: 0,
          maxBatchSize: 50,
          batches: maxWait[0] + size[0],
          rows: maxWait[1] + size[1],
          byReason: {
            size: { batches: size[0], rows: size[1] },
            maxWait: { batches: maxWait[0], rows: maxWait[1] },
            flush: { batches: 0, rows: 0 },
            close: { batches: 0, rows: 0 },
            unspecified: { batches: 0, rows: 0 },
          },
        },
      });
    expect(evaluator.evaluate(snap([0, 0], [30, 1500]))).toEqual([]);
    clock.t += 10_000;
    // 200 timer batches of 2 rows arrived in the window: the 30 full batches are still all that is judged.
    expect(evaluator.evaluate(snap([200, 400], [30, 1500]))).toEqual([]);
  });

  it('slow-query: queryLatencyMs > 100 ms', () => {
    const at = (queryLatencyMs: number) =>
      names(setup().evaluator.evaluate(makeAlertInput({ lock: { queryLatencyMs } })));
    expect(at(100.5)).toEqual(['slow-query']);
    expect(at(100)).toEqual([]);
    expect(at(3)).toEqual([]);
    expect(at(Number.NaN)).toEqual([]);
  });

  it('honours custom thresholds and reports several alerts in ALERT_NAMES order', () => {
    const { evaluator, clock } = setup({ queryLatencyMs: 10, lockRetryRate: 0.5 });
    const alerts = evaluator.evaluate(
      makeAlertInput({
        lock: { queryLatencyMs: 11, busyRetries: 40, operations: 100 },
        breaker: { state: 'ISOLATED', openedAt: clock.t - 61_000, unhealthySince: clock.t - 61_000 },
        batch: { avgBatchSize: 1, maxBatchSize: 200, batches: 100, rows: 100 },
      }),
    );
    expect(names(alerts)).toEqual(['breaker-open-too-long', 'small-batches', 'slow-query']);
  });
});

describe('AlertEvaluator: rates over a recent window', () => {
  it('an early burst of retries stops counting once enough healthy operations followed', () => {
    const { evaluator, clock } = setup();
    expect(names(evaluator.evaluate(makeAlertInput({ lock: { busyRetries: 200, operations: 1000 } })))).toEqual([
      'lock-retry-rate',
    ]);
    clock.t += 10_000;
    // Cumulative would be 200 / 2000 = 10 %; the last 1000 operations had no retries.
    expect(evaluator.evaluate(makeAlertInput({ lock: { busyRetries: 200, operations: 2000 } }))).toEqual([]);
  });

  it('a recent burst fires even after a long healthy history', () => {
    const { evaluator, clock } = setup();
    expect(evaluator.evaluate(makeAlertInput({ lock: { busyRetries: 0, operations: 100_000 } }))).toEqual([]);
    clock.t += 10_000;
    const [alert] = evaluator.evaluate(makeAlertInput({ lock: { busyRetries: 10, operations: 100_100 } }));
    // 10 / 100 in the window, though only 0.01 % since start.
    expect(alert).toMatchObject({ name: 'lock-retry-rate', value: 0.1 });
    expect(alert?.message).toContain('last 10 s');
  });

  it('falls back to the cumulative rate when the window holds too few operations', () => {
    const { evaluator, clock } = setup();
    evaluator.evaluate(makeAlertInput({ lock: { busyRetries: 0, operations: 1000 } }));
    clock.t += 10_000;
    // 10 retries in 10 operations is 100 % in the window, but 10 < minWindowOperations (20): cumulative 1 %.
    expect(evaluator.evaluate(makeAlertInput({ lock: { busyRetries: 10, operations: 1010 } }))).toEqual([]);

    const custom = setup({}, { minWindowOperations: 5 });
    custom.evaluator.evaluate(makeAlertInput({ lock: { busyRetries: 0, operations: 1000 } }));
    custom.clock.t += 10_000;
    expect(names(custom.evaluator.evaluate(makeAlertInput({ lock: { busyRetries: 10, operations: 1010 } })))).toEqual([
      'lock-retry-rate',
    ]);
  });

  it('the window moves: snapshots older than windowMs stop being the baseline', () => {
    const { evaluator, clock } = setup({}, { windowMs: 60_000 });
    const t0 = clock.t;
    evaluator.evaluate(makeAlertInput({ lock: { busyRetries: 0, operations: 0 } }));
    clock.t = t0 + 30_000;
    expect(names(evaluator.evaluate(makeAlertInput({ lock: { busyRetries: 120, operations: 1000 } })))).toEqual([
      'lock-retry-rate',
    ]);
    clock.t = t0 + 100_000;
    // Baseline is now the t0+30 s snapshot (the newest at least 60 s old): 0 retries in 1000 operations,
    // although both cumulative (6 %) and a baseline at t0 (6 %) would still fire.
    expect(evaluator.evaluate(makeAlertInput({ lock: { busyRetries: 120, operations: 2000 } }))).toEqual([]);
  });

  it('counters going backwards (a reset) drop the history and use the new cumulative figures', () => {
    const { evaluator, clock } = setup();
    evaluator.evaluate(makeAlertInput({ lock: { busyRetries: 0, operations: 10_000 } }));
    clock.t += 5_000;
    const [alert] = evaluator.evaluate(makeAlertInput({ lock: { busyRetries: 10, operations: 100 } }));
    expect(alert).toMatchObject({ name: 'lock-retry-rate', value: 0.1 });
    expect(alert?.message).toContain('since start');
  });

  it('small-batches is judged on recent batches too', () => {
    const { evaluator, clock } = setup();
    expect(
      evaluator.evaluate(
        makeAlertInput({ batch: { avgBatchSize: 200, maxBatchSize: 200, batches: 100, rows: 20_000 } }),
      ),
    ).toEqual([]);
    clock.t += 10_000;
    // 20 new batches of 10 rows: cumulative average 168 rows would pass, the window's 10 rows does not.
    const [alert] = evaluator.evaluate(
      makeAlertInput({ batch: { avgBatchSize: 20_200 / 120, maxBatchSize: 200, batches: 120, rows: 20_200 } }),
    );
    expect(alert).toMatchObject({ name: 'small-batches', value: 10, threshold: 100 });
  });
});

describe('AlertEvaluator: since and logging', () => {
  const slow = makeAlertInput({ lock: { queryLatencyMs: 500 } });
  const fast = makeAlertInput({ lock: { queryLatencyMs: 1 } });

  it('keeps `since` while the alert stays active and restarts it after it cleared', () => {
    const { evaluator, clock } = setup();
    const t0 = clock.t;
    expect(evaluator.evaluate(slow)[0]?.since).toBe(t0);
    clock.t += 5_000;
    expect(evaluator.evaluate(slow)[0]?.since).toBe(t0);
    clock.t += 5_000;
    expect(evaluator.evaluate(fast)).toEqual([]);
    clock.t += 5_000;
    expect(evaluator.evaluate(slow)[0]?.since).toBe(t0 + 15_000);
  });

  it('logs one warn when an alert becomes active and one info when it clears, not on every evaluation', () => {
    const { evaluator, clock, warns, infos, lines } = setup();
    evaluator.evaluate(fast);
    expect(lines).toEqual([]);
    for (let i = 0; i < 3; i++) {
      evaluator.evaluate(slow);
      clock.t += 1_000;
    }
    expect(warns()).toHaveLength(1);
    expect(warns()[0]).toMatchObject({ alert: 'slow-query' });
    expect(warns()[0]?.msg).toContain('500');
    expect(infos()).toEqual([]);

    evaluator.evaluate(fast);
    evaluator.evaluate(fast);
    expect(warns()).toHaveLength(1);
    expect(infos()).toHaveLength(1);
    expect(infos()[0]).toMatchObject({ alert: 'slow-query', activeMs: 3_000 });

    evaluator.evaluate(slow);
    expect(warns()).toHaveLength(2);
  });

  it('reset() forgets active alerts silently', () => {
    const { evaluator, clock, lines } = setup();
    evaluator.evaluate(slow);
    evaluator.reset();
    clock.t += 1_000;
    expect(evaluator.evaluate(slow)[0]?.since).toBe(clock.t);
    expect(lines.filter((l) => l.level === 30)).toEqual([]);
  });
});
