// Finds conflicts among the duplicates of an INSERT OR IGNORE: a trade id already stored with other contents.
// The first version stays (trades are keyed by id); the writer counts each conflict and logs it once with both
// versions. Runs only for chunks that had duplicates, so the usual all-new insert pays nothing.

import type { Database, Statement } from 'better-sqlite3';
import type { TradeConflict } from '../protocol/messages.ts';
import { TRADE_FIELD_COLUMNS } from '../trades/trade-columns.ts';

/** TradeRow fields after the id, as the stored row's columns (the exact text on files with NUMERIC amounts). */
const FIELDS = TRADE_FIELD_COLUMNS.slice(1);
const AMOUNTS = new Set(['from_token_amount', 'to_token_amount', 'price_usd', 'volume_usd']);

export class TradeConflicts {
  private readonly byCount = new Map<number, Statement>();

  constructor(private readonly db: Database) {}

  /**
   * The trades at `values[at]` (bind-ready TradeRow values, `at` in `offsets`) whose id is stored with other
   * contents. A field missing on either side (null) is not a difference: older rows may lack what new ones carry.
   * SQLite compares: only the conflicting rows (rare) come back to JavaScript.
   */
  find(values: readonly unknown[], offsets: readonly number[]): TradeConflict[] {
    if (offsets.length === 0) return [];
    const params: unknown[] = new Array(offsets.length * (FIELDS.length + 1));
    let p = 0;
    for (const at of offsets) for (let f = 0; f <= FIELDS.length; f++) params[p++] = values[at + f];
    const out: TradeConflict[] = [];
    for (const r of this.statement(offsets.length).raw().all(params) as unknown[][]) {
      const differs: string[] = [];
      const kept: Record<string, string | null> = {};
      const received: Record<string, string | null> = {};
      FIELDS.forEach(([name], f) => {
        const a = r[1 + f];
        const b = r[1 + FIELDS.length + f];
        kept[name] = a === null || a === undefined ? null : String(a);
        received[name] = b === null || b === undefined ? null : String(b);
        if (kept[name] !== null && received[name] !== null && kept[name] !== received[name]) differs.push(name);
      });
      if (differs.length > 0)
        out.push({ id: r[0] as string, poolId: String(r[1 + FIELDS.length]), differs, kept, received });
    }
    return out;
  }

  private statement(n: number): Statement {
    let s = this.byCount.get(n);
    if (!s) {
      // NUMERIC amount columns hold rounded REALs: the exact text beside them is what a trade carried (null on
      // rows the Python collector wrote, which then are not compared on amounts).
      const stored = (col: string) => (AMOUNTS.has(col) ? `t.${col}_exact` : `t.${col}`);
      const row = `(${new Array(FIELDS.length + 1).fill('?').join(', ')})`;
      const differs = FIELDS.map(
        ([, col]) => `(${stored(col)} IS NOT NULL AND v.${col} IS NOT NULL AND ${stored(col)} <> v.${col})`,
      ).join(' OR ');
      s = this.db.prepare(
        `WITH v(id, ${FIELDS.map(([, c]) => c).join(', ')}) AS (VALUES ${new Array(n).fill(row).join(', ')})
         SELECT t.id, ${FIELDS.map(([, c]) => stored(c)).join(', ')}, ${FIELDS.map(([, c]) => `v.${c}`).join(', ')}
         FROM v JOIN trades t ON t.id = v.id WHERE ${differs}`,
      );
      this.byCount.set(n, s);
    }
    return s;
  }
}
