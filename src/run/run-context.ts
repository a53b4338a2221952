// What every phase of a collection run shares: the options and their checked settings, the run's logger, the
// rate limiter all collectors draw on, the stop switch, and the one disposer every phase registers its
// resources with (released newest first, once, whether the run ends or its start-up fails).

import { UndoStack } from '../common/undo-stack.ts';
import { componentLogger, type Logger, logger as rootLogger } from '../logging/logger.ts';
import { SharedRateLimiter } from '../rate-limit/shared-rate-limiter.ts';
import { type CollectionOptions, type RunSettings, resolveRunSettings } from './collection-options.ts';
import { RunStopper } from './run-stop.ts';

export interface RunContext {
  readonly options: CollectionOptions;
  readonly settings: RunSettings;
  /** The run's own records (component `collection`). */
  readonly log: Logger;
  /** Where the threads' records go (a library caller's logger, silent included, or the root one). */
  readonly logTarget: Logger;
  /** performance.now() when the run was asked for. */
  readonly launchedAt: number;
  /** Epoch ms when the run was asked for. */
  readonly runStartedAt: number;
  readonly limiter: SharedRateLimiter;
  readonly stopper: RunStopper;
  /** Each phase pushes what it took here; `release()` lets go of all of it. */
  readonly disposer: UndoStack;
  /** Releases everything registered so far, newest first; a second call finds nothing left. */
  release(): Promise<void>;
}

/** Checks the options (ConfigError for the first bad one) before anything is opened. */
export function createRunContext(options: CollectionOptions): RunContext {
  const launchedAt = performance.now();
  const log = options.logger ? options.logger.child({ component: 'collection' }) : componentLogger('collection');
  const settings = resolveRunSettings(options);
  const disposer = new UndoStack();
  return {
    options,
    settings,
    log,
    logTarget: options.logger ?? rootLogger,
    launchedAt,
    runStartedAt: Date.now(),
    limiter: new SharedRateLimiter({ callsPerMinute: settings.callsPerMinute, minSpacingMs: settings.minSpacingMs }),
    stopper: new RunStopper(log),
    disposer,
    release: () => disposer.unwind((err) => log.error({ err }, 'cleanup failed')),
  };
}
