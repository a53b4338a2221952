// Is the collection healthy, for /healthz: it is while polls succeed and writes go to the database; it is not
// while the circuit breaker keeps writes out (open or isolated) or when no poll has succeeded for a number of
// poll intervals (API unreachable, every pool failing), nor while the run is stopping.

export interface HealthInput {
  /** Epoch ms now. */
  now: number;
  /** Epoch ms when the run started polling. */
  startedAt: number;
  /** Epoch ms of the newest successful poll of any pool; null before the first. */
  lastSuccessAt: number | null;
  pollIntervalMs: number;
  /** Unhealthy once no poll succeeded for this many poll intervals. */
  staleIntervals: number;
  /** The breaker's state; undefined without a funnel (direct mode). */
  breakerState: string | undefined;
  stopping: boolean;
}

export interface HealthReport {
  healthy: boolean;
  status: 'ok' | 'unhealthy' | 'stopping';
  /** Why it is not healthy; empty when it is. */
  reasons: string[];
  breaker: string | null;
  /** Seconds since the newest successful poll; null before the first. */
  lastSuccessAgeSeconds: number | null;
  /** The age past which no successful poll makes the run unhealthy. */
  staleAfterSeconds: number;
}

export function evaluateHealth(input: HealthInput): HealthReport {
  const reasons: string[] = [];
  const staleAfterMs = input.staleIntervals * input.pollIntervalMs;
  const since = input.lastSuccessAt ?? input.startedAt;
  const ageMs = Math.max(0, input.now - since);
  if (input.breakerState === 'OPEN' || input.breakerState === 'ISOLATED')
    reasons.push(`the circuit breaker is ${input.breakerState}: writes go to the spool, not the database`);
  if (ageMs > staleAfterMs)
    reasons.push(
      `no poll succeeded for ${Math.round(ageMs / 1000)} s (${input.lastSuccessAt === null ? 'none since the start' : 'more than'} ${input.staleIntervals} poll intervals)`,
    );
  if (input.stopping) reasons.push('the run is stopping');
  return {
    healthy: reasons.length === 0,
    status: input.stopping ? 'stopping' : reasons.length === 0 ? 'ok' : 'unhealthy',
    reasons,
    breaker: input.breakerState ?? null,
    lastSuccessAgeSeconds: input.lastSuccessAt === null ? null : ageMs / 1000,
    staleAfterSeconds: staleAfterMs / 1000,
  };
}
