// The library's public surface: the write funnel and its rollback twin, batching, the breaker and deferred
// queue, the GeckoTerminal client, collection runs, and the simulator for offline use.

export { LockOptimizedDatabaseManager, type LockOptimizedManagerOptions, type FunnelStoreResult, type FunnelContentionMetrics } from './funnel/lock-optimized-manager.ts';
export { DirectDatabaseManager, type DirectManagerOptions } from './direct/direct-manager.ts';
export type { TradeStore, StoreResult, StoreOptions } from './batch/trade-store.ts';
export type { LockContentionMetrics } from './protocol/lock-contention-metrics.ts';
export { WriterClient, CommitTimeoutError, GateClosedError, type WriterClientOptions } from './sender/writer-client.ts';
export { openWriterClient, linkTransferList } from './sender/writer-link.ts';
export type { WriterLink, WritePayload } from './protocol/messages.ts';
export { resolveDatabaseConfig, DEFAULT_DATABASE_CONFIG, type DatabaseConfig } from './config/database-config.ts';
export { BATCH_PRESETS, resolveBatchConfig, type BatchConfig, type BatchPresetName } from './config/batch-config.ts';
export { BatchProcessor, type BatchProcessorOptions, type BatchProcessorStats, type BatchInfo } from './batch/batch-processor.ts';
export { FLUSH_REASONS, type FlushReason, type FlushReasonCounts } from './protocol/flush-reason.ts';
export { TradeDataBatchProcessor, type TradeDataBatchProcessorOptions, type TradeDataBatchStats } from './batch/trade-data-batch-processor.ts';
export { CircuitBreaker, CircuitBreakerError, BreakerStateView, type CircuitBreakerOptions, type CircuitBreakerStats } from './breaker/circuit-breaker.ts';
export { DeferredQueue, DeferredQueueError, type DeferredQueueOptions } from './spool/deferred-queue.ts';
export { GeckoTerminalClient, type GeckoClientOptions } from './gecko/gecko-client.ts';
export { SharedRateLimiter, type SharedRateLimiterOptions } from './rate-limit/shared-rate-limiter.ts';
export { startCollection, runCollection, type CollectionOptions, type CollectionSummary, type CollectionHandle } from './run/collection-run.ts';
export { startGeckoSimulator, type GeckoSimulator, type GeckoSimulatorOptions } from './sim/gecko-simulator.ts';
export type { CollectorMetricsSnapshot, AlertThresholds, ActiveAlert } from './monitoring/metrics-snapshot.ts';
export type { TradeRecord, PoolRecord, DexRecord, CursorUpdate, GapRecord } from './protocol/records.ts';
export * from './errors.ts';
