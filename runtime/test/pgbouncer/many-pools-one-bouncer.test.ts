/**
 * The headline: 20 runtime pools of POOL_SIZE 10 (200 client
 * connections, what 20 pods would open) share one PgBouncer with
 * `default_pool_size` 10 and `reserve_pool_size` 2. PostgreSQL never sees
 * more than 12 backends of the role (sampled in `pg_stat_activity` all
 * through the load), and every query is answered.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadSettings } from '../../src/contract/index.js';
import { createPool } from '../../src/pool/create-pool.js';
import type { ClientAtsPool } from '../../src/pool/pool-types.js';
import { recordFigures } from '../reliability/support/figures.js';
import {
  createBouncerRole,
  hasPgbouncer,
  PGBOUNCER_SKIP_REASON,
  serverBackendsOf,
  startPgbouncer,
  type BouncerRole,
  type TestPgbouncer,
} from '../support/pgbouncer.js';

const POOLS = 20;
const POOL_SIZE = 10;
const DEFAULT_POOL_SIZE = 10;
const RESERVE_POOL_SIZE = 2;
const QUERIES_PER_POOL = 60;

describe.skipIf(!hasPgbouncer)(`20 runtime pools of 10 through one PgBouncer${PGBOUNCER_SKIP_REASON}`, () => {
  const adminUrl = inject('databaseUrl');
  let role: BouncerRole;
  let bouncer: TestPgbouncer;
  beforeAll(async () => {
    role = await createBouncerRole(adminUrl, 'bouncer_many_pools');
    bouncer = await startPgbouncer({
      serverUrl: role.url,
      defaultPoolSize: DEFAULT_POOL_SIZE,
      reservePoolSize: RESERVE_POOL_SIZE,
      reservePoolTimeoutSeconds: 1,
      maxClientConn: 250,
    });
  });
  afterAll(async () => {
    await bouncer?.close();
    await role?.close();
  });

  it('keeps PostgreSQL at <= 10 + 2 reserve backends for 200 client connections and answers every query', async () => {
    const settings = loadSettings({
      DATABASE_URL: bouncer.url,
      DATABASE_POOLER: 'pgbouncer',
      POOL_SIZE: String(POOL_SIZE),
      POOL_TIMEOUT: '30000',
    });
    const pools: ClientAtsPool[] = Array.from({ length: POOLS }, (_, index) =>
      createPool(settings, { applicationName: `pod-${index}` }),
    );
    const samples: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      // Bounded: the load takes seconds; 2,000 samples at ~10 ms each is far past it.
      for (let sample = 0; sample < 2000 && sampling; sample += 1)
        samples.push(await serverBackendsOf(adminUrl, role.name));
    })();
    try {
      await Promise.all(pools.map((pool) => pool.ready));
      expect(pools.reduce((sum, pool) => sum + pool.totalCount, 0)).toBe(POOLS * POOL_SIZE);
      const answers = await Promise.all(
        pools.flatMap((pool, poolIndex) =>
          Array.from({ length: QUERIES_PER_POOL }, (_, query) =>
            pool
              .query<{ pod: number; query: number }>(
                'SELECT $1::int AS pod, $2::int AS query, pg_sleep(0.002)',
                [poolIndex, query],
              )
              .then((result) => result.rows[0]!),
          ),
        ),
      );
      expect(answers).toHaveLength(POOLS * QUERIES_PER_POOL);
      expect(new Set(answers.map((row) => `${row.pod}/${row.query}`)).size).toBe(POOLS * QUERIES_PER_POOL);
    } finally {
      sampling = false;
      await sampler;
      await Promise.all(pools.map((pool) => pool.end({ drainMillis: 1000 })));
    }
    recordFigures('pgbouncer-many-pools', {
      clientConnections: POOLS * POOL_SIZE,
      samples: samples.length,
      peakServerBackends: Math.max(...samples),
    });
    expect(samples.length).toBeGreaterThan(0);
    expect(Math.max(...samples)).toBeGreaterThan(0);
    expect(Math.max(...samples)).toBeLessThanOrEqual(DEFAULT_POOL_SIZE + RESERVE_POOL_SIZE);
  });
});
