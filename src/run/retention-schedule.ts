// collect's retention on a schedule (retention.older_than in the config): every so often the run prunes old days
// as `gecko-collector prune` does (archive, candles kept, short deleting transactions beside its own writer), one
// log line a prune. A prune that fails is logged and tried again at the next turn; the run goes on either way.

// prune-trades is imported at the first turn: it pulls in the archive's parquet code (hyparquet and its writer),
// which a run without retention never needs.
import type { PruneResult } from '../retention/prune-trades.ts';
import { RETENTION_DEFAULTS } from './retention-options.ts';
import type { RunContext } from './run-context.ts';

/** Starts the schedule when the options ask for one; the run's release stops it after a prune under way. */
export function startRetentionSchedule(ctx: RunContext): void {
  const r = ctx.options.retention;
  if (!r) return;
  const url = ctx.settings.dbConfig.url!;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const turn = () => {
    running = (async () => {
      try {
        const { pruneTrades } = await import('../retention/prune-trades.ts');
        const result: PruneResult = await pruneTrades({
          url,
          olderThanMs: r.olderThanMs,
          ...(r.archiveDir !== undefined ? { archiveDir: r.archiveDir } : {}),
          ...(r.now ? { now: r.now() } : {}),
          ...(r.settleMs !== undefined ? { settleMs: r.settleMs } : {}),
        });
        ctx.log.info(
          {
            cutoff: result.cutoff,
            days: result.days.length,
            deleted: result.deleted,
            space: result.reclaimed?.message,
          },
          `pruned ${result.deleted} trades of ${result.days.length} days before ${result.cutoff}`,
        );
      } catch (err) {
        ctx.log.warn({ err }, 'scheduled prune failed; the next one tries again');
      }
      if (!stopped) timer = setTimeout(turn, r.everyMs ?? RETENTION_DEFAULTS.everyMs);
    })();
  };
  timer = setTimeout(turn, r.firstAfterMs ?? RETENTION_DEFAULTS.firstAfterMs);
  ctx.disposer.push(undefined, async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  });
}
