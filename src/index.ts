// The library's public surface (the `gecko-collector` entry): collection runs, the write funnel and its rollback
// twin under the names of the Python collector they replace, batching and the breaker, the GeckoTerminal client
// and the simulator, the data out of the database (export, OHLCV candles), and every error with its code.
// Internals stay out; senders in worker threads import `gecko-collector/sender`, test drills
// `gecko-collector/testing`. Every error class is in public-errors.ts, and GeckoCollectorErrorCode (error-codes.ts)
// lists their codes. test/unit/package/public-names.test.ts pins the names.

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
export { DirectDatabaseManager, type DirectManagerOptions } from './direct/direct-manager.ts';
export type { GeckoCollectorErrorCode } from './error-codes.ts';
export {
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportOptions,
  type ExportResult,
  exportTrades,
} from './export/export-trades.ts';
export {
  type FunnelContentionMetrics,
  type FunnelStoreResult,
  LockOptimizedDatabaseManager,
  type LockOptimizedManagerOptions,
} from './funnel/lock-optimized-manager.ts';
export {
  GECKO_API_BASE_URL,
  GECKO_PRO_API_BASE_URL,
  type GeckoClientOptions,
  GeckoTerminalClient,
} from './gecko/gecko-client.ts';
export { TIMEFRAMES, type Timeframe } from './gecko/timeframes.ts';
export type { HealthReport } from './monitoring/health.ts';
export type {
  ActiveAlert,
  AlertThresholds,
  CollectionFigures,
  CollectorMetricsSnapshot,
  PoolFigures,
} from './monitoring/metrics-snapshot.ts';
export type { Candle } from './ohlcv/candle-builder.ts';
export { type OhlcvOptions, ohlcvCandles } from './ohlcv/ohlcv-candles.ts';
export type { FlushReason } from './protocol/flush-reason.ts';
export type { LockContentionMetrics } from './protocol/lock-contention-metrics.ts';
export type { WritePayload, WriterLink } from './protocol/messages.ts';
export type { CursorUpdate, DexRecord, GapRecord, PoolRecord, TradeRecord } from './protocol/records.ts';
export * from './public-errors.ts';
export { SharedRateLimiter, type SharedRateLimiterOptions } from './rate-limit/shared-rate-limiter.ts';
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
export { linkTransferList } from './sender/writer-link.ts';
export { type GeckoSimulator, type GeckoSimulatorOptions, startGeckoSimulator } from './sim/gecko-simulator.ts';
export type { SimTruthQuery, SimTruthReport } from './sim/sim-truth.ts';
export type { TradeFilter } from './storage/trade-rows.ts';
