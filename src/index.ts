// The library's public surface: the write funnel and its rollback twin, batching, the breaker and deferred
// queue, the GeckoTerminal client, collection runs, the simulator for offline use, and the data out of the
// database (export, OHLCV candles).

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
export type { StoreOptions, StoreResult, TradeStore } from './batch/trade-store.ts';
export {
  BreakerStateView,
  CircuitBreaker,
  CircuitBreakerError,
  type CircuitBreakerOptions,
  type CircuitBreakerStats,
} from './breaker/circuit-breaker.ts';
export { BATCH_PRESETS, type BatchConfig, type BatchPresetName, resolveBatchConfig } from './config/batch-config.ts';
export { type DatabaseConfig, DEFAULT_DATABASE_CONFIG, resolveDatabaseConfig } from './config/database-config.ts';
export { DirectDatabaseManager, type DirectManagerOptions } from './direct/direct-manager.ts';
export * from './errors.ts';
export {
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportOptions,
  type ExportResult,
  exportTrades,
  UnknownPoolError,
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
export { GeckoAuthError } from './gecko/gecko-errors.ts';
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
export { FLUSH_REASONS, type FlushReason, type FlushReasonCounts } from './protocol/flush-reason.ts';
export type { LockContentionMetrics } from './protocol/lock-contention-metrics.ts';
export type { WritePayload, WriterLink } from './protocol/messages.ts';
export type { CursorUpdate, DexRecord, GapRecord, PoolRecord, TradeRecord } from './protocol/records.ts';
export { SharedRateLimiter, type SharedRateLimiterOptions } from './rate-limit/shared-rate-limiter.ts';
export {
  type CollectionHandle,
  type CollectionOptions,
  type CollectionSummary,
  type RunOutcome,
  runCollection,
  startCollection,
} from './run/collection-run.ts';
export { CommitTimeoutError, GateClosedError, WriterClient, type WriterClientOptions } from './sender/writer-client.ts';
export { linkTransferList, openWriterClient } from './sender/writer-link.ts';
export { type GeckoSimulator, type GeckoSimulatorOptions, startGeckoSimulator } from './sim/gecko-simulator.ts';
export type { SimTruthQuery, SimTruthReport } from './sim/sim-truth.ts';
export { DeferredQueue, DeferredQueueError, type DeferredQueueOptions } from './spool/deferred-queue.ts';
export type { TradeFilter } from './storage/trade-rows.ts';
