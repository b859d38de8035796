import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealthServer, type HealthServer } from '../../src/health/health-server.js';
import { createPool } from '../../src/pool/create-pool.js';
import { eventually, recordingLogger, testSettings } from '../support/health-fixture.js';
import { startTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('readiness while PostgreSQL goes away and comes back', () => {
  let database: TestDatabase;
  let server: HealthServer;
  const logger = recordingLogger();
  const settings = {
    READINESS_INTERVAL_MS: '100',
    READINESS_TIMEOUT_MS: '500',
    HEALTH_CHECK_TOKEN: 'outage-token',
  };

  beforeAll(async () => {
    database = await startTestDatabase();
    const resolved = testSettings(database.url, { POOL_SIZE: '1', ...settings });
    const pool = createPool(resolved);
    await pool.ready;
    server = await createHealthServer({ pool, settings: resolved, logger, port: 0, host: '127.0.0.1' });
    expect(await eventually(() => server.readiness.healthy)).toBe(true);
  });
  afterAll(async () => {
    await server?.shutdown();
    await database?.close();
  });

  const status = async (path: string): Promise<number> => (await fetch(`${server.url}${path}`)).status;
  // A generous bound (400 polls of 50 ms, far beyond a few 100 ms periods) so a loaded machine does not fail it.
  const withinAFewPeriods = (probe: () => Promise<boolean>): Promise<boolean> => eventually(probe, 400, 50);

  it('turns 503 within a few check periods when PostgreSQL stops, while /health stays 200', async () => {
    expect(await status('/health/ready')).toBe(200);
    await database.stop();
    expect(await withinAFewPeriods(async () => (await status('/health/ready')) === 503)).toBe(true);
    // The first failed check may see the kept connection terminated; the next ones are refused at connect.
    const reason = async (): Promise<unknown> =>
      ((await (await fetch(`${server.url}/health/ready`)).json()) as { reason: unknown }).reason;
    expect(await withinAFewPeriods(async () => (await reason()) === 'connection refused')).toBe(true);
    expect(await status('/health')).toBe(200);
    const body = (await (await fetch(`${server.url}/health/ready`)).json()) as {
      status: string;
      reason: string;
      database: { status: string; error: string };
    };
    // Anonymous callers get the short reason only; the driver's message stays in the log.
    expect(body).toEqual({
      status: 'unhealthy',
      reason: 'connection refused',
      database: { status: 'unhealthy', error: 'connection refused' },
    });
    expect(logger.messages()).toContain('database connection lost: readiness answers 503');
  });

  it('keeps /health/diagnostics answering with the pool part while the database is down', async () => {
    const response = await fetch(`${server.url}/health/diagnostics`, {
      headers: { authorization: 'Bearer outage-token' },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      status: string;
      activity: unknown;
      server: unknown;
      pool: { pool_size: number; database_version: unknown };
      performance_insights: string[];
    };
    expect(body).toMatchObject({
      status: 'unhealthy',
      activity: null,
      server: null,
      pool: { pool_size: 1, database_version: null },
    });
    expect(
      body.performance_insights.filter((insight) => insight.startsWith('Database statistics unavailable: ')),
    ).toHaveLength(1);
  });

  it('turns 200 again once PostgreSQL is back', async () => {
    await database.start();
    expect(await withinAFewPeriods(async () => (await status('/health/ready')) === 200)).toBe(true);
    expect(logger.messages()).toContain('database connection recovered: readiness is healthy again');
  });
});
