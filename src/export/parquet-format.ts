// The Parquet export: typed columns, written a row group at a time (hyparquet-writer) so memory holds one group,
// not the table. Every decimal is two columns, as in the database: a DOUBLE for arithmetic and its exact text in
// `<name>_exact` (the ~70-digit values fit no Parquet DECIMAL readers take); times are UTC TIMESTAMP(MICROS).

import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { StoredValueError, storedTimeMicros } from '../storage/stored-values.ts';
import type { ExportRow } from '../storage/trade-rows.ts';
import { TRADE_AMOUNT_COLUMNS } from '../trades/trade-columns.ts';
import type { OutputSink } from './output-sink.ts';

type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];

/** Rows per row group: the unit readers skip by, and what memory holds at once. */
export const PARQUET_ROW_GROUP = 10_000;

const text = (name: string, required = false): SchemaElement => ({
  name,
  type: 'BYTE_ARRAY',
  converted_type: 'UTF8',
  repetition_type: required ? 'REQUIRED' : 'OPTIONAL',
});
const double = (name: string): SchemaElement => ({ name, type: 'DOUBLE', repetition_type: 'OPTIONAL' });
const timestamp = (name: string): SchemaElement => ({
  name,
  type: 'INT64',
  repetition_type: 'OPTIONAL',
  converted_type: 'TIMESTAMP_MICROS',
  logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
});

const DECIMALS = TRADE_AMOUNT_COLUMNS;

/** The file's columns, in order. */
export const PARQUET_COLUMNS: readonly SchemaElement[] = [
  text('id', true),
  text('pool_id', true),
  { name: 'block_number', type: 'INT64', repetition_type: 'OPTIONAL' },
  text('tx_hash'),
  text('tx_from_address'),
  ...DECIMALS.flatMap((d) => [double(d), text(`${d}_exact`)]),
  text('side'),
  timestamp('block_timestamp'),
  timestamp('created_at'),
];

/** A ByteWriter that hands each finished row group to the sink (waiting on backpressure) and starts over. */
class SinkWriter extends ByteWriter {
  constructor(private readonly sink: OutputSink) {
    super(1 << 20);
  }

  flush(): Promise<void> {
    // Copied: the buffer is reused for the next row group while the stream may still hold this chunk.
    const chunk = new Uint8Array(this.buffer.slice(0, this.index));
    this.index = 0;
    return this.sink.bytes(chunk);
  }

  override finish(): Promise<void> {
    return this.flush();
  }
}

function micros(value: string | null, column: string, id: string): bigint | null {
  if (value === null) return null;
  const us = storedTimeMicros(value);
  if (us === undefined)
    throw new StoredValueError(`trade ${id}: ${column} ${JSON.stringify(value)} is not a stored time`);
  return us;
}

type Columns = { [name: string]: (string | number | bigint | null)[] };

function emptyColumns(): Columns {
  const c: Columns = {};
  for (const e of PARQUET_COLUMNS) c[e.name] = [];
  return c;
}

function addRow(c: Columns, r: ExportRow): void {
  c.id!.push(r.id);
  c.pool_id!.push(r.poolId);
  c.block_number!.push(r.blockNumber === null ? null : BigInt(r.blockNumber));
  c.tx_hash!.push(r.txHash);
  c.tx_from_address!.push(r.txFromAddress);
  const exact = [r.fromTokenAmount, r.toTokenAmount, r.priceUsd, r.volumeUsd];
  for (let i = 0; i < DECIMALS.length; i++) {
    const v = exact[i]!;
    c[DECIMALS[i]!]!.push(v === null ? null : Number(v));
    c[`${DECIMALS[i]}_exact`]!.push(v);
  }
  c.side!.push(r.side);
  c.block_timestamp!.push(micros(r.blockTimestamp, 'block_timestamp', r.id));
  c.created_at!.push(micros(r.createdAt, 'created_at', r.id));
}

export async function writeParquet(rows: AsyncIterable<ExportRow[]>, sink: OutputSink): Promise<number> {
  const writer = new ParquetWriter({
    writer: new SinkWriter(sink),
    schema: [{ name: 'trades', num_children: PARQUET_COLUMNS.length }, ...PARQUET_COLUMNS],
    createdBy: 'gecko-collector export (hyparquet-writer)',
  });
  let n = 0;
  let group = emptyColumns();
  let inGroup = 0;
  const writeGroup = async () => {
    const columnData = PARQUET_COLUMNS.map((e) => ({ name: e.name, data: group[e.name]! }));
    await writer.write({ columnData, rowGroupSize: inGroup });
    group = emptyColumns();
    inGroup = 0;
  };
  for await (const batch of rows) {
    for (const r of batch) {
      addRow(group, r);
      if (++inGroup === PARQUET_ROW_GROUP) await writeGroup();
    }
    n += batch.length;
  }
  if (inGroup > 0) await writeGroup();
  await writer.finish();
  return n;
}
