// Pool lists as a user gives them (flags, a pools file, a watchlist): addresses checked and de-duplicated.

import { ConfigError } from '../errors.ts';
import { MAX_POOL_ID } from '../trades/trade-validation.ts';
import { isPathToken } from './path-token.ts';

/** A pool's id in the store: the network, `_`, the address (`solana_<address>`). */
export function poolIdOf(network: string, poolAddress: string): string {
  return `${network}_${poolAddress}`;
}

/**
 * Checks and de-duplicates pool addresses (order kept): each a plain token (never `.` or `..`, which would reach
 * another endpoint) and, given the network, short enough that its pool id fits the trades table.
 */
export function normalizePoolAddresses(addresses: readonly string[], field = 'pools', network?: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const raw of addresses) {
    const a = raw.trim();
    if (a === '') continue;
    if (!isPathToken(a))
      throw new ConfigError(
        field,
        a,
        'a pool address is a plain token: a letter or digit, then letters, digits, "_", ".", "-", ":" or "~"',
      );
    const poolId = network === undefined ? '' : poolIdOf(network, a);
    if (poolId.length > MAX_POOL_ID)
      throw new ConfigError(
        field,
        a,
        `its pool id ${poolId.slice(0, 24)}… is ${poolId.length} characters, longer than the ${MAX_POOL_ID} a stored trade's pool_id takes`,
      );
    if (seen.has(a)) continue;
    seen.add(a);
    out.push(a);
  }
  return out;
}

/** A pools file: one address per line; `#` starts a comment; blank lines ignored. */
export function parsePoolsFile(text: string, field = 'pools-file'): string[] {
  const lines = text.split(/\r?\n/).map((line) => {
    const hash = line.indexOf('#');
    return (hash >= 0 ? line.slice(0, hash) : line).trim();
  });
  return normalizePoolAddresses(lines, field);
}
