// How a thread (writer, checkpointer, collector) logs: at the level the main thread or the library caller
// chose, each record sent as one JSON line over its own port to the main thread, which writes it where its
// logger writes. No thread reads the environment for its log settings.

import type { MessagePort } from 'node:worker_threads';

export interface ThreadLogLink {
  /** A pino level name (`silent` sends nothing). */
  level: string;
  /** The thread's end of the channel (transferred); each message is one pino JSON line. */
  port: MessagePort;
}
