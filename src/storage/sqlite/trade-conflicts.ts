// Finds conflicts among the SQLite writer's duplicates: a trade id already stored with other contents. The first
// version stays (trades are keyed by id); the writer counts each conflict and logs it once with both versions. The
// writer's INSERT notes the candidates itself (its ON CONFLICT clause compares the text of the stored row it has
// already found), so a duplicate costs no second lookup; only those rows (rare) are read back, and the one rule
// (storage/conflict-rule.ts) decides which differ.

import type { Database, Statement } from 'better-sqlite3';
import type { TradeConflict } from '../../protocol/messages.ts';
import { TRADE_AMOUNT_COLUMNS, TRADE_FIELD_COLUMNS } from '../../trades/trade-columns.ts';
import { differingFields } from '../conflict-rule.ts';

/** TradeRow fields after the id, as the stored row's columns (the exact text on files with NUMERIC amounts). */
const FIELDS = TRADE_FIELD_COLUMNS.slice(1);
const AMOUNTS = new Set<string>(TRADE_AMOUNT_COLUMNS);
/** NUMERIC amount columns hold rounded REALs: the exact text beside them is what a trade carried. */
const exact = (col: string) => (AMOUNTS.has(col) ? `${col}_exact` : col);

/**
 * True (1) when the text of the row `kept` (a trades row) and of the row `received` differ in a field both carry:
 * the candidates the rule then judges (text that differs may still be the same amount). SQL's `<>` is NULL when
 * either side is, and `NULL OR x` is x: a field missing on either side never makes a candidate.
 */
function differsSql(kept: string, received: string): string {
  return FIELDS.map(([, col]) => `${kept}.${exact(col)} <> ${received}.${exact(col)}`).join(' OR ');
}

/** The SQL function the writer's INSERT calls for each duplicate; it notes the id when the contents differ. */
const NOTE_FUNCTION = 'gecko_note_trade_conflict';

/**
 * The writer's ON CONFLICT clause: a duplicate id is never updated (the WHERE is always false), but one whose
 * contents differ is noted. CASE evaluates its THEN only when the WHEN holds: plain duplicates call no function.
 */
export const NOTE_CONFLICTS_CLAUSE = `ON CONFLICT (id) DO UPDATE SET side = trades.side
  WHERE CASE WHEN ${differsSql('trades', 'excluded')} THEN ${NOTE_FUNCTION}(excluded.id) ELSE 0 END`;

export class TradeConflicts {
  private readonly byCount = new Map<number, Statement>();
  private noted: string[] = [];

  /** Registers the note function on `db`: prepare statements with NOTE_CONFLICTS_CLAUSE after this. */
  constructor(private readonly db: Database) {
    db.function(NOTE_FUNCTION, { deterministic: false }, (id: unknown) => {
      this.noted.push(String(id));
      return 0;
    });
  }

  /** The ids statements with NOTE_CONFLICTS_CLAUSE noted since the last call (null: none). */
  takeNoted(): ReadonlySet<string> | null {
    if (this.noted.length === 0) return null;
    const ids = new Set(this.noted);
    this.noted = [];
    return ids;
  }

  /**
   * The trades at `values[at]` (bind-ready TradeRow values, `at` in `offsets`) whose id is stored with other
   * contents, with both versions.
   */
  find(values: readonly unknown[], offsets: readonly number[]): TradeConflict[] {
    if (offsets.length === 0) return [];
    const params: unknown[] = new Array(offsets.length * (FIELDS.length + 1));
    let p = 0;
    for (const at of offsets) for (let f = 0; f <= FIELDS.length; f++) params[p++] = values[at + f];
    const out: TradeConflict[] = [];
    for (const r of this.statement(offsets.length).raw().all(params) as unknown[][]) {
      const kept: Record<string, string | null> = {};
      const received: Record<string, string | null> = {};
      FIELDS.forEach(([name], f) => {
        const a = r[1 + f];
        const b = r[1 + FIELDS.length + f];
        kept[name] = a === null || a === undefined ? null : String(a);
        received[name] = b === null || b === undefined ? null : String(b);
      });
      const differs = differingFields(kept, received);
      if (differs.length > 0)
        out.push({ id: r[0] as string, poolId: String(r[1 + FIELDS.length]), differs, kept, received });
    }
    return out;
  }

  private statement(n: number): Statement {
    let s = this.byCount.get(n);
    if (!s) {
      // The received values as a VALUES table whose columns carry the stored names (amounts: the exact text).
      const columns = FIELDS.map(([, c]) => exact(c));
      const row = `(${new Array(FIELDS.length + 1).fill('?').join(', ')})`;
      s = this.db.prepare(
        `WITH v(id, ${columns.join(', ')}) AS (VALUES ${new Array(n).fill(row).join(', ')})
         SELECT t.id, ${columns.map((c) => `t.${c}`).join(', ')}, ${columns.map((c) => `v.${c}`).join(', ')}
         FROM v JOIN trades t ON t.id = v.id WHERE ${differsSql('t', 'v')}`,
      );
      this.byCount.set(n, s);
    }
    return s;
  }
}
