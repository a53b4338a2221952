// doctor's coverage section, on either engine: per pool, its stored rate estimate and interval, and the trades it
// made as estimated (stored + its gaps' estimated missed) over the last hour, the last day and all its history;
// then the last run's budget plan (calls/min needed against the budget, and what fell short).

import { planLine, shortLine } from '../run/budget-plan-log.ts';
import type { CoverageFigures } from '../storage/doctor-sections.ts';
import type { SectionRenderer } from './render-report.ts';
import { table } from './render-report.ts';

const MAX_SHOWN = 25;

function share(c: CoverageFigures): string {
  const made = c.stored + c.missed;
  if (made === 0) return '-';
  const pct = ((100 * c.stored) / made).toFixed(1);
  return `${pct}% of ~${Math.round(made).toLocaleString('en-US')}${c.gapsWithoutEstimate > 0 ? '*' : ''}`;
}

function rate(r: number | null): string {
  if (r === null) return '-';
  return r >= 10 ? r.toFixed(0) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2);
}

export const coverageSection: SectionRenderer = (r) => {
  const pools = r.pools.filter((p) => p.coverage);
  const plan = r.lastRun?.schedule ?? null;
  if (pools.length === 0 && !plan) return [];
  const out: string[] = [];
  if (pools.length > 0) {
    const rows = pools.slice(0, MAX_SHOWN).map((p) => {
      const c = p.coverage!;
      return [
        p.poolId,
        rate(c.tradeRatePerS),
        c.pollIntervalMs === null ? '-' : `${(c.pollIntervalMs / 1000).toFixed(1)} s`,
        share(c.lastHour),
        share(c.lastDay),
        share(c.all),
      ];
    });
    out.push(
      'coverage: trades stored of those made (stored + estimated missed in gaps)',
      ...table(['pool', 'trades/s', 'interval', 'last hour', 'last day', 'all'], rows).map((l) => `  ${l}`),
    );
    if (pools.length > MAX_SHOWN) out.push(`  ... ${pools.length - MAX_SHOWN} more (see --json)`);
    if (pools.some((p) => p.coverage!.all.gapsWithoutEstimate > 0))
      out.push('  * some gaps were recorded without an estimate (by an older build): made is higher than shown');
  }
  if (plan) {
    out.push(`last run's ${planLine(plan)}`);
    if (plan.short) out.push(`last run's ${shortLine(plan.short)}`);
  }
  return out;
};
