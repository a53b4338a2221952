// The checkpointer thread's work: copies committed WAL pages into the database file on its own connection, so the
// writer thread never stalls a commit for a checkpoint and the work runs on another core. It never opens a
// transaction or changes a row (checkpoints move pages SQLite already committed), so the writer thread remains the
// only connection that writes data.

import type { MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { componentLogger } from '../../logging/logger.ts';
import { adoptThreadLogLink } from '../../logging/thread-logs.ts';
import type { CheckpointerData, CheckpointerToMain, MainToCheckpointer } from '../../protocol/messages.ts';

/** Checkpoints every `data.intervalMs` until the main thread says stop on `port`. */
export function runCheckpointer(port: MessagePort, data: CheckpointerData): void {
  adoptThreadLogLink(data.log);
  const log = componentLogger('checkpointer', { path: data.path });
  const db = new Database(data.path, { fileMustExist: true });
  db.pragma(`busy_timeout = ${data.busyTimeoutMs}`);
  db.pragma('foreign_keys = OFF');

  let checkpoints = 0;
  let busy = 0;
  let stopped = false;

  const checkpointOnce = () => {
    const t0 = performance.now();
    try {
      // PASSIVE never blocks the writer; pages a reader still needs are left for the next round.
      const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
      checkpoints++;
      if (r?.busy) busy++;
      port.postMessage({
        kind: 'checkpointed',
        checkpoints,
        walPages: r ? Math.max(0, r.log - r.checkpointed) : 0,
        ms: performance.now() - t0,
      } satisfies CheckpointerToMain);
    } catch (err) {
      log.warn({ err }, 'checkpoint failed; will retry');
    }
  };

  const timer = setInterval(checkpointOnce, data.intervalMs);
  port.on('message', (m: MainToCheckpointer) => {
    if (m.kind !== 'stop' || stopped) return;
    stopped = true;
    clearInterval(timer);
    db.close();
    port.postMessage({ kind: 'stopped', checkpoints, busy } satisfies CheckpointerToMain);
    port.close();
  });
}
