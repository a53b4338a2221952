// `gecko-collector simulate`: the GeckoTerminal simulator that `collect --simulate` starts in-process, on a
// port of its own, so several collect processes (or hosts) can share it. It runs until SIGINT/SIGTERM (or
// --duration) and then says, and writes with --served-file, what it served: the ids of every trade, so that
// stored == served can be judged across processes (`doctor --served`). While it runs the same reports are at
// GET /__simulator/served and /__simulator/polls (who polled which pool when).

import fs from 'node:fs';
import { COLLECTION_DEFAULTS } from '../run/collection-options.ts';
import { startGeckoSimulator } from '../sim/gecko-simulator.ts';
import { EXIT_OK, UsageError } from './cli-error.ts';
import { type CliIo, type Command, intFlag, numberFlag, parseFlags } from './command.ts';

const S = COLLECTION_DEFAULTS.simulate;

const HELP = `usage: gecko-collector simulate --port P [flags]

Serves an offline GeckoTerminal (the trades and pools endpoints, the same as collect --simulate) at
http://HOST:P/api/v2 until Ctrl-C (SIGINT/SIGTERM) or --duration, for collect processes started with
--base-url http://HOST:P/api/v2 --pools <the addresses it prints>. A simulator started again with the same
--seed serves the same trades at the same times.

  --port P                 port to listen on (0: a free one, printed)
  --host H                 address to listen on (default 127.0.0.1)
  --pools N                how many pools (default 8)
  --seed S                 the pools and their trades (default ${S.seed})
  --network NAME           network id (default ${COLLECTION_DEFAULTS.network})
  --trades-per-second X    new trades per pool per second (default ${S.tradesPerSecond})
  --history S              serve trades from this many seconds before the start (default ${S.historySeconds})
  --duration S             stop by itself after S seconds (default: until Ctrl-C)
  --served-file FILE       at the end write what was served there (JSON: requests, tradesServed,
                           distinctTradesServed, ids): check a database with doctor --served FILE

Prints "simulator: URL" and "pools: A,B,…" when ready, and "served: N distinct trades (M with repeats,
R requests)" at the end. While it runs: GET URL-without-/api/v2 + /__simulator/served and /__simulator/polls.`;

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'serve an offline GeckoTerminal on a port that several collect processes can share',
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(argv, {
      port: { type: 'string' },
      host: { type: 'string' },
      pools: { type: 'string' },
      seed: { type: 'string' },
      network: { type: 'string' },
      'trades-per-second': { type: 'string' },
      history: { type: 'string' },
      duration: { type: 'string' },
      'served-file': { type: 'string' },
    });
    if (values.port === undefined) throw new UsageError('--port is required (0 picks a free port)');
    const network = values.network ?? COLLECTION_DEFAULTS.network;
    if (!/^[a-z0-9_-]+$/i.test(network))
      throw new UsageError(`--network must be a network id like solana, got ${JSON.stringify(network)}`);
    const servedFile = values['served-file'];
    const durationS =
      values.duration === undefined ? undefined : numberFlag('duration', values.duration, 0, 0.1, 365 * 86_400);
    const sim = await startGeckoSimulator({
      port: intFlag('port', values.port, 0, 0, 65_535),
      host: values.host ?? '127.0.0.1',
      pools: intFlag('pools', values.pools, 8, 1, 10_000),
      seed: intFlag('seed', values.seed, S.seed, 0, 2 ** 31 - 1),
      network,
      tradesPerSecond: numberFlag('trades-per-second', values['trades-per-second'], S.tradesPerSecond, 0.001, 10_000),
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
      `served: ${report.distinctTradesServed} distinct trades (${report.tradesServed} with repeats, ${report.requests} requests)${servedFile ? `; ids in ${servedFile}` : ''}\n`,
    );
    return EXIT_OK;
  },
};
