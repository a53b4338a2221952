// What both writers do with the conflicts they find (a trade id already stored with other contents; the first
// version is kept): count them per pool, and log each id once with both versions.

import type { Logger } from 'pino';
import type { TradeConflict } from '../protocol/messages.ts';

/** Bounds, so that a feed full of conflicts cannot grow the writer's memory: pools counted, ids remembered. */
const MAX_CONFLICT_POOLS = 10_000;
const MAX_LOGGED_CONFLICTS = 10_000;

export class ConflictLog {
  /** Conflicts per pool (the first MAX_CONFLICT_POOLS pools). */
  readonly byPool = new Map<string, number>();
  private readonly logged = new Set<string>();

  constructor(private readonly log: Logger) {}

  note(found: readonly TradeConflict[]): void {
    for (const k of found) {
      const n = this.byPool.get(k.poolId);
      if (n !== undefined || this.byPool.size < MAX_CONFLICT_POOLS) this.byPool.set(k.poolId, (n ?? 0) + 1);
      if (this.logged.has(k.id)) continue;
      if (this.logged.size >= MAX_LOGGED_CONFLICTS) this.logged.clear();
      this.logged.add(k.id);
      this.log.warn(
        { id: k.id, poolId: k.poolId, differs: k.differs, kept: k.kept, received: k.received },
        'same trade id with different contents: the first version is kept',
      );
    }
  }
}
