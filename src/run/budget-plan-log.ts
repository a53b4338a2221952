// The budget plan in the log, for people: at the start and whenever it changes much, one line with the calls/min
// the pools need against the budget; when the budget falls short, one more line with how many pools and about
// how many trades an hour will be missed at current rates, and the budget that would cover them.

import type { Logger } from '../logging/logger.ts';
import type { SchedulePlanFigures } from '../monitoring/metrics-snapshot.ts';

/** A need this much above or below the one logged last is logged again. */
const CHANGE = 0.25;
const CHECK_MS = 1000;

const n = (x: number) => Math.round(x).toLocaleString('en-US');

export function planLine(p: SchedulePlanFigures): string {
  const known = p.ratesKnown < p.pools ? `; rates known for ${p.ratesKnown} of ${p.pools} pools` : '';
  return `budget plan (${p.mode} schedule): the pools need ${n(p.neededPerMin)} calls/min against a budget of ${n(p.budgetPerMin)}${known}`;
}

export function shortLine(short: NonNullable<SchedulePlanFigures['short']>): string {
  return `budget short: ${short.pools} pool${short.pools === 1 ? '' : 's'} will miss about ${n(short.missedPerHour)} trades/hour at current rates; a budget of ${n(short.budgetToCover)} calls/min would cover them`;
}

export class BudgetPlanLog {
  private last: SchedulePlanFigures | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly plan: () => SchedulePlanFigures,
    private readonly log: Logger,
  ) {}

  start(intervalMs = CHECK_MS): void {
    this.check();
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  private check(): void {
    const p = this.plan();
    if (!this.changed(p)) return;
    this.last = p;
    this.log.info({ plan: p }, planLine(p));
    if (p.short) this.log.warn({ short: p.short }, shortLine(p.short));
  }

  private changed(p: SchedulePlanFigures): boolean {
    const last = this.last;
    if (!last) return true;
    if ((last.short === null) !== (p.short === null) || (last.short?.pools ?? 0) !== (p.short?.pools ?? 0)) return true;
    if (last.ratesKnown < last.pools && p.ratesKnown === p.pools) return true;
    const delta = Math.abs(p.neededPerMin - last.neededPerMin);
    return delta >= 1 && delta > CHANGE * last.neededPerMin;
  }

  dispose(): void {
    clearInterval(this.timer);
  }
}
