// Which pools a run starts with (the given list, the database's watchlist table, the network's top N, or the
// simulator's; and the N newest beside any of them) and their metadata for the pools/dexes tables.

import { normalizePoolAddresses } from '../config/pool-addresses.ts';
import { ConfigError } from '../errors.ts';
import { type GeckoTerminalClient, MAX_MULTI_POOLS } from '../gecko/gecko-client.ts';
import type { ParsedPools } from '../gecko/pool-parser.ts';
import type { Logger } from '../logging/logger.ts';
import type { MembershipSource } from '../protocol/records.ts';
import type { GeckoSimulator } from '../sim/gecko-simulator.ts';
import type { WatchlistPools } from '../storage/watchlist.ts';
import { positiveInt } from './collection-options.ts';
import { fetchListedPools, poolMetadataGatherer } from './listed-pools.ts';
import { describeWatchlist } from './watchlist.ts';

export interface PoolChoice {
  pools?: readonly string[] | undefined;
  /** Where `pools` came from, when it is a file (reloaded as it changes). */
  poolsFile?: string | undefined;
  top?: number | undefined;
  /** The network's N newest pools, beside the other choice (or alone). */
  newPools?: number | undefined;
  watchlist?: boolean | undefined;
}

export interface SelectedPools {
  addresses: string[];
  /** Their metadata, when fetching the top pools brought it along. */
  metadata: ParsedPools | undefined;
  /** Where the list came from, for the summary: `given`, `watchlist table: 3 active pools; ...`, `top 5`. */
  source: string;
  /** Each address's source, as pool_membership records it. */
  sourceOf: Map<string, MembershipSource>;
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
  const first = await selectFirstChoice(choice, client, network, simulator, log, readWatchlist);
  if (choice.newPools === undefined) return first;
  const n = positiveInt('newPools', choice.newPools, 1);
  const listed = await fetchListedPools(client, network, 'new', n);
  log.info({ requested: n, found: listed.addresses.length }, 'new pools fetched');
  const { metadata, add } = poolMetadataGatherer();
  if (first.metadata) add(first.metadata);
  add(listed.metadata);
  const addresses = [...first.addresses];
  for (const a of listed.addresses)
    if (!first.sourceOf.has(a)) {
      addresses.push(a);
      first.sourceOf.set(a, 'new');
    }
  const source = first.addresses.length > 0 ? `${first.source} and ${n} new` : `${n} new of ${network}`;
  // A given list has no metadata of its own: it is fetched by address later, the new pools' with it.
  return { addresses, metadata: first.metadata ? metadata : undefined, source, sourceOf: first.sourceOf };
}

function sourced(addresses: string[], source: MembershipSource): Map<string, MembershipSource> {
  return new Map(addresses.map((a) => [a, source]));
}

async function selectFirstChoice(
  choice: PoolChoice,
  client: GeckoTerminalClient,
  network: string,
  simulator: GeckoSimulator | undefined,
  log: Logger,
  readWatchlist?: (network: string) => Promise<WatchlistPools>,
): Promise<SelectedPools> {
  if (choice.pools && choice.pools.length > 0) {
    const addresses = normalizePoolAddresses(choice.pools, 'pools', network);
    const from = choice.poolsFile !== undefined ? 'file' : 'cli';
    return { addresses, metadata: undefined, source: 'given', sourceOf: sourced(addresses, from) };
  }
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
    return { addresses: w.addresses, metadata: undefined, source, sourceOf: sourced(w.addresses, 'watchlist') };
  }
  if (choice.top !== undefined) {
    const top = positiveInt('top', choice.top, 1);
    const { addresses, metadata } = await fetchListedPools(client, network, 'top', top);
    log.info({ requested: top, found: addresses.length }, 'top pools fetched');
    return { addresses, metadata, source: `top ${top} of ${network}`, sourceOf: sourced(addresses, 'top') };
  }
  if (choice.newPools !== undefined) return { addresses: [], metadata: undefined, source: '', sourceOf: new Map() };
  if (simulator) {
    const addresses = simulator.pools.map((p) => p.address);
    return { addresses, metadata: undefined, source: 'simulator', sourceOf: sourced(addresses, 'cli') };
  }
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
