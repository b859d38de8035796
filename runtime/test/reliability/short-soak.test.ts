/**
 * The short soak in `npm test`: five seconds of random callers against the real
 * pool, with every invariant of `runSoak` checked throughout. The long form is
 * `npm run soak` (runtime/test/soak/run.ts).
 */
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { loadSettings } from '../../src/contract/index.js';
import { createScratchDatabase } from '../support/test-database.js';
import { recordFigures } from './support/figures.js';
import { runSoak } from './support/soak-engine.js';

describe('short soak', () => {
  let scratch: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    scratch = await createScratchDatabase(inject('databaseUrl'), 'reliability_short_soak');
  });
  afterAll(async () => {
    await scratch?.close();
  });

  it(
    'keeps every pool invariant through five seconds of random holds, ' +
      'client errors and discarded connections',
    async () => {
      const seed = Number(process.env.SOAK_SEED ?? Date.now() % 2_147_483_647);
      const settings = loadSettings({
        DATABASE_URL: scratch.url,
        POOL_SIZE: '4',
        POOL_COUNT: '2',
        MAX_OVERFLOW: '2',
        POOL_TIMEOUT: '5000',
        POOL_OVERFLOW_IDLE_MS: '100',
        POOL_IDLE_CHECK_MS: '50',
      });
      const report = await runSoak({
        settings,
        adminUrl: scratch.url,
        durationMillis: 5000,
        callers: 24,
        quiesceEveryMillis: 1000,
        seed,
        heapGrowthBoundBytes: 8 * 1024 * 1024,
        applicationName: 'reliability-short-soak',
      });
      recordFigures('short-soak', { ...report });
      expect({ seed, violations: report.violations }).toEqual({ seed, violations: [] });
      expect(report.quiescentChecks).toBeGreaterThanOrEqual(2);
      expect(report.provoked['division-by-zero']).toBeGreaterThan(0);
      expect(report.releasedWithError).toBeGreaterThan(0);
      expect(report.snapshotAtEnd).toMatchObject({ inUse: 0, waiting: 0, timeouts: 0 });
    },
  );
});
