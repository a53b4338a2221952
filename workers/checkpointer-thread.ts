// The checkpointer thread: copies committed WAL pages into the SQLite file beside the writer (never a row).
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckpointerData } from '../src/protocol/messages.ts';
import { runCheckpointer } from '../src/storage/sqlite/checkpointer.ts';

if (!parentPort) throw new Error('the checkpointer must run as a worker thread');
runCheckpointer(parentPort, workerData as CheckpointerData);
