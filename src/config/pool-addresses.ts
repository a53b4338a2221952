// Pool lists as a user gives them (flags, a pools file, a watchlist): addresses checked and de-duplicated.

import { ConfigError } from '../errors.ts';

const ADDRESS = /^[^\s/?#,]+$/;

/** Checks and de-duplicates pool addresses (order kept). */
export function normalizePoolAddresses(addresses: readonly string[], field = 'pools'): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const raw of addresses) {
    const a = raw.trim();
    if (a === '') continue;
    if (!ADDRESS.test(a))
      throw new ConfigError(field, a, 'a pool address must not contain spaces, "/", "?", "#" or ","');
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
