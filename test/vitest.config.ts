import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** One suite for both packages; database tests share one embedded PostgreSQL started in globalSetup. */
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['test/**/*.test.ts', 'runtime/test/**/*.test.ts'],
    globalSetup: ['runtime/test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
  },
});
