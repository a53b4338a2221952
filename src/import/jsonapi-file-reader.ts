// Reads a saved GeckoTerminal trades response (JSON:API). The body does not name its pool, so the caller
// supplies network and pool address; one malformed trade is a reject at `data[i]`, not a failed import.

import fs from 'node:fs/promises';
import { GeckoTerminalError } from '../gecko/gecko-errors.ts';
import { parseTradesDocument, poolIdOf, type TradeParseContext } from '../gecko/trade-parser.ts';
import { fileErrorReason, ImportFileError, ImportFormatError } from './import-errors.ts';
import { type ImportItem, type SourceLocation, UNKNOWN_ID } from './import-source.ts';

// A trades response holds at most 300 trades (~300 KB); anything far bigger is not one.
const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

function dataLocation(index: number): SourceLocation {
  return { line: null, at: `data[${index}]` };
}

/** The parser's message minus its "malformed GeckoTerminal response for …:" preamble and the `data[0].` of the one-trade document. */
function reasonOf(err: GeckoTerminalError): string {
  const colon = err.message.indexOf(': ');
  const detail = colon === -1 ? err.message : err.message.slice(colon + 2);
  return detail.replace(/^data\[0\]\.?/, '').trim() || detail;
}

export async function* readJsonApiFile(path: string, context: TradeParseContext): AsyncGenerator<ImportItem> {
  let text: string;
  try {
    const handle = await fs.open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size > MAX_DOCUMENT_BYTES) {
        throw new ImportFormatError(
          `${path} is ${size} bytes: too big for one GeckoTerminal trades response (use NDJSON for bulk data)`,
        );
      }
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof ImportFormatError) throw err;
    throw new ImportFileError(path, fileErrorReason(err), { cause: err });
  }
  let document: unknown;
  try {
    document = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new ImportFormatError(`${path} is not a JSON document: ${(err as Error).message}`, { cause: err });
  }
  const data = (document as { data?: unknown } | null)?.data;
  if (document === null || typeof document !== 'object' || Array.isArray(document) || !Array.isArray(data)) {
    throw new ImportFormatError(
      `${path} is not a GeckoTerminal trades response: expected an object with a "data" array`,
    );
  }
  checkNetwork(data, context);
  for (let i = 0; i < data.length; i++) {
    const item: unknown = data[i];
    try {
      const [trade] = parseTradesDocument({ data: [item] }, context);
      yield { kind: 'record', location: dataLocation(i), candidate: { ...trade! } };
    } catch (err) {
      if (!(err instanceof GeckoTerminalError)) throw err;
      const id = (item as { id?: unknown } | null)?.id;
      yield {
        kind: 'unparsable',
        location: dataLocation(i),
        id: typeof id === 'string' && id !== '' ? id : UNKNOWN_ID,
        reason: reasonOf(err),
      };
    }
  }
}

/**
 * Trade ids start with their network (`solana_…`). If none does, --network is wrong, and every trade would
 * land under a pool id that does not exist: refuse rather than import them there.
 */
function checkNetwork(data: unknown[], context: TradeParseContext): void {
  const ids = data.map((d) => (d as { id?: unknown } | null)?.id).filter((id): id is string => typeof id === 'string');
  if (ids.length === 0 || ids.some((id) => id.startsWith(`${context.network}_`))) return;
  const seen = ids[0]!.split('_')[0];
  throw new ImportFormatError(
    `the trade ids in this response start with "${seen}_", not "${context.network}_": is --network right? (pool id would be ${poolIdOf(context.network, context.poolAddress)})`,
  );
}
