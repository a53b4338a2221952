// `doctor --served`: whether a database holds every trade a standalone simulator served (the check of a run that
// several collect processes shared). The served ids come from the simulator's --served-file, or from the
// running simulator itself (its URL).

import fs from 'node:fs';
import { SIM_REPORT_PREFIX, type SimServedReport } from '../sim/sim-report.ts';
import type { CollectionReads } from '../storage/collection-reads.ts';

export interface ServedCheck {
  source: string;
  served: number;
  stored: number;
  /** Every served trade is in the database (each once: the id is the key). */
  ok: boolean;
}

/** The served report from a file, or from a simulator at `http://host:port[/api/v2]`. */
export async function readServedReport(source: string): Promise<SimServedReport> {
  if (/^https?:\/\//i.test(source)) {
    const url = new URL(source);
    url.pathname = `${SIM_REPORT_PREFIX}served`;
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`${url.href} answered HTTP ${res.status}`);
    return (await res.json()) as SimServedReport;
  }
  return JSON.parse(fs.readFileSync(source, 'utf8')) as SimServedReport;
}

export async function checkServed(
  source: string,
  reads: Pick<CollectionReads, 'countStoredIds'>,
): Promise<ServedCheck> {
  const report = await readServedReport(source);
  if (!Array.isArray(report.ids)) throw new Error(`${source} is not a simulator's served report (no ids)`);
  const stored = await reads.countStoredIds(report.ids);
  return { source, served: report.ids.length, stored, ok: stored === report.ids.length };
}

export function servedLine(c: ServedCheck): string {
  return `stored == served: ${c.ok ? 'yes' : 'no'} (${c.stored} of the ${c.served} trades ${c.source} served are in the database)`;
}
