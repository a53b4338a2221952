// Thread logs through the main thread: the main thread opens one channel per thread and writes every record
// it receives through the logger it chose (the CLI's, or a library caller's, silent included); the thread
// logs at that logger's level and sends its lines over the channel. See protocol/thread-log-link.ts.

import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { pino } from 'pino';
import type { ThreadLogLink } from '../protocol/thread-log-link.ts';
import { type Logger, logger as rootLogger, setLogSink } from './logger.ts';

export interface ThreadLogChannel {
  /** Hand it to the thread (its port goes in the transfer list). */
  readonly link: ThreadLogLink;
  /** Stops listening; records still queued are dropped. */
  close(): void;
}

// A record already serialized in the thread: its err is a plain object now, so pass it on as it is.
const keepSerialized = (value: unknown) => value;

/** Writes one serialized thread record through `target`: same level, message and fields; time and pid are target's. */
export function reemit(target: Logger, line: string): void {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  const { level, time: _time, pid: _pid, hostname: _hostname, name: _name, msg, ...fields } = record;
  const label = typeof level === 'number' ? pino.levels.labels[level] : undefined;
  const method = label && label in target ? (label as 'info') : 'info';
  target[method](fields, typeof msg === 'string' ? msg : '');
}

/** A channel whose records are written through `target` (default: the root logger) at its level. */
export function openThreadLogChannel(target: Logger = rootLogger): ThreadLogChannel {
  const { port1, port2 } = new MessageChannel();
  const forward = target.child({}, { serializers: { err: keepSerialized } });
  port1.on('message', (line: unknown) => {
    if (typeof line === 'string') reemit(forward, line);
  });
  // The thread's life decides how long the channel lasts: it must not keep the process alive by itself.
  port1.unref();
  return {
    link: { level: target.level, port: port2 },
    close: () => port1.close(),
  };
}

/** In a thread: log at the link's level, through its port. Without a link the thread keeps the defaults. */
export function adoptThreadLogLink(link: ThreadLogLink | undefined): void {
  if (!link) return;
  rootLogger.level = link.level;
  const port: MessagePort = link.port;
  port.unref();
  setLogSink((line) => port.postMessage(line));
}
