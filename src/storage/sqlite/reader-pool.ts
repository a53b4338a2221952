// Read-only connections beside the writer (WAL lets readers run while it commits): `poolSize` kept open,
// up to `maxOverflow` more opened on demand and closed after use. None of them can write.

import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { DatabaseOpenError, StateError } from '../../errors.ts';
import type { WriterSettings } from '../../protocol/writer-settings.ts';
import { applyReadConnectionSettings } from './connection-settings.ts';

export class ReaderPool {
  private readonly idle: Database.Database[] = [];
  private open = 0;
  private closed = false;
  private readonly waiters: ((db: Database.Database) => void)[] = [];

  constructor(
    private readonly settings: WriterSettings,
    private readonly poolSize: number,
    private readonly maxOverflow: number,
    private readonly log: Logger,
  ) {}

  private openConnection(): Database.Database {
    try {
      const db = new Database(this.settings.path, {
        readonly: true,
        fileMustExist: true,
        ...(this.settings.echo ? { verbose: (sql: unknown) => this.log.debug({ sql, reader: true }, 'sql') } : {}),
      });
      applyReadConnectionSettings(db, this.settings);
      return db;
    } catch (err) {
      throw new DatabaseOpenError(`cannot open a reader on ${this.settings.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private async acquire(): Promise<Database.Database> {
    if (this.closed) throw new StateError('reader pool is closed');
    const db = this.idle.pop();
    if (db) return db;
    if (this.open < Math.max(1, this.poolSize + this.maxOverflow)) {
      const fresh = this.openConnection();
      this.open++;
      return fresh;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(db: Database.Database): void {
    const waiter = this.waiters.shift();
    if (waiter) return waiter(db);
    if (this.closed || this.idle.length >= Math.max(1, this.poolSize)) {
      db.close();
      this.open--;
      return;
    }
    this.idle.push(db);
  }

  /** Runs `fn` on a read-only connection. */
  async read<T>(fn: (db: Database.Database) => T): Promise<T> {
    const db = await this.acquire();
    try {
      return fn(db);
    } finally {
      this.release(db);
    }
  }

  close(): void {
    this.closed = true;
    for (const db of this.idle.splice(0)) {
      db.close();
      this.open--;
    }
  }
}
