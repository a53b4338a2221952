// How a run ended decides the exit code a service manager sees: auth refused 4, trades left in the spool 5,
// no successful poll 3, a failed collector 1, else 0; and /healthz's verdict from the breaker and poll ages.
import { describe, expect, it } from 'vitest';
import { verdictLine } from '../../../src/cli/collect-summary.ts';
import { exitCodeForOutcome } from '../../../src/cli/exit-codes.ts';
import { evaluateHealth } from '../../../src/monitoring/health.ts';
import { emptyCounters } from '../../../src/protocol/collector-task.ts';
import { buildSummary, type SummaryInput } from '../../../src/run/run-summary.ts';

function input(o: Partial<SummaryInput> & { polls?: number; succeeded?: number } = {}): SummaryInput {
  const counters = { ...emptyCounters(), polls: o.polls ?? 10, requests: o.polls ?? 10, succeeded: o.succeeded ?? 10 };
  return {
    manager: 'funnel',
    batching: true,
    pragmas: 'optimized',
    network: 'solana',
    dbPath: '/d/x.db',
    pools: 2,
    poolSource: 'given',
    paidApi: false,
    collectors: 2,
    resumedPools: 0,
    durationMs: 1000,
    startupMs: 500,
    counters,
    storedOnReplay: 0,
    lock: { lockErrors: 0, busyRetries: 0 },
    failures: [],
    simulator: undefined,
    authRefused: undefined,
    spooled: { batches: 0, rows: 0 },
    finalSnapshot: undefined,
    metricsFile: undefined,
    metricsUrl: undefined,
    ...o,
  };
}

describe('run outcome → exit code', () => {
  it.each([
    ['collected', input(), 0],
    ['no-api-success', input({ succeeded: 0 }), 3],
    ['auth-refused', input({ succeeded: 0, authRefused: { status: 401, message: 'refused' } }), 4],
    ['storage-failed', input({ spooled: { batches: 3, rows: 600 } }), 5],
    ['collector-failed', input({ failures: ['boom'] }), 1],
  ] as const)('%s', (outcome, given, code) => {
    const s = buildSummary(given);
    expect(s.outcome).toBe(outcome);
    expect(exitCodeForOutcome(s.outcome)).toBe(code);
    if (code === 0) expect(verdictLine(s)).toBeUndefined();
    else expect(verdictLine(s)).toMatch(/\S/);
  });

  it('the storage verdict says where the trades are kept', () => {
    const s = buildSummary(input({ spooled: { batches: 3, rows: 600 } }));
    expect(s.tradesInSpool).toBe(600);
    expect(verdictLine(s)).toBe(
      '600 fetched trades could not be stored in /d/x.db; they are kept in /d/x.db.spool and the next run stores them',
    );
  });

  it('a run stopped before its first poll collected nothing but failed at nothing', () => {
    expect(buildSummary(input({ polls: 0, succeeded: 0 })).outcome).toBe('collected');
  });
});

describe('health', () => {
  const base = {
    now: 100_000,
    startedAt: 0,
    lastSuccessAt: 95_000,
    pollIntervalMs: 10_000,
    staleIntervals: 3,
    breakerState: 'CLOSED',
    stopping: false,
  };
  it('healthy while polls succeed and the breaker lets writes through', () => {
    expect(evaluateHealth(base)).toMatchObject({ healthy: true, status: 'ok', reasons: [], lastSuccessAgeSeconds: 5 });
  });
  it('unhealthy when the breaker is open, no poll succeeded for N intervals, or stopping', () => {
    expect(evaluateHealth({ ...base, breakerState: 'OPEN' }).reasons).toEqual([
      'the circuit breaker is OPEN: writes go to the spool, not the database',
    ]);
    expect(evaluateHealth({ ...base, lastSuccessAt: 60_000 })).toMatchObject({ healthy: false, status: 'unhealthy' });
    expect(evaluateHealth({ ...base, lastSuccessAt: null, startedAt: 50_000 }).reasons[0]).toMatch(
      /^no poll succeeded for 50 s \(none since the start 3 poll intervals\)$/,
    );
    expect(evaluateHealth({ ...base, lastSuccessAt: null, startedAt: 80_000 }).healthy).toBe(true);
    expect(evaluateHealth({ ...base, stopping: true })).toMatchObject({ healthy: false, status: 'stopping' });
  });
});
