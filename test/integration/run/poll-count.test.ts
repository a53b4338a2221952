// A run's `polls` counts the polls that sent a request: under a tight rate limit most polls of a short run wait in
// the limiter and are cancelled by the stop; they asked the API nothing, so they are neither polls nor unanswered
// ones, and a run that got an answer to every request it sent ends `collected` (not "no poll answered", exit 3).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCollection } from '../../../src/run/collection-run.ts';
import { tempDir } from '../../support/temp-dir.ts';

describe('polls in the summary', () => {
  it('counts what was sent: polls cancelled in the rate limiter are not polls', async () => {
    const summary = await runCollection({
      simulate: { pools: 8 },
      dbUrl: path.join(tempDir('gecko-polls-'), 'polls.db'),
      collectors: 2,
      // One call a second: of the 8 pools due at once a few are polled, the rest wait in the limiter for the stop.
      callsPerMinute: 60,
      durationMs: 2500,
      metricsFile: false,
    });
    const pools = summary.metrics!.collection!.pools;
    const sent = pools.reduce((n, p) => n + p.requests, 0);
    expect(summary.throttled).toBe(0);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(pools.length);
    // No retries against the simulator: one request per poll, each answered.
    expect(summary.polls).toBe(sent);
    expect(pools.reduce((n, p) => n + p.polls, 0)).toBe(sent);
    expect(summary.succeeded).toBe(summary.polls);
    expect(summary.outcome).toBe('collected');
  });
});
