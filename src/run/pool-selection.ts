// Which pools a run collects (the given list, the database's watchlist table, the network's top N, or the
// simulator's) and their metadata for the pools/dexes tables.

import { normalizePoolAddresses } from '../config/pool-addresses.ts';
import { ConfigError } from '../errors.ts';
import { type GeckoTerminalClient, MAX_MULTI_POOLS } from '../gecko/gecko-client.ts';
import type { ParsedPools } from '../gecko/pool-parser.ts';
import type { Logger } from '../logging/logger.ts';
import type { GeckoSimulator } from '../sim/gecko-simulator.ts';
import type { WatchlistPools } from '../storage/watchlist.ts';
import { positiveInt } from './collection-options.ts';
import { describeWatchlist } from './watchlist.ts';

/** Gathers pools and dexes over several responses into one plain ParsedPools; a dex shared by many pools is kept once. */
function poolMetadataGatherer(): { metadata: ParsedPools; add(parsed: ParsedPools): void } {
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

export interface PoolChoice {
  pools?: readonly string[] | undefined;
  top?: number | undefined;
  watchlist?: boolean | undefined;
}

export interface SelectedPools {
  addresses: string[];
  /** Their metadata, when fetching the top pools brought it along. */
  metadata: ParsedPools | undefined;
  /** Where the list came from, for the summary: `given`, `watchlist table: 3 active pools; ...`, `top 5`. */
  source: string;
}

/** The pool addresses, plus their metadata when fetching the top pools brought it along. */
export async function selectPools(
  choice: PoolChoice,
  client: GeckoTerminalClient,
  network: string,
  simulator: GeckoSimulator | undefined,
  log: Logger,
  /** Reads the database's watchlist table (whichever store holds it). */
  readWatchlist?: (network: string) => Promise<WatchlistPools>,
): Promise<SelectedPools> {
  if (choice.pools && choice.pools.length > 0)
    return { addresses: normalizePoolAddresses(choice.pools, 'pools', network), metadata: undefined, source: 'given' };
  if (choice.watchlist) {
    if (!readWatchlist) throw new ConfigError('watchlist', true, 'reading the watchlist table needs the database');
    const w = await readWatchlist(network);
    const source = `watchlist table: ${describeWatchlist(w)}`;
    log.info({ pools: w.addresses.length, inactive: w.inactive, otherNetworks: w.otherNetworks }, source);
    if (w.addresses.length === 0)
      throw new ConfigError(
        'watchlist',
        true,
        `the database's watchlist table has no active pool of ${network} (${describeWatchlist(w)})`,
      );
    return { addresses: w.addresses, metadata: undefined, source };
  }
  if (choice.top !== undefined) {
    const top = positiveInt('top', choice.top, 1);
    const { metadata, add } = poolMetadataGatherer();
    for (let page = 1; page <= 10 && metadata.pools.length < top; page++) {
      const parsed = await client.getTopPools(network, { page });
      if (parsed.pools.length === 0) break;
      add({ pools: parsed.pools.slice(0, top - metadata.pools.length), dexes: parsed.dexes });
    }
    log.info({ requested: top, found: metadata.pools.length }, 'top pools fetched');
    return {
      addresses: normalizePoolAddresses(
        metadata.pools.map((p) => p.address),
        'top',
        network,
      ),
      metadata,
      source: `top ${top} of ${network}`,
    };
  }
  if (simulator) return { addresses: simulator.pools.map((p) => p.address), metadata: undefined, source: 'simulator' };
  throw new ConfigError('pools', undefined, 'no pools to collect: give pool addresses, a pools file, or top N');
}

/** The pools' metadata, as far as it came before `signal` (the run's --duration, a stop) cut the fetch. */
export async function fetchPoolMetadata(
  client: GeckoTerminalClient,
  network: string,
  addresses: readonly string[],
  log: Logger,
  signal?: AbortSignal,
): Promise<ParsedPools> {
  const { metadata: out, add } = poolMetadataGatherer();
  for (let i = 0; i < addresses.length; i += MAX_MULTI_POOLS) {
    try {
      const parsed = await client.getMultiPools(network, addresses.slice(i, i + MAX_MULTI_POOLS), { signal });
      add(parsed);
    } catch (err) {
      if (signal?.aborted) {
        log.warn(
          { fetched: out.pools.length, pools: addresses.length },
          'pool metadata fetch cut short: the run is stopping (--duration or a signal); trades are collected without it',
        );
        break;
      }
      // Refused credentials refuse the trades too: the run stops now rather than after its first polls.
      if ((err as { code?: unknown }).code === 'GECKO_AUTH_REFUSED') throw err;
      // Metadata is a convenience: trades are collected without it (foreign keys are off, as in the Python collector).
      log.warn({ err }, 'pool metadata not fetched');
    }
  }
  return out;
}
