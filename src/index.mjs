// The package's entry for plain Node 20, which cannot load TypeScript: src/index.ts runs from its esbuild bundle
// (bin/ts-entry.mjs, built on first import), and its values are re-exported here by name. Types come from
// dist/types (`npm run build:types`, run by `npm ci` / `npm pack`). test/package/library-entry.test.ts keeps the
// list below equal to what src/index.ts exports.
import { importTypeScript } from '../bin/ts-entry.mjs';

const lib = await importTypeScript(new URL('./index.ts', import.meta.url));

export const {
  LockOptimizedDatabaseManager,
  DirectDatabaseManager,
  WriterClient,
  CommitTimeoutError,
  GateClosedError,
  openWriterClient,
  linkTransferList,
  resolveDatabaseConfig,
  DEFAULT_DATABASE_CONFIG,
  BATCH_PRESETS,
  resolveBatchConfig,
  BatchProcessor,
  FLUSH_REASONS,
  TradeDataBatchProcessor,
  CircuitBreaker,
  CircuitBreakerError,
  BreakerStateView,
  DeferredQueue,
  DeferredQueueError,
  GeckoTerminalClient,
  SharedRateLimiter,
  startCollection,
  runCollection,
  startGeckoSimulator,
  GeckoCollectorError,
  ConfigError,
  StateError,
  DatabaseOpenError,
  DatabaseInUseError,
  WriteFailedError,
  WriterUnavailableError,
  BatchFailedError,
  isLockError,
  isRowLevelError,
  sqliteCodeOf,
} = lib;
