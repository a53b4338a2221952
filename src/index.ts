// The library's public surface (the `gecko-collector` entry): collection runs, the write funnel and its rollback
// twin under the names of the Python collector they replace, batching and the breaker, the GeckoTerminal client
// and the simulator, the data out of the database (export, OHLCV candles), and every error with its code.
// Internals stay out; senders in worker threads import `gecko-collector/sender`, test drills
// `gecko-collector/testing`. test/unit/package/public-names.test.ts pins this list.

export {
  type BatchInfo,
  BatchProcessor,
  type BatchProcessorOptions,
  type BatchProcessorStats,
} from './batch/batch-processor.ts';
export {
  TradeDataBatchProcessor,
  type TradeDataBatchProcessorOptions,
  type TradeDataBatchStats,
} from './batch/trade-data-batch-processor.ts';
export type { StoreOptions, StoreResult, StoreTrades, TradeStore } from './batch/trade-store.ts';
export { CircuitBreaker, type CircuitBreakerOptions, type CircuitBreakerStats } from './breaker/circuit-breaker.ts';
export { BATCH_PRESETS, type BatchConfig, type BatchPresetName, resolveBatchConfig } from './config/batch-config.ts';
export { type DatabaseConfig, DEFAULT_DATABASE_CONFIG, resolveDatabaseConfig } from './config/database-config.ts';
export { NotRegularFileError } from './config/regular-file.ts';
export { SettingError } from './config/setting-error.ts';
export { DirectDatabaseManager, type DirectManagerOptions } from './direct/direct-manager.ts';
// Errors: every one a GeckoCollectorError with a stable `code` (GeckoCollectorErrorCode lists them).
export type { GeckoCollectorErrorCode } from './error-codes.ts';
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
// Data out: export and OHLCV candles.
export {
  EXPORT_FORMATS,
  type ExportFormat,
  ExportOptionError,
  type ExportOptions,
  type ExportResult,
  exportTrades,
  UnknownPoolError,
} from './export/export-trades.ts';
export { TradeFilterError } from './export/trade-filter.ts';
// The managers, the batch processor and the breaker.
export {
  type FunnelContentionMetrics,
  type FunnelStoreResult,
  LockOptimizedDatabaseManager,
  type LockOptimizedManagerOptions,
} from './funnel/lock-optimized-manager.ts';
// The API: the client, its shared rate limit, the simulator.
export {
  GECKO_API_BASE_URL,
  GECKO_PRO_API_BASE_URL,
  type GeckoClientOptions,
  GeckoTerminalClient,
} from './gecko/gecko-client.ts';
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
export { TIMEFRAMES, type Timeframe, TimeframeError } from './gecko/timeframes.ts';
export type { HealthReport } from './monitoring/health.ts';
export type {
  ActiveAlert,
  AlertThresholds,
  CollectionFigures,
  CollectorMetricsSnapshot,
  PoolFigures,
} from './monitoring/metrics-snapshot.ts';
export type { Candle } from './ohlcv/candle-builder.ts';
export { TradeOrderError } from './ohlcv/candle-builder.ts';
export { DecimalTextError } from './ohlcv/exact-decimal.ts';
export { type OhlcvOptions, ohlcvCandles } from './ohlcv/ohlcv-candles.ts';
export { CircuitBreakerError } from './protocol/circuit-breaker-error.ts';
export type { FlushReason } from './protocol/flush-reason.ts';
export type { LockContentionMetrics } from './protocol/lock-contention-metrics.ts';
export type { WritePayload, WriterLink } from './protocol/messages.ts';
export type { CursorUpdate, DexRecord, GapRecord, PoolRecord, TradeRecord } from './protocol/records.ts';
export { SharedRateLimiter, type SharedRateLimiterOptions } from './rate-limit/shared-rate-limiter.ts';
export { CollectionError } from './run/collection-error.ts';
// Collection runs.
export {
  COLLECTION_DEFAULTS,
  type CollectionHandle,
  type CollectionOptions,
  type CollectionProgress,
  type CollectionSummary,
  type RunOutcome,
  runCollection,
  type SimulatorCheck,
  startCollection,
} from './run/collection-run.ts';
export { MetricsFileError } from './run/metrics-file.ts';
export { CommitTimeoutError, GateClosedError } from './sender/writer-client.ts';
export { linkTransferList } from './sender/writer-link.ts';
export { type GeckoSimulator, type GeckoSimulatorOptions, startGeckoSimulator } from './sim/gecko-simulator.ts';
export type { SimTruthQuery, SimTruthReport } from './sim/sim-truth.ts';
export { DeferredQueueError } from './spool/deferred-errors.ts';
export { StoredValueError } from './storage/stored-values.ts';
export type { TradeFilter } from './storage/trade-rows.ts';
export { RowInvalidError } from './trades/trade-validation.ts';
