// The package's public names, written out: adding or removing one from an entry (a value or a type) must be a
// deliberate change of this list. Values are what the compiled entry exports at run time; types are the rest
// of what its declaration file re-exports.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/repo.ts';

const ENTRIES = {
  '.': {
    file: 'dist/src/index',
    values: [
      'BATCH_PRESETS',
      'BatchFailedError',
      'BatchProcessor',
      'COLLECTION_DEFAULTS',
      'CircuitBreaker',
      'CircuitBreakerError',
      'CollectionError',
      'CommitTimeoutError',
      'ConfigError',
      'DEFAULT_DATABASE_CONFIG',
      'DatabaseInUseError',
      'DatabaseOpenError',
      'DatabaseReadOnlyError',
      'DecimalTextError',
      'DeferredQueueError',
      'DirectDatabaseManager',
      'EXPORT_FORMATS',
      'ExportOptionError',
      'ForeignDatabaseError',
      'GECKO_API_BASE_URL',
      'GECKO_PRO_API_BASE_URL',
      'GateClosedError',
      'GeckoAuthError',
      'GeckoCollectorError',
      'GeckoHttpError',
      'GeckoNetworkError',
      'GeckoRedirectError',
      'GeckoRequestError',
      'GeckoResponseTooLargeError',
      'GeckoTerminalClient',
      'GeckoTerminalError',
      'GeckoThrottledError',
      'GeckoTimeoutError',
      'LeaseLostError',
      'LockOptimizedDatabaseManager',
      'MetricsFileError',
      'NotRegularFileError',
      'RowInvalidError',
      'SettingError',
      'SharedRateLimiter',
      'StateError',
      'StoredValueError',
      'TIMEFRAMES',
      'TimeframeError',
      'TradeDataBatchProcessor',
      'TradeFilterError',
      'TradeOrderError',
      'UnknownPoolError',
      'WriteFailedError',
      'WriterUnavailableError',
      'exportTrades',
      'linkTransferList',
      'ohlcvCandles',
      'resolveBatchConfig',
      'resolveDatabaseConfig',
      'runCollection',
      'startCollection',
      'startGeckoSimulator',
    ],
    types: [
      'ActiveAlert',
      'AlertThresholds',
      'BatchConfig',
      'BatchInfo',
      'BatchPresetName',
      'BatchProcessorOptions',
      'BatchProcessorStats',
      'Candle',
      'CircuitBreakerOptions',
      'CircuitBreakerStats',
      'CollectionFigures',
      'CollectionHandle',
      'CollectionOptions',
      'CollectionProgress',
      'CollectionSummary',
      'CollectorMetricsSnapshot',
      'CursorUpdate',
      'DatabaseConfig',
      'DexRecord',
      'DirectManagerOptions',
      'ExportFormat',
      'ExportOptions',
      'ExportResult',
      'FlushReason',
      'FunnelContentionMetrics',
      'FunnelStoreResult',
      'GapRecord',
      'GeckoClientOptions',
      'GeckoCollectorErrorCode',
      'GeckoSimulator',
      'GeckoSimulatorOptions',
      'HealthReport',
      'LockContentionMetrics',
      'LockOptimizedManagerOptions',
      'OhlcvOptions',
      'PoolFigures',
      'PoolRecord',
      'RunOutcome',
      'SharedRateLimiterOptions',
      'SimTruthQuery',
      'SimTruthReport',
      'SimulatorCheck',
      'StoreOptions',
      'StoreResult',
      'StoreTrades',
      'Timeframe',
      'TradeDataBatchProcessorOptions',
      'TradeDataBatchStats',
      'TradeFilter',
      'TradeRecord',
      'TradeStore',
      'WritePayload',
      'WriterLink',
    ],
  },
  './sender': {
    file: 'dist/src/sender/index',
    values: ['CommitTimeoutError', 'GateClosedError', 'WriterClient', 'linkTransferList', 'openWriterClient'],
    types: [
      'AckMessage',
      'CursorUpdate',
      'GapRecord',
      'RejectedRow',
      'TradeRecord',
      'WritePayload',
      'WriterClientOptions',
      'WriterLink',
    ],
  },
  './testing': {
    file: 'dist/src/testing/index',
    values: ['killWriter', 'readDatabase', 'setPageLimit', 'withWriterSlowdown'],
    types: [],
  },
} as const;

/**
 * Every name a declaration file exports (its `export { … } from`, `export type { … }` and declarations), and
 * through `export * from './x.js'` every name of x.d.ts.
 */
function declaredNames(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
  const names: string[] = [];
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      if (!statement.exportClause) {
        const from = (statement.moduleSpecifier as ts.StringLiteral).text;
        names.push(...declaredNames(path.resolve(path.dirname(file), from.replace(/\.[jt]s$/, '.d.ts'))));
        continue;
      }
      if (!ts.isNamedExports(statement.exportClause)) throw new Error(`${file}: \`export * as\` is not expected`);
      for (const element of statement.exportClause.elements) names.push(element.name.text);
    } else if (
      ts.canHaveModifiers(statement) &&
      ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) &&
      'name' in statement &&
      statement.name &&
      ts.isIdentifier(statement.name as ts.Node)
    ) {
      names.push((statement.name as ts.Identifier).text);
    }
  }
  return names.sort();
}

describe('the public names of each package entry', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    exports: Record<string, { default: string; types: string }>;
  };

  it('the package exports exactly these entries', () => {
    expect(Object.keys(pkg.exports).sort()).toEqual(Object.keys(ENTRIES).sort());
    for (const [entry, { file }] of Object.entries(ENTRIES)) {
      expect(pkg.exports[entry]).toEqual({ types: `./${file}.d.ts`, default: `./${file}.js` });
    }
  });

  for (const [entry, { file, values, types }] of Object.entries(ENTRIES)) {
    it(`${entry}: its values at run time, its types in the declarations`, async () => {
      const loaded = (await import(path.join(REPO_ROOT, `${file}.js`))) as Record<string, unknown>;
      expect(Object.keys(loaded).sort()).toEqual([...values].sort());
      for (const name of values) expect(loaded[name], name).toBeDefined();
      const declared = declaredNames(path.join(REPO_ROOT, `${file}.d.ts`));
      expect(declared.filter((n) => !(values as readonly string[]).includes(n))).toEqual([...types].sort());
    });
  }

  it('no internal helper is public: the error helpers, the breaker view, the spool class, the store alias', async () => {
    const main = (await import(path.join(REPO_ROOT, 'dist/src/index.js'))) as Record<string, unknown>;
    for (const internal of ['isLockError', 'sqliteCodeOf', 'isRowLevelError', 'BreakerStateView', 'DeferredQueue'])
      expect(main, internal).not.toHaveProperty(internal);
    const { LockOptimizedDatabaseManager, DirectDatabaseManager } = main as Record<string, { prototype: object }>;
    const methods = (c: { prototype: object }) => Object.getOwnPropertyNames(c.prototype);
    expect(methods(LockOptimizedDatabaseManager!)).toContain('storeTradeDataOptimized');
    expect(methods(LockOptimizedDatabaseManager!)).not.toContain('storeTrades');
    expect(methods(DirectDatabaseManager!)).toContain('storeTradeData');
    expect(methods(DirectDatabaseManager!)).not.toContain('storeTrades');
  });
});
