// What a collection run's scheduled prune does (CollectionOptions.retention), and its defaults.

/** What a run's scheduled prune does (CollectionOptions.retention). */
export interface RetentionOptions {
  /** Trades of UTC days that ended this long ago (ms) go. */
  olderThanMs: number;
  /** Where each day is written first; none: deleted unarchived. */
  archiveDir?: string;
  /** Between two prunes (ms). Default 6 h. */
  everyMs?: number;
  /** The first prune, this long after the start (ms). Default 1 min. */
  firstAfterMs?: number;
  /** The clock prune reads "now" from (tests move it ahead). Default the wall clock. */
  now?: () => Date;
  /** See PruneOptions.settleMs. */
  settleMs?: number;
}

export const RETENTION_DEFAULTS = Object.freeze({ everyMs: 6 * 3_600_000, firstAfterMs: 60_000 });
