// `gecko-collector simulate`: the GeckoTerminal simulator that `collect --simulate` starts in-process, on a
// port of its own, so several collect processes (or hosts) can share it. It runs until SIGINT/SIGTERM (or
// --duration) and then says, and writes with --served-file, what it served (the ids of every trade, so that
// stored == served can be judged across processes: `doctor --served`) and what its pools made (so stored / made
// can). While it runs the same reports are at GET /__simulator/served, /__simulator/truth and /__simulator/polls.

import fs from 'node:fs';
import { ConfigError } from '../errors.ts';
import { COLLECTION_DEFAULTS } from '../run/collection-options.ts';
import { type GeckoSimulatorOptions, startGeckoSimulator } from '../sim/gecko-simulator.ts';
import { SIM_MARKETS, type SimMarketKind, SKEWED_MARKET_DEFAULTS } from '../sim/sim-market.ts';
import { DEFAULT_BURSTS } from '../sim/sim-rate-schedule.ts';
import { EXIT_OK, UsageError } from './cli-error.ts';
import { type CliIo, type Command, choiceFlag, intFlag, numberFlag, parseFlags } from './command.ts';

const S = COLLECTION_DEFAULTS.simulate;
const K = SKEWED_MARKET_DEFAULTS;
const B = DEFAULT_BURSTS;

const HELP = `usage: gecko-collector simulate --port P [flags]

Serves an offline GeckoTerminal (trades, pools and OHLCV, as collect
--simulate does) at http://HOST:P/api/v2 until Ctrl-C (SIGINT/SIGTERM) or
--duration, for collect processes started with --base-url http://HOST:P/api/v2
--pools <the addresses it prints>. Started again with the same --seed it
serves the same trades at the same times.

  --port P                 port to listen on (0: a free one, printed)
  --host H                 address to listen on (default 127.0.0.1)
  --pools N                how many pools (default 8)
  --seed S                 the pools, rates, bursts and trades (default ${S.seed})
  --network NAME           network id (default ${COLLECTION_DEFAULTS.network})
  --history S              serve trades from S seconds before the start
                           (default ${S.historySeconds})
  --duration S             stop by itself after S seconds (default: Ctrl-C)
  --served-file FILE       at the end write there what was served and made
                           (JSON: requests, tradesServed, distinctTradesServed,
                           ids, servedByPool, truth): doctor --served FILE

market:
  --market M               uniform: every pool alike; skewed: heavy-tailed,
                           the busiest pool at --trades-per-second, then
                           rate/2, /3 ... bent down to the quietest
                           (default uniform)
  --trades-per-second X    uniform: each pool's rate (default ${S.tradesPerSecond});
                           skewed: the busiest pool's (default ${K.busiestTradesPerSecond})
  --min-trades-per-second X  skewed: the quietest pool's (default ${K.quietestTradesPerSecond})
  --bursts                 some pools burst: rate x${B.factor} for ${B.seconds} s once in every
                           ${B.everySeconds} s window (at a time drawn from the seed)
  --burst-every S          one burst per pool in every S seconds (default ${B.everySeconds})
  --burst-seconds S        how long a burst lasts (default ${B.seconds}, at most half of
                           --burst-every)
  --burst-factor X         the rate's multiplier in a burst (default ${B.factor})
  --burst-share F          fraction of the pools that burst (default ${B.share})

API:
  --cache-seconds S        answer trades and OHLCV from a cache for S seconds
                           per path and query, as the keyless API does (60)
                           (default 0: no cache, as the paid API)
  --api-key KEY            act as the paid API: /api/v3/onchain, this key in
                           x-cg-pro-api-key, and the trades/range endpoint
  --range-page-size N      trades/range answers at most N trades, the newest
                           (default 300)

Prints "simulator: URL" and "pools: A,B,..." when ready, and at the end
"served: N distinct trades (M with repeats, R requests)" and "made: T trades
by P pools since the start". While it runs, at the URL's host:
GET /__simulator/served, /__simulator/polls, and
/__simulator/truth?from=&to=&pool=&ids=true (from, to: unix seconds or ISO).`;

const FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  pools: { type: 'string' },
  seed: { type: 'string' },
  network: { type: 'string' },
  market: { type: 'string' },
  'trades-per-second': { type: 'string' },
  'min-trades-per-second': { type: 'string' },
  bursts: { type: 'boolean' },
  'burst-every': { type: 'string' },
  'burst-seconds': { type: 'string' },
  'burst-factor': { type: 'string' },
  'burst-share': { type: 'string' },
  'cache-seconds': { type: 'string' },
  'api-key': { type: 'string' },
  'range-page-size': { type: 'string' },
  history: { type: 'string' },
  duration: { type: 'string' },
  'served-file': { type: 'string' },
} as const;

type Values = ReturnType<typeof parseFlags<typeof FLAGS>>['values'];

