// The library's public surface: the write funnel and its rollback twin, batching, the breaker and deferred
// queue, the GeckoTerminal client, collection runs, and the simulator for offline use.

export { LockOptimizedDatabaseManager, type LockOptimizedManagerOptions, type FunnelStoreResult, type FunnelContentionMetrics } from './db/lock-optimized-manager.ts';
export { DirectDatabaseManager, type DirectManagerOptions } from './db/direct-manager.ts';
export type { TradeStore, StoreResult, StoreOptions } from './db/trade-store.ts';
export type { LockContentionMetrics } from './db/lock-contention-metrics.ts';
export { WriterClient, CommitTimeoutError, GateClosedError, type WriterClientOptions, type WritePayload } from './db/writer-client.ts';
export { openWriterClient, linkTransferList, type WriterLink } from './db/writer-link.ts';
export { resolveDatabaseConfig, DEFAULT_DATABASE_CONFIG, type DatabaseConfig } from './config/database-config.ts';
export { BATCH_PRESETS, resolveBatchConfig, type BatchConfig, type BatchPresetName } from './config/batch-config.ts';
export { BatchProcessor, type BatchProcessorOptions, type BatchProcessorStats, type BatchInfo } from './batch/batch-processor.ts';
export { FLUSH_REASONS, type FlushReason, type FlushReasonCounts } from './batch/flush-reason.ts';
export { TradeDataBatchProcessor, type TradeDataBatchProcessorOptions, type TradeDataBatchStats } from './batch/trade-data-batch-processor.ts';
export { CircuitBreaker, CircuitBreakerError, BreakerStateView, type CircuitBreakerOptions, type CircuitBreakerStats } from './breaker/circuit-breaker.ts';
export { DeferredQueue, DeferredQueueError, type DeferredQueueOptions } from './deferred/deferred-queue.ts';
export { GeckoTerminalClient, type GeckoClientOptions } from './gecko/gecko-client.ts';
export { SharedRateLimiter, type SharedRateLimiterOptions } from './rate-limit/shared-rate-limiter.ts';
export { startCollection, runCollection, type CollectionOptions, type CollectionSummary, type CollectionHandle } from './collect/collection-run.ts';
export { startGeckoSimulator, type GeckoSimulator, type GeckoSimulatorOptions } from './sim/gecko-simulator.ts';
export type { CollectorMetricsSnapshot, AlertThresholds, ActiveAlert } from './monitoring/metrics-snapshot.ts';
export type { TradeRecord, PoolRecord, DexRecord, CursorUpdate, GapRecord } from './trade-record.ts';
export * from './errors.ts';
