import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/support/longest-first.ts';

// Integration files that set process.env or process.chdir in the test process.
const OWN_PROCESS = [
  'dist/test/integration/cli/collect-service.test.js',
  'dist/test/integration/export/pg-export.test.js',
  'dist/test/integration/fill/backfill.test.js',
  'dist/test/integration/postgres/multi-process.test.js',
  'dist/test/integration/postgres/pg-cli.test.js',
];

// Tests run compiled (dist/test, built by `npm test` first), like everything else: the threads they start
// are the package's own compiled entry files.
export default defineConfig({
  test: {
    // better-sqlite3 is a native module: processes (forks), not worker threads, for the integration files.
    pool: 'forks',
    // Most integration files wait on threads, processes and timers rather than compute: two files at a time
    // keep both cores busy (vitest's default, cores - 1, runs one at a time on two cores).
    maxWorkers: 2,
    sequence: { sequencer: LongestFirstSequencer },
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // GECKO_TEST_TIMES=<file> appends each file's wall and CPU time there (test/support/file-times.ts).
    // file-end-hook runs the support modules' cleanups (temp dirs, schemas, clusters) after each file.
    setupFiles: ['dist/test/support/file-times.js', 'dist/test/support/file-end-hook.js'],
    projects: [
      {
        extends: true,
        test: {
          // No threads, processes or servers (test/support/unit-guard.ts refuses them): `npm run test:unit`.
          // Nothing here needs a process of its own, and a worker thread per file starts in half the time.
          name: 'unit',
          include: ['dist/test/unit/**/*.test.js'],
          pool: 'threads',
          // Pure code on fake clocks: one module graph per worker for all files, instead of a fresh one per file
          // (loading it again for each file took most of the project's time).
          isolate: false,
          setupFiles: ['dist/test/support/unit-guard.js'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['dist/test/**/*.test.js'],
          exclude: ['dist/test/unit/**', ...OWN_PROCESS],
          // The files of a worker share its process and module graph instead of a fresh fork each (starting one
          // and loading the modules again took about a second per file); each file's cleanups run at its end.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          // Files that change the process itself (process.env, the working directory): a fresh one each.
          name: 'integration-own-process',
          include: OWN_PROCESS,
        },
      },
    ],
  },
});
