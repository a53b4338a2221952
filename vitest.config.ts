import { defineConfig } from 'vitest/config';

// Tests run compiled (dist/test, built by `npm test` first), like everything else: the threads they start
// are the package's own compiled entry files.
export default defineConfig({
  test: {
    // better-sqlite3 is a native module: forks isolate it per test file.
    pool: 'forks',
    include: ['dist/test/**/*.test.js'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
