// The shapes every import reader produces and the runner consumes: one item per input record, either a
// candidate trade (validated later, in one place) or a record that could not even be parsed.

export type ImportFormat = 'csv' | 'ndjson' | 'jsonapi' | 'parquet';

export const IMPORT_FORMATS: readonly ImportFormat[] = ['csv', 'ndjson', 'jsonapi', 'parquet'];

/** Where a record came from: a 1-based file line (CSV, NDJSON), a JSON path (`data[12]`, JSON:API) or a row (Parquet). */
export interface SourceLocation {
  /** 1-based line of the file where the record starts; null when the format has no meaningful line. */
  line: number | null;
  /** Human form: `line 12` or `data[12]`. */
  at: string;
}

export type ImportItem =
  /** A TradeRecord-shaped object, not yet validated. */
  | { kind: 'record'; location: SourceLocation; candidate: Record<string, unknown> }
  /** The record could not be parsed at all (bad quoting, wrong column count, not JSON...). */
  | { kind: 'unparsable'; location: SourceLocation; id: string; reason: string };

export interface ImportReject {
  line: number | null;
  at: string;
  /** The trade id when one could be read, else `?`. */
  id: string;
  reason: string;
}

export interface ImportSummary {
  /** Records read from the file (stored, duplicate or rejected). */
  records: number;
  imported: number;
  duplicates: number;
  /** Trades acknowledged into the durable deferred queue (database unavailable): written when it recovers. */
  deferred: number;
  /** Count of every rejected record (also those beyond the detail limit). */
  rejected: number;
  /** Rejected records in file order, up to the detail limit. */
  rejects: ImportReject[];
  /** Rejected records not listed in `rejects` (beyond the limit, to keep memory bounded). */
  rejectsOmitted: number;
  /** Batches acknowledged (committed or deferred). */
  batches: number;
}

export function lineLocation(line: number): SourceLocation {
  return { line, at: `line ${line}` };
}

export const UNKNOWN_ID = '?';
