// The first phase of a collection run: the API it talks to (the simulator when asked for, started here and
// closed with the run) and the one client the main thread uses for pool lists and metadata.

import { GECKO_API_BASE_URL, GECKO_PRO_API_BASE_URL, GeckoTerminalClient } from '../gecko/gecko-client.ts';
import { GeckoAuthError } from '../gecko/gecko-errors.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../sim/gecko-simulator.ts';
import { COLLECTION_DEFAULTS } from './collection-options.ts';
import type { RunContext } from './run-context.ts';

export interface RunApi {
  readonly simulator: GeckoSimulator | undefined;
  readonly network: string;
  /** The paid API's key; undefined for the public API. */
  readonly apiKey: string | undefined;
  readonly baseUrl: string;
  readonly client: GeckoTerminalClient;
  /** What to tell the user when the API refused the credentials with `status`. */
  authMessage(status: number): string;
}

export async function connectApi(ctx: RunContext): Promise<RunApi> {
  const { options, settings, log } = ctx;
  let simulator: GeckoSimulator | undefined;
  if (options.simulate) {
    const simOptions = typeof options.simulate === 'object' ? options.simulate : {};
    simulator = ctx.disposer.push(
      await startGeckoSimulator({
        pools: Math.min(20, Math.max(4, settings.collectorsWanted * 2)),
        // A skewed market's own default is its busiest pool's rate.
        ...(simOptions.market === 'skewed' ? {} : { tradesPerSecond: COLLECTION_DEFAULTS.simulate.tradesPerSecond }),
        historySeconds: COLLECTION_DEFAULTS.simulate.historySeconds,
        seed: COLLECTION_DEFAULTS.simulate.seed,
        ...(options.network ? { network: options.network } : {}),
        ...simOptions,
      }),
      (s) => s.close(),
    );
    log.info({ baseUrl: simulator.baseUrl, pools: simulator.pools.length }, 'simulator started');
  }
  const network = simulator?.network ?? options.network ?? COLLECTION_DEFAULTS.network;
  const apiKey = options.apiKey || undefined;
  const baseUrl = options.baseUrl ?? simulator?.baseUrl ?? (apiKey ? GECKO_PRO_API_BASE_URL : GECKO_API_BASE_URL);
  const client = new GeckoTerminalClient({
    rateLimiter: ctx.limiter,
    baseUrl,
    ...(apiKey ? { apiKey } : {}),
    ...settings.responseLimits,
  });
  return {
    simulator,
    network,
    apiKey,
    baseUrl,
    client,
    authMessage: (status) => new GeckoAuthError(status, apiKey !== undefined, baseUrl).message,
  };
}
