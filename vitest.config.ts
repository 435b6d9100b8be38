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
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
