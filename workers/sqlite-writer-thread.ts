// The SQLite writer thread: the only read-write connection to the database file.
import { openSqliteWriteEngine } from '../src/storage/sqlite/write-engine.ts';
import { serveWriter } from '../src/writer/writer-service.ts';

serveWriter('sqlite', openSqliteWriteEngine, (engine) => ({
  handOverCheckpoints: () => engine().handOverCheckpoints(),
  setPageLimit: (pages: number) => engine().setPageLimit(pages),
}));
