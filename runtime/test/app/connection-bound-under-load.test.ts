/**
 * The per-instance bound holds with an application driving the pool: under
 * more concurrent requests than connections, PostgreSQL never sees more than
 * POOL_COUNT × (POOL_SIZE + MAX_OVERFLOW) + 1 (readiness) backends from the process.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApplicationFactory } from '../../src/app/application.js';
import { perInstanceConnections } from '../../src/contract/connection-bound.js';
import { createScratchDatabase } from '../support/test-database.js';
import { send, startHosted, type Hosted } from './app-fixture.js';

const DATABASE = `bound_${process.pid}`;

describe('the connection bound while an application saturates the pool', () => {
  let scratch: { url: string; close(): Promise<void> };
  let hosted: Hosted;
  beforeAll(async () => {
    scratch = await createScratchDatabase(inject('databaseUrl'), DATABASE);
    // Every request holds a connection for 20 ms, so 30 concurrent requests need far more than 6 connections.
    const app: ApplicationFactory =
      ({ pool }) =>
      async (_request, response) => {
        await pool.query('SELECT pg_sleep(0.02)');
        response.end('ok');
      };
    hosted = await startHosted(scratch.url, app, {
      POOL_SIZE: '2',
      POOL_COUNT: '2',
      MAX_OVERFLOW: '1',
      POOL_TIMEOUT: '30000',
    });
  });
  afterAll(async () => {
    await hosted?.stop();
    await scratch?.close();
  });

  it('never exceeds POOL_COUNT × (POOL_SIZE + MAX_OVERFLOW) + 1 backends, and does open its overflow', async () => {
    const bound = perInstanceConnections({ poolCount: 2, poolSize: 2, maxOverflow: 1 });
    expect(bound).toBe(7);
    const sampler = new pg.Client({
      connectionString: inject('databaseUrl'),
      application_name: 'bound-sampler',
    });
    await sampler.connect();
    let loading = true;
    let peak = 0;
    const samples = (async () => {
      while (loading) {
        const { rows } = await sampler.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'",
          [DATABASE],
        );
        peak = Math.max(peak, rows[0]?.n ?? 0);
      }
    })();
    const statuses: number[] = [];
    const worker = async (): Promise<void> => {
      for (let request = 0; request < 10; request += 1)
        statuses.push((await send(`${hosted.url}/work`)).status);
    };
    try {
      await Promise.all(Array.from({ length: 30 }, worker));
    } finally {
      loading = false;
      await samples;
      await sampler.end();
    }
    expect(statuses).toHaveLength(300);
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(peak).toBeLessThanOrEqual(bound);
    // The load did reach the bound's overflow part: more than the 4 persistent connections + readiness.
    expect(peak).toBeGreaterThan(5);
  });
});
