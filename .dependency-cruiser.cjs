// The import rules `npm run check` enforces (docs/architecture.md, "Layers"): no cycles; nothing imports a higher
// layer; the collector thread's closure holds no storage, writer or main-thread code; the ./sender entry stays
// light. Type-only imports count too: a layer's types are part of what it depends on.

/** Lowest first: a folder may import its own layer and the ones below, never one above. */
const LAYERS = [
  ['src/errors.ts', 'src/types'],
  ['src/protocol', 'src/config', 'src/trades'],
  ['src/common', 'src/logging'],
  ['src/rate-limit', 'src/gecko'],
  ['src/sim'],
  ['src/storage'],
  ['src/batch', 'src/sender'],
  ['src/collector'],
  ['src/writer'],
  ['src/breaker', 'src/spool', 'src/monitoring'],
  ['src/funnel', 'src/direct'],
  ['src/import'],
  ['src/export', 'src/ohlcv'],
  ['src/run', 'src/fill'],
  ['src/doctor'],
  ['src/cli'],
  ['src/index.ts', 'src/testing', 'workers'],
];

const esc = (p) => p.replace(/[.]/g, '\\.');
const pathsOf = (layer) => `^(${layer.map((p) => (p.endsWith('.ts') ? esc(p) : `${esc(p)}/`)).join('|')})`;

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${i}-imports-upward`,
  comment: `${layer.join(', ')} may not import a higher layer (${LAYERS.slice(i + 1)
    .flat()
    .join(', ')})`,
  severity: 'error',
  from: { path: pathsOf(layer) },
  to: { path: pathsOf(LAYERS.slice(i + 1).flat()) },
}));

/** What a collector thread must never load: storage, the writer, and main-thread code. */
const NOT_IN_COLLECTOR_THREAD =
  '^src/(storage|writer|funnel|breaker|spool|direct|run|cli|doctor|monitoring|export|import|ohlcv|fill|sim|testing)/|^src/index\\.ts$';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    ...upward,
    {
      name: 'collector-thread-closure',
      comment: 'the collector thread (workers/collector-thread.ts) loads no storage, writer or main-thread code',
      severity: 'error',
      from: { path: '^workers/collector-thread\\.ts$' },
      to: { path: NOT_IN_COLLECTOR_THREAD, reachable: true },
    },
    {
      name: 'sender-entry-light',
      comment: 'gecko-collector/sender loads the writer client and the protocol, not config, storage or the manager',
      severity: 'error',
      from: { path: '^src/sender/index\\.ts$' },
      // The TradeStore interface it implements is the one batch/ file it may see.
      to: {
        path: `${NOT_IN_COLLECTOR_THREAD}|^src/(config|gecko|collector)/|^src/batch/(?!trade-store\\.ts$)`,
        reachable: true,
      },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^(src|workers)/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
