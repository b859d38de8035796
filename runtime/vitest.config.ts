import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The workspace's packages resolve to their TypeScript sources in tests (the `clientats-source`
 * export condition); installed packages resolve to build/. Vite's server defaults follow it.
 */
export const SOURCE_CONDITIONS = ['clientats-source', 'module', 'node', 'development|production'];

/** Runs the files that match `include` (relative to `root`) with the source conditions. */
export function suiteConfig(root: URL, include: string[]) {
  return defineConfig({
    root: fileURLToPath(root),
    resolve: { conditions: SOURCE_CONDITIONS },
    ssr: { resolve: { conditions: SOURCE_CONDITIONS, externalConditions: ['clientats-source'] } },
    test: {
      include,
      // Database tests share one embedded PostgreSQL (or DATABASE_URL), started once per run.
      globalSetup: [fileURLToPath(new URL('test/support/global-setup.ts', import.meta.url))],
      testTimeout: 60_000,
      hookTimeout: 120_000,
      pool: 'forks',
      maxWorkers: 2,
      fileParallelism: true,
    },
  });
}

/** The runtime's own suite (`npm test -w clientats-runtime`); the root's `npm test` runs it with the generator's. */
export default suiteConfig(new URL('.', import.meta.url), ['test/**/*.test.ts']);
