// Each TradeRecord field with the trades column that holds it, in TradeRow order (the validated values' order).

export const TRADE_FIELD_COLUMNS = [
  ['id', 'id'],
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

export type TradeRowColumn = (typeof TRADE_FIELD_COLUMNS)[number][1];

/** The trades columns of a TradeRow, in its order (also the Python collector's CSV export columns). */
export const TRADE_ROW_COLUMNS: readonly TradeRowColumn[] = TRADE_FIELD_COLUMNS.map(([, column]) => column);

/** The four amounts: decimal text in a TradeRow, numbers (and, on SQLite, exact text beside them) when stored. */
export const TRADE_AMOUNT_COLUMNS = [
  'from_token_amount',
  'to_token_amount',
  'price_usd',
  'volume_usd',
] as const satisfies readonly TradeRowColumn[];
