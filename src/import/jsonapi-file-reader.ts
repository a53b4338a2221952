// Reads a saved GeckoTerminal trades response (JSON:API). The body does not name its pool, so the caller
// supplies network and pool address; one malformed trade is a reject at `data[i]`, not a failed import.

import fs from 'node:fs/promises';
import { poolIdOf } from '../config/pool-addresses.ts';
import { readTradeItem, type TradeParseContext } from '../gecko/trade-parser.ts';
import { fileErrorReason, ImportFileError, ImportFormatError } from './import-errors.ts';
import { type ImportItem, type SourceLocation, UNKNOWN_ID } from './import-source.ts';

// A trades response holds at most 300 trades (~300 KB); anything far bigger is not one.
const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

function dataLocation(index: number): SourceLocation {
  return { line: null, at: `data[${index}]` };
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
  const poolId = poolIdOf(context.network, context.poolAddress);
  for (let i = 0; i < data.length; i++) {
    // The collector's own per-trade reading: the same trades pass, with the same reasons.
    const result = readTradeItem(data[i], i, poolId);
    if (result.ok) yield { kind: 'record', location: dataLocation(i), candidate: { ...result.trade } };
    else
      yield {
        kind: 'unparsable',
        location: dataLocation(i),
        id: result.rejected.id ?? UNKNOWN_ID,
        reason: result.rejected.reason,
      };
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
