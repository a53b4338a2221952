// What a network-prefixed pool id (`solana_<address>`, `polygon_pos_0x…`) says about its pool: the network and
// the address, and the placeholder dex a pool known only from its trades points to.

/**
 * Network ids may hold underscores (polygon_pos), pool addresses do not: the last one separates them. An id
 * without a prefix is an address on an unknown network.
 */
export function poolIdParts(poolId: string): { network: string; address: string } {
  const cut = poolId.lastIndexOf('_');
  if (cut <= 0 || cut === poolId.length - 1) return { network: 'unknown', address: poolId };
  return { network: poolId.slice(0, cut), address: poolId.slice(cut + 1) };
}

/** How every placeholder dex id starts: the network follows. */
export const PLACEHOLDER_DEX_PREFIX = 'unknown-dex-';

/** The placeholder dex's name, so a user recognizes it (SQL builds it from the same text: pg-statements.ts). */
export function placeholderDexName(network: string): string {
  return `Unknown DEX on ${network} (pool known from trades only)`;
}

/** The dexes row that pools nobody has described yet point to, one per network (pools.dex_id is NOT NULL). */
export function placeholderDex(network: string): { id: string; name: string; network: string } {
  return { id: `${PLACEHOLDER_DEX_PREFIX}${network}`, name: placeholderDexName(network), network };
}
