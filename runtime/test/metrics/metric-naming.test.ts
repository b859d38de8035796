import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHealthServer, type HealthServer } from '../../src/health/health-server.js';
import { createPoolMetrics, GUIDE_NAMING_EXCEPTIONS } from '../../src/metrics/pool-metrics.js';
import { createPool } from '../../src/pool/create-pool.js';
import type { ClientAtsPool } from '../../src/pool/pool-types.js';
import { testSettings } from '../support/health-fixture.js';
import { HAS_PROMTOOL, PROMTOOL_SKIP_REASON, promtool } from './promtool.js';

describe.skipIf(!HAS_PROMTOOL)(
  `/metrics naming, checked by promtool check metrics${PROMTOOL_SKIP_REASON}`,
  () => {
    const settings = testSettings(inject('databaseUrl'), {
      POOL_SIZE: '2',
      POOL_COUNT: '2',
      MAX_OVERFLOW: '1',
    });
    let pool: ClientAtsPool;
    let server: HealthServer;
    let text: string;

    beforeAll(async () => {
      const metrics = createPoolMetrics();
      pool = createPool(settings, { observer: metrics.observer });
      await pool.ready;
      server = await createHealthServer({ pool, settings, metrics, port: 0, host: '127.0.0.1' });
      await server.checkReadiness();
      // Every family has samples: queries, a failed one, and churn.
      await pool.query('SELECT 1');
      await pool.query('SELECT 1/0').catch(() => undefined);
      text = await (await fetch(`${server.url}/metrics`)).text();
    });
    afterAll(async () => {
      await server?.shutdown();
    });

    it("finds nothing but the guide's two millisecond names, the documented exceptions", () => {
      const result = promtool(['check', 'metrics'], text);
      const problems = `${result.stdout}${result.stderr}`
        .trim()
        .split('\n')
        .filter((line) => line !== '')
        .sort();
      expect(problems).toEqual(
        GUIDE_NAMING_EXCEPTIONS.map((name) => `${name} metric names should not contain abbreviated units`),
      );
      expect(text).toMatch(/^db_readiness_healthy [01]$/m);
    });

    it('fails when a name breaks Prometheus naming (the check can fail)', () => {
      const bad =
        '# HELP things_in_use_total in use\n# TYPE things_in_use_total gauge\nthings_in_use_total 1\n';
      const result = promtool(['check', 'metrics'], bad);
      expect(result.status).not.toBe(0);
      expect(`${result.stdout}${result.stderr}`).toContain(
        'things_in_use_total non-counter metrics should not have "_total" suffix',
      );
    });
  },
);
