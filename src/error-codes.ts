// The `code` of every error the library raises, as one union type: callers switch on it without importing the
// classes. Types only: nothing here runs.

import type { NotRegularFileError } from './config/regular-file.ts';
import type { SettingError } from './config/setting-error.ts';
import type {
  BatchFailedError,
  ConfigError,
  DatabaseInUseError,
  DatabaseOpenError,
  DatabaseReadOnlyError,
  ForeignDatabaseError,
  LeaseLostError,
  StateError,
  WriteFailedError,
  WriterUnavailableError,
} from './errors.ts';
import type { ExportOptionError, UnknownPoolError } from './export/export-trades.ts';
import type { TradeFilterError } from './export/trade-filter.ts';
import type {
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
import type { TimeframeError } from './gecko/timeframes.ts';
import type { TradeOrderError } from './ohlcv/candle-builder.ts';
import type { DecimalTextError } from './ohlcv/exact-decimal.ts';
import type { CircuitBreakerError } from './protocol/circuit-breaker-error.ts';
import type { CollectionError } from './run/collection-error.ts';
import type { MetricsFileError } from './run/metrics-file.ts';
import type { CommitTimeoutError, GateClosedError } from './sender/writer-client.ts';
import type { DeferredQueueError } from './spool/deferred-errors.ts';
import type { StoredValueError } from './storage/stored-values.ts';
import type { RowInvalidError } from './trades/trade-validation.ts';

export type GeckoCollectorErrorCode = (
  | BatchFailedError
  | CircuitBreakerError
  | CollectionError
  | CommitTimeoutError
  | ConfigError
  | DatabaseInUseError
  | DatabaseOpenError
  | DatabaseReadOnlyError
  | DecimalTextError
  | DeferredQueueError
  | ExportOptionError
  | ForeignDatabaseError
  | GateClosedError
  | GeckoAuthError
  | GeckoHttpError
  | GeckoNetworkError
  | GeckoRedirectError
  | GeckoRequestError
  | GeckoResponseTooLargeError
  | GeckoTerminalError
  | GeckoThrottledError
  | GeckoTimeoutError
  | LeaseLostError
  | MetricsFileError
  | NotRegularFileError
  | RowInvalidError
  | SettingError
  | StateError
  | StoredValueError
  | TimeframeError
  | TradeFilterError
  | TradeOrderError
  | UnknownPoolError
  | WriteFailedError
  | WriterUnavailableError
)['code'];