/** The market flags as simulator options; UsageError for a skewed-only flag on a uniform market, and the like. */
function marketOptions(values: Values): Partial<GeckoSimulatorOptions> {
  const market = choiceFlag<SimMarketKind>('market', values.market, 'uniform', SIM_MARKETS);
  const skewed = market === 'skewed';
  if (!skewed && values['min-trades-per-second'] !== undefined)
    throw new UsageError('--min-trades-per-second needs --market skewed');
  const tuned = (['burst-every', 'burst-seconds', 'burst-factor', 'burst-share'] as const).filter(
    (k) => values[k] !== undefined,
  );
  if (tuned.length > 0 && !values.bursts) throw new UsageError(`--${tuned[0]} needs --bursts`);
  const everySeconds = numberFlag('burst-every', values['burst-every'], B.everySeconds, 0.002, 365 * 86_400);
  return {
    market,
    tradesPerSecond: numberFlag(
      'trades-per-second',
      values['trades-per-second'],
      skewed ? K.busiestTradesPerSecond : S.tradesPerSecond,
      0.001,
      10_000,
    ),
    ...(skewed
      ? {
          minTradesPerSecond: numberFlag(
            'min-trades-per-second',
            values['min-trades-per-second'],
            K.quietestTradesPerSecond,
            0.000_001,
            10_000,
          ),
        }
      : {}),
    ...(values.bursts
      ? {
          bursts: {
            everySeconds,
            seconds: numberFlag(
              'burst-seconds',
              values['burst-seconds'],
              Math.min(B.seconds, everySeconds / 2),
              0.001,
              everySeconds,
            ),
            factor: numberFlag('burst-factor', values['burst-factor'], B.factor, 1, 1000),
            share: numberFlag('burst-share', values['burst-share'], B.share, 0, 1),
          },
        }
      : {}),
  };
}

/** The simulator's option names as the flags that set them, for its ConfigErrors. */
const FLAG_OF: Record<string, string> = {
  tradesPerSecond: '--trades-per-second',
  minTradesPerSecond: '--min-trades-per-second',
  'bursts.everySeconds': '--burst-every',
  'bursts.seconds': '--burst-seconds',
  'bursts.factor': '--burst-factor',
  'bursts.share': '--burst-share',
};

async function startSimulator(options: GeckoSimulatorOptions) {
  try {
    return await startGeckoSimulator(options);
  } catch (err) {
    if (err instanceof ConfigError && FLAG_OF[err.field])
      throw new UsageError(`${FLAG_OF[err.field]}: ${err.message.replace(/^invalid \S+ /, '')}`);
    throw err;
  }
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'serve an offline GeckoTerminal on a port that several collect processes can share',
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(argv, FLAGS);
    if (values.port === undefined) throw new UsageError('--port is required (0 picks a free port)');
    const network = values.network ?? COLLECTION_DEFAULTS.network;
    if (!/^[a-z0-9_-]+$/i.test(network))
      throw new UsageError(`--network must be a network id like solana, got ${JSON.stringify(network)}`);
    const apiKey = values['api-key'];
    if (apiKey !== undefined && !/^[\x21-\x7e]+$/.test(apiKey))
      throw new UsageError('--api-key must be printable characters without spaces');
    const servedFile = values['served-file'];
    const durationS =
      values.duration === undefined ? undefined : numberFlag('duration', values.duration, 0, 0.1, 365 * 86_400);
    const sim = await startSimulator({
      port: intFlag('port', values.port, 0, 0, 65_535),
      host: values.host ?? '127.0.0.1',
      pools: intFlag('pools', values.pools, 8, 1, 10_000),
      seed: intFlag('seed', values.seed, S.seed, 0, 2 ** 31 - 1),
      network,
      ...marketOptions(values),
      cacheSeconds: numberFlag('cache-seconds', values['cache-seconds'], 0, 0, 86_400),
      rangePageSize: intFlag('range-page-size', values['range-page-size'], 300, 1, 100_000),
      ...(apiKey !== undefined ? { apiKey } : {}),
      historySeconds: numberFlag('history', values.history, S.historySeconds, 0, 86_400),
    });
    io.stdout.write(`simulator: ${sim.baseUrl}\npools: ${sim.pools.map((p) => p.address).join(',')}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        clearTimeout(timer);
        resolve();
      };
      const timer = durationS === undefined ? undefined : setTimeout(stop, durationS * 1000);
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await sim.close();
    const report = sim.servedReport();
    if (servedFile !== undefined) fs.writeFileSync(servedFile, JSON.stringify(report));
    io.stdout.write(
      `served: ${report.distinctTradesServed} distinct trades (${report.tradesServed} with repeats, ${report.requests} requests)${servedFile ? `; ids in ${servedFile}` : ''}\n` +
        `made: ${report.truth!.made} trades by ${sim.pools.length} pools since the start\n`,
    );
    return EXIT_OK;
  },
};
