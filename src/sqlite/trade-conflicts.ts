// Finds conflicts among the duplicates of an INSERT OR IGNORE: a trade id already stored with other contents.
// The first version stays (trades are keyed by id); the writer counts each conflict and logs it once with both
// versions. Runs only for chunks that had duplicates, so the usual all-new insert pays nothing.

import type { Database, Statement } from 'better-sqlite3';
import type { TradeConflict } from '../protocol/messages.ts';

/** TradeRow fields after the id, as the stored row's columns (the exact text on files with NUMERIC amounts). */
const FIELDS = [
  ['poolId', 'pool_id'],
  ['blockNumber', 'block_number'],
  ['txHash', 'tx_hash'],
  ['txFromAddress', 'tx_from_address'],
  ['fromTokenAmount', 'from_token_amount'],
  ['toTokenAmount', 'to_token_amount'],
  ['priceUsd', 'price_usd'],
  ['volumeUsd', 'volume_usd'],
  ['side', 'side'],
  ['blockTimestamp', 'block_timestamp'],
] as const;
const AMOUNTS = new Set(['from_token_amount', 'to_token_amount', 'price_usd', 'volume_usd']);

export class TradeConflicts {
  private readonly byCount = new Map<number, Statement>();
  private readonly columns: string;

  constructor(private readonly db: Database) {
    // NUMERIC amount columns hold rounded REALs: the exact text beside them is what a trade carried (null on
    // rows the Python collector wrote, which then are not compared on amounts).
    this.columns = FIELDS.map(([, col]) => (AMOUNTS.has(col) ? `${col}_exact AS ${col}` : col)).join(', ');
  }

  /**
   * The trades at `values[at]` (bind-ready TradeRow values, `at` in `offsets`) whose id is stored with other
   * contents. A field missing on either side (null) is not a difference: older rows may lack what new ones carry.
   */
  find(values: readonly unknown[], offsets: readonly number[]): TradeConflict[] {
    if (offsets.length === 0) return [];
    const stored = new Map<string, Record<string, unknown>>();
    for (const r of this.statement(offsets.length).all(offsets.map((at) => values[at])) as Record<string, unknown>[])
      stored.set(r.id as string, r);
    const out: TradeConflict[] = [];
    for (const at of offsets) {
      const id = values[at] as string;
      const first = stored.get(id);
      if (!first) continue;
      const differs: string[] = [];
      const kept: Record<string, string | null> = {};
      const received: Record<string, string | null> = {};
      FIELDS.forEach(([name, col], f) => {
        const a = first[col];
        const b = values[at + 1 + f];
        kept[name] = a === null || a === undefined ? null : String(a);
        received[name] = b === null || b === undefined ? null : String(b);
        if (kept[name] !== null && received[name] !== null && kept[name] !== received[name]) differs.push(name);
      });
      if (differs.length > 0) out.push({ id, poolId: String(values[at + 1]), differs, kept, received });
    }
    return out;
  }

  private statement(n: number): Statement {
    let s = this.byCount.get(n);
    if (!s) {
      s = this.db.prepare(`SELECT id, ${this.columns} FROM trades WHERE id IN (${new Array(n).fill('?').join(', ')})`);
      this.byCount.set(n, s);
    }
    return s;
  }
}
