// The SQLite writer's engine on a fresh file in this thread (as the writer thread opens it), for tests that feed it
// batches directly and read its acks.
import path from 'node:path';
import type Database from 'better-sqlite3';
import { openAsWriter } from '../../bench/ceiling.ts';
import { componentLogger } from '../../src/logging/logger.ts';
import type { AckMessage, WriteBatchMessage, WriterToCollector } from '../../src/protocol/messages.ts';
import { sqliteEngineOn } from '../../src/storage/sqlite/write-engine.ts';
import { GroupCommitWriter } from '../../src/writer/group-commit-writer.ts';
import { tempDir } from './temp-dir.ts';

export interface TestEngine {
  db: Database.Database;
  engine: GroupCommitWriter;
  /** Enqueues one batch (the next batch id) and resolves with its ack; a nack rejects with its message. */
  write(batch: Omit<WriteBatchMessage, 'kind' | 'batchId'>): Promise<AckMessage>;
  close(): Promise<void>;
}

export function openTestEngine(file: string): TestEngine {
  const { db, settings } = openAsWriter(path.join(tempDir(), file));
  const log = componentLogger('test-writer');
  const engine = new GroupCommitWriter(sqliteEngineOn(db, settings, log), settings, log);
  let nextBatch = 1;
  return {
    db,
    engine,
    write: (batch) =>
      new Promise((resolve, reject) =>
        engine.enqueue({ kind: 'write', batchId: nextBatch++, ...batch }, (m: WriterToCollector) =>
          m.kind === 'ack' ? resolve(m) : reject(new Error(m.error.message)),
        ),
      ),
    close: () => engine.close(),
  };
}
