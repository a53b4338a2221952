// Text form of the doctor report: a few aligned tables a person can scan; `--json` prints the report itself.

import type { DatabaseReport } from './database-report.ts';

/** Renders one optional section (see DoctorReportSections); returns no lines when the section is absent. */
export type SectionRenderer = (report: DatabaseReport) => string[];

const MAX_POOLS_SHOWN = 25;

function bytes(n: number | null): string {
  if (n === null) return 'none';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** Left-aligned columns; numbers right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string[] {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number'));
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return cells.map((r) =>
    r
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}

export function renderDatabaseReport(report: DatabaseReport, extraSections: readonly SectionRenderer[] = []): string {
  const r = report;
  const out: string[] = [];
  const integrity = r.integrity === 'ok' ? 'ok' : `FAILED (${r.integrity.length} problem${r.integrity.length === 1 ? '' : 's'})`;
  out.push(
    ...table(
      ['database', r.path],
      [
        ['size', `${bytes(r.files.databaseBytes)}, WAL ${bytes(r.files.walBytes)} (${r.files.pageCount} pages of ${r.files.pageSize} B, ${r.files.freelistPages} free)`],
        ['sqlite', r.sqliteVersion],
        ['schema', `version ${r.userVersion} (this build: ${r.schemaVersion})${r.schemaFlavor ? `, ${r.schemaFlavor}` : ''}`],
        ['journal_mode', r.journalMode],
        [r.integrityCheck === 'quick' ? 'quick_check' : 'integrity', integrity],
        ['lock errors', r.lastRun ? `${r.lockErrors} (run finished ${r.lastRun.finishedAt})` : `${r.lockErrors} (no run metrics snapshot yet)`],
      ],
    ),
  );
  if (r.integrity !== 'ok') for (const m of r.integrity) out.push(`  ${m}`);

  out.push('');
  out.push(
    ...table(
      ['setting', 'collector', 'this reader'],
      [
        ['busy_timeout', `${r.busyTimeoutMs.collector} ms`, `${r.busyTimeoutMs.reader} ms`],
        ['cache_size', String(r.cacheSize.collector), String(r.cacheSize.reader)],
        ['synchronous', r.synchronous.collector, r.synchronous.reader],
      ],
    ),
  );

  out.push('');
  out.push(...table(['table', 'rows'], r.tables.map((t) => [t.name, t.rows ?? `? (${t.error ?? 'unreadable'})`])));

  out.push('');
  if (r.pools.length === 0) out.push('pools: none with trades or a cursor');
  else {
    out.push(`pools: ${r.pools.length}`);
    const shown = r.pools.slice(0, MAX_POOLS_SHOWN);
    out.push(
      ...table(
        ['pool', 'trades', 'last trade', 'cursor', 'gaps'],
        shown.map((p) => [p.poolId, p.tradeCount, p.lastTradeTimestamp ?? '-', p.cursor?.lastTradeTimestamp ?? '-', p.gapCount]),
      ).map((l) => `  ${l}`),
    );
    if (r.pools.length > shown.length) out.push(`  ... ${r.pools.length - shown.length} more (see --json)`);
  }

  out.push('');
  if (r.gaps.count === 0) out.push('gaps: none');
  else {
    out.push(`gaps: ${r.gaps.count}${r.gaps.latest.length < r.gaps.count ? ` (latest ${r.gaps.latest.length})` : ''}`);
    out.push(
      ...table(
        ['pool', 'from', 'to', 'detected', 'trades in response'],
        r.gaps.latest.map((g) => [g.poolId, g.gapStart, g.gapEnd, g.detectedAt, g.tradesInResponse]),
      ).map((l) => `  ${l}`),
    );
  }

  for (const render of extraSections) {
    const lines = render(r);
    if (lines.length > 0) out.push('', ...lines);
  }
  if (r.notes.length > 0) out.push('', ...r.notes.map((n) => `note: ${n}`));
  return out.join('\n');
}
