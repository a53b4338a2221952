// The package's light entry for threads that only send batches (`import … from 'gecko-collector/sender'`):
// the writer client and its link, without the manager, the CLI or their dependencies.

export type { AckMessage, RejectedRow, WritePayload, WriterLink } from '../protocol/messages.ts';
export type { CursorUpdate, GapRecord, TradeRecord } from '../protocol/records.ts';
export { CommitTimeoutError, GateClosedError, WriterClient, type WriterClientOptions } from './writer-client.ts';
export { linkTransferList, openWriterClient } from './writer-link.ts';
