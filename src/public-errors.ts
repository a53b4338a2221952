// Every error class the library raises, as the main entry exports them: each a GeckoCollectorError with a
// stable `code` (error-codes.ts derives the union of the codes from this list).

export { NotRegularFileError } from './config/regular-file.ts';
export { SettingError } from './config/setting-error.ts';
export {
  BatchFailedError,
  ConfigError,
  DatabaseInUseError,
  DatabaseOpenError,
  DatabaseReadOnlyError,
  ForeignDatabaseError,
  GeckoCollectorError,
  LeaseLostError,
  StateError,
  WriteFailedError,
  WriterUnavailableError,
} from './errors.ts';
export { ExportOptionError, UnknownPoolError } from './export/export-trades.ts';
export { TradeFilterError } from './export/trade-filter.ts';
export {
  GeckoAuthError,
  GeckoHttpError,
  GeckoNetworkError,
  GeckoRedirectError,
  GeckoRequestError,
  GeckoResponseTooLargeError,
  GeckoTerminalError,
  GeckoThrottledError,
  GeckoTimeoutError,
} from './gecko/gecko-errors.ts';
export { TimeframeError } from './gecko/timeframes.ts';
export { TradeOrderError } from './ohlcv/candle-builder.ts';
export { DecimalTextError } from './ohlcv/exact-decimal.ts';
export { CircuitBreakerError } from './protocol/circuit-breaker-error.ts';
export { CollectionError } from './run/collection-error.ts';
export { MetricsFileError } from './run/metrics-file.ts';
export { CommitTimeoutError, GateClosedError } from './sender/writer-client.ts';
export { DeferredQueueError } from './spool/deferred-errors.ts';
export { StoredValueError } from './storage/stored-values.ts';
export { RowInvalidError } from './trades/trade-validation.ts';
