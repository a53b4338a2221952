// Writes an export's bytes to a Node stream with backpressure: when the stream's buffer is full, the caller
// waits for 'drain' before producing more, so a slow reader (a pipe, a disk) never makes the export hold the
// table in memory. Text is gathered into chunks first: one write call per chunk, not per row.

import { once } from 'node:events';

const CHUNK_CHARS = 64 * 1024;

export class OutputSink {
  private pending = '';
  private failure: Error | undefined;
  private readonly onError = (err: Error) => {
    this.failure ??= err;
  };

  constructor(private readonly out: NodeJS.WritableStream) {
    out.on('error', this.onError);
  }

  /** Adds text; resolves at once unless a full chunk had to wait for the stream to drain. */
  async text(s: string): Promise<void> {
    this.pending += s;
    if (this.pending.length >= CHUNK_CHARS) await this.flushText();
  }

  private async flushText(): Promise<void> {
    const s = this.pending;
    this.pending = '';
    if (s) await this.bytes(s);
  }

  /** Writes bytes (or text) now, waiting for 'drain' when the stream says its buffer is full. */
  async bytes(chunk: Uint8Array | string): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.out.write(chunk)) {
      // An error while waiting rejects `once` (it listens for 'error' too).
      await once(this.out, 'drain');
    }
    if (this.failure) throw this.failure;
  }

  /** Writes what is gathered; the stream itself stays open (stdout is not ours to end). */
  async flush(): Promise<void> {
    await this.flushText();
  }

  detach(): void {
    this.out.off('error', this.onError);
  }
}
