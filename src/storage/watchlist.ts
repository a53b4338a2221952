// The watchlist's rows (the Python collector's `watchlist` table, or its watchlist.csv) as a run's pools of one
// network: inactive rows and pools of other networks skipped and counted, so the caller can say so. Both engines'
// reads and the CSV reader go through it.

import { normalizePoolAddresses } from '../config/pool-addresses.ts';

export interface WatchlistPools {
  /** Active pools of the run's network, in file/table order, without repeats. */
  addresses: string[];
  /** Rows with is_active false. */
  inactive: number;
  /** Active rows of other networks, by network. */
  otherNetworks: Record<string, number>;
}

/** is_active values as text, lower case. */
export const ACTIVE_TEXT: ReadonlySet<string> = new Set(['1', 'true', 't', 'yes', 'y']);
export const INACTIVE_TEXT: ReadonlySet<string> = new Set(['0', 'false', 'f', 'no', 'n']);

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

/** An is_active value as SQLite or PostgreSQL hands it back (0/1, '0', false, 'f'...). */
export function isActive(value: unknown): boolean {
  return !(value === 0 || value === false || value === '0' || INACTIVE_TEXT.has(String(value).toLowerCase()));
}
