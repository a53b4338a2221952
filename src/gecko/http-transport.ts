// How one HTTP request reaches the API: node:http(s) by default, or a caller's `fetch`; either way the reply's
// status, headers, and its body read within a size bound.

import http from 'node:http';
import https from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';

/** The body as text, or how far it got once it passed the bound. */
export type BoundedBody = string | { tooLarge: number };

export interface HttpReply {
  readonly status: number;
  header(name: string): string | null;
  /**
   * The body as text, or how far it got once it passed `maxBytes` (a declared Content-Length over the bound is
   * refused before reading): a body that never ends, or a huge one, costs at most `maxBytes` of memory.
   */
  text(maxBytes: number): Promise<BoundedBody>;
  /** Drops the body unread. */
  discard(): Promise<void>;
}

/** One GET of `url` without following redirects; `signal` cuts it, headers and body alike. */
export type HttpTransport = (url: string, headers: Record<string, string>, signal: AbortSignal) => Promise<HttpReply>;

function overDeclared(contentLength: string | null | undefined, maxBytes: number): number | undefined {
  const declared = Number(contentLength ?? Number.NaN);
  return declared > maxBytes ? declared : undefined;
}

async function readChunks(
  chunks: AsyncIterable<Uint8Array>,
  maxBytes: number,
  cancel: () => void,
): Promise<BoundedBody> {
  const kept: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      cancel();
      return { tooLarge: size };
    }
    kept.push(chunk);
  }
  return Buffer.concat(kept, size).toString('utf8');
}

/** A caller's `fetch` (tests, proxies): `redirect: 'manual'`, the body read from its stream. */
export function fetchTransport(fetchImpl: typeof fetch): HttpTransport {
  return async (url, headers, signal) => {
    const response = await fetchImpl(url, { headers, redirect: 'manual', signal });
    const cancel = () => response.body?.cancel().catch(() => undefined);
    return {
      status: response.status,
      header: (name) => response.headers.get(name),
      async text(maxBytes) {
        const declared = overDeclared(response.headers.get('content-length'), maxBytes);
        if (declared !== undefined) {
          await cancel();
          return { tooLarge: declared };
        }
        const body = response.body;
        if (!body) return '';
        const reader = body.getReader();
        const chunks: AsyncIterable<Uint8Array> = {
          async *[Symbol.asyncIterator]() {
            for (;;) {
              const { done, value } = await reader.read();
              if (done) return;
              yield value;
            }
          },
        };
        return readChunks(chunks, maxBytes, () => void reader.cancel().catch(() => undefined));
      },
      async discard() {
        await cancel();
      },
    };
  };
}

/** The body decoded as `fetch` would (gzip, deflate, br); the bound applies to the decoded bytes. */
function decodedBody(res: http.IncomingMessage): Readable {
  const encoding = (res.headers['content-encoding'] ?? '').trim().toLowerCase();
  // Lenient at the end of the stream like fetch: a body cut after its last full block still decodes.
  const flush = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib.createGunzip(flush)
      : encoding === 'deflate'
        ? zlib.createInflate(flush)
        : encoding === 'br'
          ? zlib.createBrotliDecompress()
          : undefined;
  if (decoder === undefined) return res;
  // An error on either side destroys both; the reader sees it on the decoder.
  return pipeline(res, decoder, () => undefined);
}

/**
 * node:http(s) with its keep-alive global agent. Collector threads use this, not the global `fetch`: each
 * isolate that calls `fetch` loads undici (its module graph, WHATWG streams, the llhttp WebAssembly instance
 * and its memory), which costs every collector thread several MB of resident memory.
 */
export const nodeHttpTransport: HttpTransport = (url, headers, signal) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = target.protocol === 'https:' ? https.request : http.request;
    const req = request(
      target,
      {
        method: 'GET',
        // What fetch sends unless told otherwise; the API's bodies are far smaller compressed.
        headers: { 'User-Agent': 'node', 'Accept-Encoding': 'gzip, deflate, br', ...headers },
        signal,
      },
      (res) => {
        // A cut (deadline, bound) after the headers errors the response too: never unhandled.
        res.on('error', () => undefined);
        resolve({
          status: res.statusCode ?? 0,
          header(name) {
            const value = res.headers[name.toLowerCase()];
            return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
          },
          async text(maxBytes) {
            const declared = overDeclared(res.headers['content-length'], maxBytes);
            if (declared !== undefined) {
              res.destroy();
              return { tooLarge: declared };
            }
            return readChunks(decodedBody(res), maxBytes, () => res.destroy());
          },
          async discard() {
            res.resume();
          },
        });
      },
    );
    req.once('error', reject);
    req.end();
  });
