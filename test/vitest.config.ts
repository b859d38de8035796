import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The workspace's packages resolve to their TypeScript sources in tests (the `clientats-source`
 * export condition); installed packages resolve to build/. Vite's server defaults follow it.
 */
const SOURCE_CONDITIONS = ['clientats-source', 'module', 'node', 'development|production'];

/** One suite for both packages; database tests share one embedded PostgreSQL started in globalSetup. */
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  resolve: { conditions: SOURCE_CONDITIONS },
  ssr: { resolve: { conditions: SOURCE_CONDITIONS, externalConditions: ['clientats-source'] } },
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
