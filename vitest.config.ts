import { defineConfig } from 'vitest/config';

// Tests run from TypeScript sources; tests that spawn gateway processes use the build in dist/
// (npm test builds first). Files run in parallel forks; each test file creates its own data
// directory, SQLite file or PostgreSQL schema and Redis key prefix, so they never share state.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 3,
    testTimeout: 30_000,
    // In CI only, a failed test runs once more: the suite drives real processes, Redis,
    // PostgreSQL and TLS on a 2-core machine, where scheduling can still upset a race that the
    // product handles (e.g. which of two correct end states a record reaches). A test that fails
    // twice fails the run; vitest lists every retried test, so flakiness stays visible.
    retry: process.env.CI ? 1 : 0,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
