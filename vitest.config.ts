import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // better-sqlite3 is a native module: forks isolate it per test file.
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
