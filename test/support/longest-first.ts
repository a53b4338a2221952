// The suite's file order: longest first, so no long file starts last and makes the tail. Vitest orders by the
// durations it cached from the last run; a fresh clone (CI) has none, and vitest's fallback (larger files first)
// starts the slowest file, a short one, near the end. Then the files known to be slow go first, in this order.
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// Slowest first, from a GECKO_TEST_TIMES run (test/support/file-times.ts); a stale entry only costs order.
const SLOWEST = [
  'integration/bench/completeness-smoke',
  'integration/postgres/multi-process',
  'integration/package/installed-package',
  'integration/postgres/pg-faults',
  'integration/postgres/pg-cli',
  'integration/cli/status-command',
  'integration/faults/writer-faults',
  'integration/run/truth-completeness',
  'integration/fill/collect-gap-fill',
  'integration/bench/pg-compare-smoke',
  'integration/postgres/lease-fence',
  'integration/cli/hostile-api',
  'integration/run/adaptive-schedule',
  'integration/cli/output-width',
  'integration/storage/poisoned-cursors',
  'integration/cli/collect-service',
  'integration/rollback/rollback-switches',
  'integration/crash/crash-loop',
  'integration/cli/start-checks',
  'integration/storage/storage-faults',
  'integration/run/resumed-rate',
  'integration/storage/spooled-run',
  'integration/cli/hostile-api-key',
  'integration/sim/sim-ground-truth',
  'integration/monitoring/status-page',
  'integration/funnel/sqlite-cli-reader',
  'integration/retention/prune',
  'integration/bench/funnel-vs-direct-load',
  'integration/postgres/pg-writer',
  'integration/examples/examples',
  'integration/storage/refused-files',
  'integration/logging/thread-logging',
  'integration/schema/legacy-models',
  'integration/examples/service-example',
];

/** `integration/cli/hostile-api` for dist/test/integration/cli/hostile-api.test.js. */
function stem(file: string): string {
  return file.replace(/^.*\/dist\/test\//, '').replace(/\.test\.js$/, '');
}

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const timed = files.every((f) =>
      this.ctx.cache.getFileTestResults(`${f.project.name}:${path.relative(root, f.moduleId)}`),
    );
    if (timed) return sorted;
    const rank = (f: TestSpecification) => {
      const i = SLOWEST.indexOf(stem(f.moduleId));
      return i < 0 ? SLOWEST.length : i;
    };
    // A stable sort: the unlisted files keep vitest's order after the listed ones.
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map(({ f }) => f);
  }
}
