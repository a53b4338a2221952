// When the writer thread checkpoints the WAL itself (optimized pragmas, until a checkpointer thread takes over):
// when it has nothing else to do, and at least every few seconds under sustained load.

import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { WriterSettings } from '../../protocol/writer-settings.ts';

export type CheckpointMode = 'PASSIVE' | 'FULL' | 'RESTART' | 'TRUNCATE';

export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

const IDLE_CHECKPOINT_AFTER_MS = 250;
const FORCED_CHECKPOINT_EVERY_MS = 5000;

export class WalCheckpoints {
  private lastCheckpointAt = Date.now();
  private dirtySinceCheckpoint = false;
  private idleTimer: NodeJS.Timeout | undefined;
  /** A checkpointer thread took over (the WAL grew): the writer checkpoints no more, not even at close. */
  private handedOver = false;

  constructor(
    private readonly db: Database,
    private readonly settings: Pick<WriterSettings, 'pragmas' | 'checkpointIntervalMs'>,
    /** The writer's counters, where checkpoints are counted and the WAL's pages left are kept. */
    private readonly counters: { checkpoints: number; walPages: number },
    private readonly log: Logger,
  ) {}

  checkpoint(mode: CheckpointMode): CheckpointResult {
    const [res] = this.db.pragma(`wal_checkpoint(${mode})`) as CheckpointResult[];
    this.counters.checkpoints++;
    this.lastCheckpointAt = Date.now();
    this.dirtySinceCheckpoint = false;
    const out = res ?? { busy: 0, log: 0, checkpointed: 0 };
    this.counters.walPages = Math.max(0, out.log - out.checkpointed);
    return out;
  }

  /** A transaction committed: the WAL has pages to checkpoint. */
  markDirty(): void {
    this.dirtySinceCheckpoint = true;
  }

  /** After a commit: under sustained load the writer is never idle, so bound the WAL anyway. */
  checkpointIfOverdue(): void {
    if (this.checkpointsHere() && Date.now() - this.lastCheckpointAt > FORCED_CHECKPOINT_EVERY_MS) {
      this.checkpoint('PASSIVE');
    }
  }

  /** The writer went idle: checkpoint shortly, off the commit path, if its `backlog()` is still empty then. */
  scheduleIdleCheckpoint(backlog: () => number): void {
    if (this.dirtySinceCheckpoint && !this.idleTimer && this.checkpointsHere()) {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = undefined;
        if (backlog() === 0 && this.dirtySinceCheckpoint) {
          try {
            this.checkpoint('PASSIVE');
          } catch (err) {
            this.log.warn({ err }, 'idle checkpoint failed');
          }
        }
      }, IDLE_CHECKPOINT_AFTER_MS);
      this.idleTimer.unref();
    }
  }

  /** A checkpointer thread runs from now on: no checkpoint on the writer's thread any more. */
  handOver(): void {
    this.handedOver = true;
    clearTimeout(this.idleTimer);
  }

  /** The writer is closing: no more idle checkpoints; what the last transactions left is checkpointed now. */
  close(): void {
    clearTimeout(this.idleTimer);
    if (this.dirtySinceCheckpoint && this.settings.pragmas === 'optimized') this.checkpoint('PASSIVE');
  }

  /** Until a checkpointer thread runs, the writer keeps the WAL bounded itself. */
  private checkpointsHere(): boolean {
    return this.settings.pragmas === 'optimized' && !this.handedOver;
  }
}
