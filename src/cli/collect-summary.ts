// What `collect` prints about a run: the progress line (fits the terminal, the same words as the summary)
// and the summary, both with the same number format; plus the one-line verdict of a run that did not collect.

import type { CollectionProgress, CollectionSummary } from '../run/collection-run.ts';

/** Whole numbers as the progress line and the summary both print them: 24,000. */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A share as a whole percentage, `–` when there is nothing to share. */
function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.floor((part / whole) * 100)}%` : '–';
}

/**
 * Most telling first (stored, coverage, gaps, queue): a narrow terminal cuts the end. The rate is the run's
 * averaged one (see RunProgress), so it does not jump with each interval.
 */
export function progressLine(p: CollectionProgress): string {
  if (p.starting) return `starting ${p.collectors} collectors for ${p.pools} pools...`;
  const c = p.counters;
  const parts = [
    `stored ${count(c.inserted)} (${count(p.rowsPerSec)}/s)`,
    ...(p.coverage ? [`coverage ${percent(p.coverage.stored, p.coverage.made)}`] : []),
    `gaps ${count(c.gaps)}`,
    `queue ${count(p.writerBacklog)}`,
    ...(p.budget ? [`budget ${count(p.budget.neededPerMin)}/${count(p.budget.budgetPerMin)} per min`] : []),
    `${(p.elapsedMs / 1000).toFixed(0)}s`,
    `errors ${count(c.errors)}`,
    `429s ${count(c.throttled)}`,
    `requests ${count(c.requests)}`,
    `repeats ${count(c.repeats)}`,
  ];
  return `${p.stopping ? 'stopping... ' : ''}${parts.join(' | ')}`;
}

/** The pools whose responses carried rejected trades, one a line (a few; --json and /metrics have them all). */
const MAX_POOLS_LISTED = 5;

function rejectedByPoolRows(s: CollectionSummary): [string, string][] {
  const shown = s.rejectedByPool.slice(0, MAX_POOLS_LISTED);
  const rows = shown.map((p): [string, string] => ['  in pool', `${p.pool}: ${count(p.rejected)}`]);
  const more = s.rejectedByPool.length - shown.length;
  if (more > 0) rows.push(['  in pool', `... and ${more} more pools (--json lists them all)`]);
  return rows;
}

export function formatSummary(s: CollectionSummary): string {
  const collecting = s.durationMs;
  const rows: [string, string][] = [
    ['outcome', OUTCOME_TEXT[s.outcome]],
    [
      'duration',
      `${seconds(s.startupMs + collecting)} (start-up ${seconds(s.startupMs)}, then ${seconds(collecting)} collecting)`,
    ],
    [
      'manager',
      `${s.manager}, ${s.collectors} collectors, ${s.pools} pools (${s.network})${s.batching ? '' : ', batching off'}${s.pragmas === 'default' ? ', default pragmas' : ''}`,
    ],
    ['pools from', s.poolSource],
    ['api', s.paidApi ? 'paid (API key)' : 'public (no API key)'],
    ['requests', `${count(s.requests)} (${count(s.throttled)} throttled)`],
    ['polls', `${count(s.polls)} (${count(s.succeeded)} answered with data)`],
    ['trades fetched', `${count(s.fetched)} (repeats included)`],
    [
      'trades stored (new)',
      s.storageFailure?.kind === 'database-gone'
        ? `${count(s.stored)} (into the file that was deleted: gone with it)`
        : s.storedOnReplay > 0
          ? `${count(s.stored)} (${count(s.storedOnReplay)} of them replayed from the spool)`
          : count(s.stored),
    ],
    ['repeats', `${count(s.repeats)} (seen before this poll: not sent again)`],
    ['already stored', `${count(s.storeDuplicates)} (sent; the database had them)`],
    ['rejected rows', `${count(s.rejected)} (refused by the writer)`],
    ['rejected trades', `${count(s.tradesRejected)} (bad trades in responses, each logged; not stored)`],
    ...rejectedByPoolRows(s),
    [
      'conflicts',
      `${count(s.conflicts)} (same id, other contents; first kept${
        s.conflicts > 0
          ? `: ${Object.entries(s.conflictsByPool)
              .slice(0, 3)
              .map(([p, n]) => `${p} ${count(n)}`)
              .join(', ')}`
          : ''
      })`,
    ],
    ['gaps', count(s.gaps)],
    ...coverageRows(s),
    ['errors', `${count(s.errors)} (${count(s.badResponses)} malformed responses)`],
    ['lock errors', `${count(s.lockErrors)} (busy retries ${count(s.busyRetries)})`],
    ['rows/s', `${s.rowsPerSec.toFixed(1)} (while collecting)`],
    ['in the spool', `${count(s.tradesInSpool)} trades not in the database yet (${count(s.spoolBatches)} batches)`],
    ...(s.storageFailure
      ? [
          ['storage failed', `${s.storageFailure.kind}; ${count(s.storageFailure.tradesLost)} fetched trades lost`] as [
            string,
            string,
          ],
        ]
      : []),
    ['database', s.dbPath],
  ];
  if (s.simulator) {
    const sim = s.simulator;
    const before =
      sim.servedStoredBefore > 0 ? `; ${count(sim.servedStoredBefore)} of them were stored before this run` : '';
    rows.push([
      'simulator served',
      `${count(sim.distinctTradesServed)} distinct trades (${count(sim.tradesServed)} with repeats, ${count(sim.requests)} requests)${before}`,
    ]);
    // Two lines, so each fits an 80-column terminal.
    rows.push([
      'stored == served',
      `${sim.storedMatchesServed ? 'yes' : 'no'} (${count(s.stored)} stored, ${count(sim.servedNew)} served new)`,
    ]);
    rows.push(['served in database', `${count(sim.servedInDatabase)} of the ${count(sim.distinctTradesServed)}`]);
  }
  if (s.metrics) {
    const m = s.metrics;
    rows.push([
      'breaker',
      `${m.breaker.state}, ${count(m.breaker.opens)} opens; deferred ${count(m.deferred.deferredTotal)}, replayed ${count(m.deferred.replayedTotal)}, waiting ${count(m.deferred.batches)}`,
    ]);
    if (m.alerts.length > 0) rows.push(['alerts', m.alerts.map((a) => a.name).join(', ')]);
  }
  if (s.metricsFile) rows.push(['metrics file', s.metricsFile]);
  if (s.collectorFailures.length > 0) rows.push(['collector failures', s.collectorFailures.join('; ')]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return ['collection summary', ...rows.map(([k, v]) => `  ${`${k}:`.padEnd(width)}${v}`)].join('\n');
}

const OUTCOME_TEXT: Record<CollectionSummary['outcome'], string> = {
  collected: 'collected',
  'auth-refused': 'stopped: the API refused the credentials',
  'storage-lost': 'stopped: storage failed',
  'storage-failed': 'fetched trades could not all be stored (kept in the spool)',
  'no-api-success': 'no API request succeeded',
  'collector-failed': 'a collector failed',
};

/** The one line on stderr that says why a run did not collect as asked; undefined when it did. */
export function verdictLine(s: CollectionSummary): string | undefined {
  switch (s.outcome) {
    case 'collected':
      return undefined;
    case 'auth-refused':
      return s.authRefused?.message ?? 'the API refused the credentials';
    case 'storage-lost': {
      const f = s.storageFailure!;
      return `${f.message}${f.tradesLost > 0 ? ` ${count(f.tradesLost)} fetched trades could not be kept.` : ''}`;
    }
    case 'storage-failed':
      return `${count(s.tradesInSpool)} fetched trades could not be stored in ${s.dbPath}; they are kept in ${s.dbPath}.spool and the next run stores them`;
    case 'no-api-success':
      return `no trades poll succeeded in ${count(s.requests)} requests (API unreachable, or every pool unknown: see the log)`;
    case 'collector-failed':
      return `${s.collectorFailures.length} of ${s.collectors} collectors failed: ${s.collectorFailures[0]}`;
  }
}

/** Which estimate the missed trades are: the pools' own counters, rate × span of the gaps, or some of each. */
function basisText(c: NonNullable<CollectionSummary['coverage']>): string | undefined {
  // Summaries of older builds carry no basis.
  if (c.basis === undefined) return undefined;
  if (c.basis === 'gaps') return 'rate x span of the gaps';
  return c.basis === 'counters'
    ? `the pools' trade counters (rate x span: ~${count(Math.round(c.estimatedMissedGaps))})`
    : `trade counters for ${c.counterPools} pools, rate x span for the rest`;
}

/** The coverage line (what the pools made, as estimated) and, when the budget fell short, the plan's line. */
function coverageRows(s: CollectionSummary): [string, string][] {
  const c = s.coverage;
  if (!c) return [];
  const share = c.made > 0 ? ` (${((100 * c.stored) / c.made).toFixed(1)}% stored)` : '';
  const rows: [string, string][] = [
    [
      'coverage',
      `made ~${count(Math.round(c.made))}, stored ${count(c.stored)}, missed ~${count(Math.round(c.estimatedMissed))}${share}`,
    ],
  ];
  const basis = basisText(c);
  if (basis) rows.push(['missed from', basis]);
  const b = s.budget;
  if (b)
    rows.push([
      'schedule',
      `${b.mode}: pools need ${count(Math.round(b.neededPerMin))} calls/min of ${count(b.budgetPerMin)}`,
    ]);
  return rows;
}
