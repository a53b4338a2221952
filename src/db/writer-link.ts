// What a collector thread needs to reach the writer: its data port, plus (when the manager supervises the
// writer) a port on which the manager hands over a fresh data port after a writer restart.

import type { MessagePort, Transferable } from 'node:worker_threads';
import { WriterClient, type WriterClientOptions } from './writer-client.ts';

export interface WriterLink {
  port: MessagePort;
  /** The manager posts `{ kind: 'reconnect', port }` here after restarting the writer. */
  reconnect?: MessagePort;
}

/** The ports inside a link, for `transferList` when posting it to a thread. */
export function linkTransferList(link: WriterLink): Transferable[] {
  return link.reconnect ? [link.port, link.reconnect] : [link.port];
}

/** A client for a link received in a worker thread. */
export function openWriterClient(link: WriterLink, options: WriterClientOptions = {}): WriterClient {
  return new WriterClient(link.port, { ...options, ...(link.reconnect ? { reconnect: link.reconnect } : {}) });
}
