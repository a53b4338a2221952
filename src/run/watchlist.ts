// The Python collector's watchlist as a pool list: its watchlist.csv (the columns of its `watchlist` table:
// pool_id, token_symbol, token_name, network_address, is_active, ...) or that table in the database itself.
// Inactive rows and pools of other networks are skipped and counted, so the caller can say so.

import { SettingError } from '../config/setting-error.ts';
import { splitCsvRecord } from '../import/legacy-csv-reader.ts';
import { ACTIVE_TEXT, INACTIVE_TEXT, type WatchlistPools, watchlistPools } from '../storage/watchlist.ts';

/** True when the file's first record is a CSV header with a pool_id column (a watchlist.csv). */
export function looksLikeWatchlistCsv(text: string): boolean {
  const first = text.split(/\r?\n/).find((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (first === undefined) return false;
  const split = splitCsvRecord(first);
  return split.kind === 'ok' && split.fields.some((f) => f.trim().toLowerCase() === 'pool_id');
}

/** Parses a watchlist.csv; SettingError (naming the file and line) when it cannot be read as one. */
export function parseWatchlistCsv(text: string, network: string, file: string): WatchlistPools {
  const lines = text.split(/\r?\n/);
  const records: { line: number; fields: string[] }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    let record = lines[i]!;
    const start = i + 1;
    let split = splitCsvRecord(record);
    // A quoted field (token_name, metadata_json) may span lines.
    while (split.kind === 'open-quote' && i + 1 < lines.length) {
      record += `\n${lines[++i]}`;
      split = splitCsvRecord(record);
    }
    if (split.kind !== 'ok')
      throw new SettingError(
        `${file}: line ${start}: ${split.kind === 'error' ? split.reason : 'a quoted field is never closed'}`,
      );
    records.push({ line: start, fields: split.fields });
  }
  const [header, ...body] = records;
  const names = header?.fields.map((f) => f.trim().toLowerCase()) ?? [];
  const poolCol = names.indexOf('pool_id');
  const activeCol = names.indexOf('is_active');
  if (poolCol === -1) throw new SettingError(`${file}: line 1: the header has no pool_id column`);
  const rows = body.map(({ line, fields }) => {
    const poolId = (fields[poolCol] ?? '').trim();
    if (poolId === '') throw new SettingError(`${file}: line ${line}: pool_id is empty`);
    const raw = activeCol === -1 ? '' : (fields[activeCol] ?? '').trim().toLowerCase();
    if (raw !== '' && !ACTIVE_TEXT.has(raw) && !INACTIVE_TEXT.has(raw))
      throw new SettingError(`${file}: line ${line}: is_active must be 1/0 or true/false, got ${JSON.stringify(raw)}`);
    return { poolId, active: !INACTIVE_TEXT.has(raw) };
  });
  return watchlistPools(rows, network, file);
}

/** `12 active pools; 3 inactive rows skipped; 2 pools of eth skipped` for a notice or a log line. */
export function describeWatchlist(w: WatchlistPools): string {
  const parts = [`${w.addresses.length} active pool${w.addresses.length === 1 ? '' : 's'}`];
  if (w.inactive > 0) parts.push(`${w.inactive} inactive row${w.inactive === 1 ? '' : 's'} skipped`);
  for (const [net, n] of Object.entries(w.otherNetworks))
    parts.push(`${n} pool${n === 1 ? '' : 's'} of ${net} skipped`);
  return parts.join('; ');
}
