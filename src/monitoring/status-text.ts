// The status report as text for a terminal (`gecko-collector status`): a head with the run's breaker, spool,
// writer queue and budget plan, then one row per pool, fitted to the width (ids cut in the middle, the day's
// sparkline and the least telling columns left out first; --wide shows all). `–` marks what is not known yet.

import { displayDuration, displayTime } from '../common/display-time.ts';
import { fitLines } from '../common/text-fit.ts';
import { fitTable, type TableColumn } from '../common/text-table.ts';
import type { PoolStatus, RunStatus, StatusReport } from './status-report.ts';

const NONE = '–';
const BARS = '▁▂▃▄▅▆▇█';

/** The day's hourly counts as one bar a character, scaled to the busiest hour. */
export function sparkline(counts: readonly number[]): string {
  const top = Math.max(...counts, 0);
  return counts.map((n) => (top === 0 || n === 0 ? ' ' : BARS[Math.min(7, Math.floor((n / top) * 7.999))])).join('');
}

const num = (n: number | null | undefined, digits = 0): string =>
  n === null || n === undefined ? NONE : n.toLocaleString('en-US', { maximumFractionDigits: digits });

function runHead(run: RunStatus): string {
  if (run.state === 'finished') return `finished; figures of ${displayTime(run.figuresAt)}`;
  if (run.state === 'died') return `died: killed or crashed; figures of ${displayTime(run.figuresAt)}`;
  const collectors =
    run.collectorsRunning === null
      ? ''
      : `, ${run.collectorsRunning} collector${run.collectorsRunning === 1 ? '' : 's'}`;
  return `since ${displayTime(run.startedAt)}${collectors}`;
}

function runLines(run: RunStatus | null): string[] {
  if (!run) return ['run     none serving this database (no live metrics file beside it)'];
  const spool =
    run.spool.batches === 0
      ? 'empty'
      : `${num(run.spool.batches)} batches, ${num(run.spool.rows)} rows${run.spool.oldestAgeMs === null ? '' : `, oldest ${displayDuration(run.spool.oldestAgeMs)}`}`;
  const budget = run.budget
    ? `${num(run.budget.neededPerMin)} of ${num(run.budget.budgetPerMin)} calls/min needed`
    : NONE;
  return [
    `run     ${runHead(run)}`,
    `breaker ${run.breaker.state} (${num(run.breaker.opens)} opens, ${num(run.breaker.rejections)} rejections); spool ${spool}; writer queue ${num(run.writerBacklog)}`,
    `budget  ${budget}${run.alerts.length > 0 ? `; alerts: ${run.alerts.join(', ')}` : ''}`,
  ];
}

const COLUMNS: TableColumn[] = [
  { header: 'pool', cutTo: 16 },
  { header: 'last trade', right: true },
  { header: 'trades/min', right: true },
  { header: 'poll', right: true },
  { header: 'rate/s', right: true, drop: 3 },
  { header: 'coverage', right: true },
  { header: 'gaps', right: true },
  { header: 'missed', right: true, drop: 2 },
  { header: 'last 24 h', drop: 1 },
];

function poolRow(p: PoolStatus): string[] {
  return [
    p.pool,
    p.lastTradeAgeS === null ? NONE : `${displayDuration(p.lastTradeAgeS * 1000)} ago`,
    num(p.tradesPerMin, 1),
    p.pollIntervalS === null ? NONE : displayDuration(p.pollIntervalS * 1000),
    num(p.tradeRatePerS, 2),
    p.coverage === null ? NONE : `${Math.floor(p.coverage * 1000) / 10}%`,
    num(p.openGaps),
    num(p.estimatedMissed),
    sparkline(p.hourly),
  ];
}

/** The report as lines at most `width` wide (undefined: every column). */
export function renderStatus(report: StatusReport, width: number | undefined): string[] {
  const out = [`status  ${displayTime(report.at)}  ${report.engine} ${report.database}`, ...runLines(report.run), ''];
  if (report.pools.length === 0) out.push('pools: none with a cursor yet');
  else {
    const table = fitTable(COLUMNS, report.pools.map(poolRow), width, '  ');
    out.push(`pools: ${report.pools.length}`, ...table.lines);
    if (table.dropped.length > 0) out.push(`  (${table.dropped.join(', ')} left out to fit: --wide shows all)`);
  }
  return fitLines(out, width);
}
