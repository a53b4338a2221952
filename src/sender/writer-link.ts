// What a collector thread needs to reach the writer: its data port, plus (when the manager supervises the
// writer) a port on which the manager hands over a fresh data port after a writer restart.

import type { Transferable } from 'node:worker_threads';
import type { WriterLink } from '../protocol/messages.ts';
import { WriterClient, type WriterClientOptions } from './writer-client.ts';

/** The ports inside a link, for `transferList` when posting it to a thread. */
export function linkTransferList(link: WriterLink): Transferable[] {
  return link.manager ? [link.port, link.manager] : [link.port];
}

/** A client for a link received in a worker thread. */
export function openWriterClient(link: WriterLink, options: WriterClientOptions = {}): WriterClient {
  return new WriterClient(link.port, {
    ...options,
    ...(link.manager ? { manager: link.manager } : {}),
    ...(link.gate ? { gate: link.gate } : {}),
  });
}
