// The PostgreSQL writer thread: this process's only write connection to the server.
import { openPgWriteEngine } from '../src/storage/postgres/write-engine.ts';
import { serveWriter } from '../src/writer/writer-service.ts';

serveWriter('postgres', openPgWriteEngine);
