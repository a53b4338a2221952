// What `backfill` and `reconcile` share: their settings (a subset of collect's), the flags that pick pools and a
// span, and one session around the work: logs above a progress line, Ctrl-C that stops cleanly (twice: now),
// the write funnel, read-only reads of the store and an API client with its own budget, all closed after.

import type { ResolvedSettings } from '../config/settings.ts';
import { LockOptimizedDatabaseManager } from '../funnel/lock-optimized-manager.ts';
import { GeckoTerminalClient } from '../gecko/gecko-client.ts';
import { logger } from '../logging/logger.ts';
import type { AckMessage, WritePayload } from '../protocol/messages.ts';
import { SharedRateLimiter } from '../rate-limit/shared-rate-limiter.ts';
import { COLLECTION_DEFAULTS } from '../run/collection-options.ts';
import type { FillReads } from '../storage/fill-reads.ts';
import { openFillReads } from '../storage/open-fill-reads.ts';
import type { TradeFilter } from '../storage/trade-rows.ts';
import { flagOptions, loadSettings } from './cli-settings.ts';
import { collectSpecs } from './collect-specs.ts';
import { type CliIo, parseFlags } from './command.ts';
import type { LogFormat } from './common-specs.ts';
import { exitOnSignalNow } from './exit-now.ts';
import { routeCliLogs } from './log-output.ts';
import { StatusLine } from './terminal-status.ts';
import { filterOrUsage } from './trade-query-flags.ts';

const SETTINGS = [
  'db',
  'api-key',
  'base-url',
  'network',
  'calls-per-minute',
  'min-volume-usd',
  'request-timeout',
  'max-response-bytes',
  'max-clock-skew',
  'log-level',
  'log-format',
];

type ExtraOptions = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

/** The settings, the pool and span filter (--pool, --since, --until) and the command's own flags. */
export function parseSessionFlags(argv: string[], io: CliIo, extra: ExtraOptions) {
  const specs = collectSpecs({ tty: io.stderr.isTTY === true }).filter((s) => SETTINGS.includes(s.key));
  const { values } = parseFlags(argv, {
    ...flagOptions(specs, []),
    since: { type: 'string' },
    until: { type: 'string' },
    pool: { type: 'string', multiple: true },
    json: { type: 'boolean' },
    ...extra,
  });
  const { pool, since, until, ...settingFlags } = values as Record<string, string | boolean | undefined> & {
    pool?: string[];
  };
  const { settings } = loadSettings(specs, settingFlags);
  const network = settings.get<string>('network')!;
  const filter: TradeFilter = filterOrUsage({
    ...(pool ? { pool } : {}),
    network,
    ...(typeof since === 'string' ? { since } : {}),
    ...(typeof until === 'string' ? { until } : {}),
  });
  return { values: values as Record<string, string | boolean | string[] | undefined>, settings, network, filter };
}

export interface Session {
  write: (payload: WritePayload) => Promise<AckMessage>;
  reads: FillReads;
  client: GeckoTerminalClient;
  signal: AbortSignal;
  /** The progress line on a terminal; elsewhere a log line (info) every 10 s, for the journal. */
  progress: (text: string, figures: object) => void;
  /** Clears the progress line before the result is printed. */
  done: () => void;
  url: string;
}

/** How often progress is logged when stderr is not a terminal. */
const LOG_PROGRESS_EVERY_MS = 10_000;

/**
 * Runs `work` in a session on the store and the API the settings name; `stopping` is what the first Ctrl-C
 * prints. Everything is closed after, whatever `work` does.
 */
export async function withSession(
  io: CliIo,
  s: ResolvedSettings,
  options: { component: string; stopping: string; apiKey: string | undefined },
  work: (session: Session) => Promise<number>,
): Promise<number> {
  const url = s.get<string>('db')!;
  const status = new StatusLine(io.stderr);
  const restoreLogs = routeCliLogs(status, {
    level: s.get<string>('log-level')!,
    format: s.get<LogFormat>('log-format')!,
    colors: status.live && !process.env.NO_COLOR,
  });
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals === 1) {
      status.print(`${signal}: ${options.stopping}; again to exit now`);
      controller.abort();
    } else exitOnSignalNow(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const manager = new LockOptimizedDatabaseManager({ url });
  try {
    await manager.initialize();
    const reads = await openFillReads(url);
    const callsPerMinute = s.get<number>('calls-per-minute')!;
    const client = new GeckoTerminalClient({
      rateLimiter: new SharedRateLimiter({
        callsPerMinute,
        minSpacingMs: Math.min(Math.ceil(60_000 / callsPerMinute), COLLECTION_DEFAULTS.minSpacingMs),
      }),
      ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
      baseUrl: s.get<string>('base-url')!,
      timeoutMs: s.get<number>('request-timeout')! * 1000,
      maxResponseBytes: s.get<number>('max-response-bytes')!,
      logger: logger.child({ component: options.component }),
    });
    const log = logger.child({ component: options.component });
    let logged = performance.now();
    try {
      return await work({
        write: (payload) => manager.write(payload),
        reads,
        client,
        signal: controller.signal,
        progress: (text, figures) => {
          if (status.live) status.show(text);
          else if (performance.now() - logged >= LOG_PROGRESS_EVERY_MS) {
            logged = performance.now();
            log.info(figures, 'progress');
          }
        },
        done: () => status.clear(),
        url,
      });
    } finally {
      await reads.close();
    }
  } finally {
    status.clear();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await manager.close();
    restoreLogs();
  }
}
