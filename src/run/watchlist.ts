// The Python collector's watchlist as a pool list: its watchlist.csv (the columns of its `watchlist` table:
// pool_id, token_symbol, token_name, network_address, is_active, ...) or that table in the database itself.
// Inactive rows and pools of other networks are skipped and counted, so the caller can say so.

import type { Database } from 'better-sqlite3';
import { SettingError } from '../config/setting-error.ts';
import { splitCsvRecord } from '../import/legacy-csv-reader.ts';
import { normalizePoolAddresses } from './pool-assignments.ts';

export interface WatchlistPools {
  /** Active pools of the run's network, in file/table order, without repeats. */
  addresses: string[];
  /** Rows with is_active false. */
  inactive: number;
  /** Active rows of other networks, by network. */
  otherNetworks: Record<string, number>;
}

const TRUE = new Set(['1', 'true', 't', 'yes', 'y']);
const FALSE = new Set(['0', 'false', 'f', 'no', 'n']);

/** `solana_<address>` → the address when the network matches; a pool id without a prefix is an address. */
function splitPoolId(poolId: string, network: string): { network: string; address: string } {
  const id = poolId.trim();
  if (id.startsWith(`${network}_`)) return { network, address: id.slice(network.length + 1) };
  // Network ids may hold underscores (polygon_pos), pool addresses do not: the last one separates them.
  const cut = id.lastIndexOf('_');
  if (cut > 0 && /^[a-z0-9_-]+$/i.test(id.slice(0, cut)))
    return { network: id.slice(0, cut), address: id.slice(cut + 1) };
  return { network, address: id };
}

/** Watchlist rows (from a file or a table) as the run's pools of `network`. */
export function watchlistPools(
  rows: Iterable<{ poolId: string; active: boolean }>,
  network: string,
  field: string,
): WatchlistPools {
  const out: WatchlistPools = { addresses: [], inactive: 0, otherNetworks: {} };
  const addresses: string[] = [];
  for (const row of rows) {
    if (!row.active) {
      out.inactive++;
      continue;
    }
    const p = splitPoolId(row.poolId, network);
    if (p.network !== network) out.otherNetworks[p.network] = (out.otherNetworks[p.network] ?? 0) + 1;
    else addresses.push(p.address);
  }
  out.addresses = normalizePoolAddresses(addresses, field, network);
  return out;
}

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
    if (raw !== '' && !TRUE.has(raw) && !FALSE.has(raw))
      throw new SettingError(`${file}: line ${line}: is_active must be 1/0 or true/false, got ${JSON.stringify(raw)}`);
    return { poolId, active: !FALSE.has(raw) };
  });
  return watchlistPools(rows, network, file);
}

/** An is_active value as SQLite or PostgreSQL hands it back (0/1, '0', false, 'f'...). */
export function isActive(value: unknown): boolean {
  return !(value === 0 || value === false || value === '0' || FALSE.has(String(value).toLowerCase()));
}

/** The database's `watchlist` table (the Python collector's, or one a user filled). */
export function readWatchlistTable(db: Database, network: string): WatchlistPools {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'watchlist'").get();
  if (!exists) return { addresses: [], inactive: 0, otherNetworks: {} };
  const rows = db.prepare('SELECT pool_id, is_active FROM watchlist ORDER BY id').all() as {
    pool_id: string;
    is_active: unknown;
  }[];
  return watchlistPools(
    rows.map((r) => ({
      poolId: r.pool_id,
      active: isActive(r.is_active),
    })),
    network,
    'watchlist',
  );
}

/** `12 active pools; 3 inactive rows skipped; 2 pools of eth skipped` for a notice or a log line. */
export function describeWatchlist(w: WatchlistPools): string {
  const parts = [`${w.addresses.length} active pool${w.addresses.length === 1 ? '' : 's'}`];
  if (w.inactive > 0) parts.push(`${w.inactive} inactive row${w.inactive === 1 ? '' : 's'} skipped`);
  for (const [net, n] of Object.entries(w.otherNetworks))
    parts.push(`${n} pool${n === 1 ? '' : 's'} of ${net} skipped`);
  return parts.join('; ');
}
