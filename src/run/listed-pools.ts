// A network's listed pools as the API ranks them: the top pools or the newest, the first N over as many pages
// as it takes, with the metadata the list brings along (for the pools and dexes tables).

import { normalizePoolAddresses } from '../config/pool-addresses.ts';
import type { GeckoTerminalClient } from '../gecko/gecko-client.ts';
import type { ParsedPools } from '../gecko/pool-parser.ts';

/** The API's pages hold 20 pools; it serves at most 10 of them. */
const MAX_PAGES = 10;

export type PoolList = 'top' | 'new';

export interface ListedPools {
  addresses: string[];
  metadata: ParsedPools;
}

/** Gathers pools and dexes over several responses into one plain ParsedPools; a dex shared by many pools is kept once. */
export function poolMetadataGatherer(): { metadata: ParsedPools; add(parsed: ParsedPools): void } {
  const metadata: ParsedPools = { pools: [], dexes: [] };
  const dexIds = new Set<string>();
  return {
    metadata,
    add(parsed) {
      metadata.pools.push(...parsed.pools);
      for (const d of parsed.dexes) {
        if (dexIds.has(d.id)) continue;
        dexIds.add(d.id);
        metadata.dexes.push(d);
      }
    },
  };
}

/** The first `n` pools of a list, in the API's order; fewer when the list ends first. */
export async function fetchListedPools(
  client: Pick<GeckoTerminalClient, 'getTopPools' | 'getNewPools'>,
  network: string,
  list: PoolList,
  n: number,
  signal?: AbortSignal,
): Promise<ListedPools> {
  const { metadata, add } = poolMetadataGatherer();
  for (let page = 1; page <= MAX_PAGES && metadata.pools.length < n; page++) {
    const options = { page, ...(signal ? { signal } : {}) };
    const parsed =
      list === 'top' ? await client.getTopPools(network, options) : await client.getNewPools(network, options);
    if (parsed.pools.length === 0) break;
    add({ pools: parsed.pools.slice(0, n - metadata.pools.length), dexes: parsed.dexes });
  }
  const addresses = normalizePoolAddresses(
    metadata.pools.map((p) => p.address),
    list === 'top' ? 'top' : 'new-pools',
    network,
  );
  return { addresses, metadata };
}
