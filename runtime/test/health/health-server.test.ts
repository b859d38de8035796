import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHealthServer, type HealthServer } from '../../src/health/health-server.js';
import { createPool } from '../../src/pool/create-pool.js';
import type { ClientAtsPool, PooledClient } from '../../src/pool/pool-types.js';
import { eventually, recordingLogger, testSettings } from '../support/health-fixture.js';

describe('health server probes', () => {
  const settings = testSettings(inject('databaseUrl'), { POOL_SIZE: '2' });
  let pool: ClientAtsPool;
  let server: HealthServer;

  beforeAll(async () => {
    pool = createPool(settings);
    await pool.ready;
    server = await createHealthServer({ pool, settings, port: 0, host: '127.0.0.1' });
    expect(await eventually(() => server.readiness.healthy)).toBe(true);
  });
  afterAll(async () => {
    await server?.shutdown({ delayMillis: 0 });
  });

  it('answers /health with 200 {"status":"ok"}', async () => {
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.text()).toBe('{"status":"ok"}');
  });

  it('answers /health/ready with 200 and the latency of the latest background check', async () => {
    const response = await fetch(`${server.url}/health/ready`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      status: string;
      database: { status: string; latency_ms: number };
    };
    expect(body).toEqual({
      status: 'healthy',
      database: { status: 'healthy', latency_ms: expect.any(Number) },
    });
    expect(body.database.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('answers /health/ready with 200 while every pool connection is checked out and callers queue', async () => {
    const held: PooledClient[] = [];
    for (let index = 0; index < settings.poolSize; index += 1) held.push(await pool.connect());
    const queued = pool.query('SELECT 1');
    try {
      expect(await eventually(() => pool.waitingCount > 0)).toBe(true);
      const before = server.readiness.checkedAt;
      // A check that finished after the pool was exhausted proves the dedicated connection works regardless.
      await server.checkReadiness();
      expect(server.readiness.checkedAt).toBeGreaterThanOrEqual(before);
      const response = await fetch(`${server.url}/health/ready`);
      expect(response.status).toBe(200);
      expect(pool.snapshot().inUse).toBe(settings.poolSize);
    } finally {
      for (const client of held) client.release();
      await queued;
    }
  });

  it('ignores the query string', async () => {
    expect((await fetch(`${server.url}/health?verbose=1`)).status).toBe(200);
  });

  it('answers HEAD with the headers and no body', async () => {
    const response = await fetch(`${server.url}/health`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String('{"status":"ok"}'.length));
    expect(await response.text()).toBe('');
  });

  it('fails with 404 for an unknown path', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('{"status":"not_found","error":"unknown path"}');
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])(
    'fails with 405 and Allow: GET, HEAD for %s',
    async (method) => {
      for (const path of ['/health', '/health/ready', '/health/diagnostics', '/metrics']) {
        const response = await fetch(`${server.url}${path}`, { method });
        expect(response.status).toBe(405);
        expect(response.headers.get('allow')).toBe('GET, HEAD');
        expect(await response.text()).toBe(
          '{"status":"method_not_allowed","error":"only GET and HEAD are allowed"}',
        );
      }
    },
  );
});

describe('health server shutdown', () => {
  it(
    'answers 503 on readiness from the first moment, finishes in-flight queries, ' +
      'then closes the pool and the listener',
    async () => {
      const settings = testSettings(inject('databaseUrl'), { POOL_SIZE: '2', SHUTDOWN_DRAIN_MS: '10000' });
      const logger = recordingLogger();
      const pool = createPool(settings);
      await pool.ready;
      const server = await createHealthServer({ pool, settings, logger, port: 0, host: '127.0.0.1' });
      expect(await eventually(() => server.readiness.healthy)).toBe(true);
      const inFlight = [
        pool.query<{ n: number }>('SELECT pg_sleep(0.4), 1 AS n'),
        pool.query<{ n: number }>('SELECT pg_sleep(0.4), 2 AS n'),
      ];
      const shutdown = server.shutdown({ delayMillis: 300 });
      expect(server.shuttingDown).toBe(true);
      const ready = await fetch(`${server.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'unhealthy', reason: 'shutting down' });
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      const results = await Promise.all(inFlight);
      expect(results.map((result) => result.rows[0]?.n)).toEqual([1, 2]);
      await shutdown;
      await expect(fetch(`${server.url}/health`)).rejects.toThrow();
      await expect(pool.query('SELECT 1')).rejects.toThrow();
      expect(logger.messages()).toEqual(
        expect.arrayContaining([
          'shutdown started: readiness answers 503; the listener closes after the shutdown delay',
          'shutdown: stopped accepting HTTP connections; draining the connection pool',
          'shutdown: connection pool closed',
          'shutdown complete',
        ]),
      );
    },
  );

  it('shuts down and exits 0 on the first signal, and exits 1 at once on a second one', async () => {
    const settings = testSettings(inject('databaseUrl'), { POOL_SIZE: '1' });
    const pool = createPool(settings);
    const exits: number[] = [];
    const server = await createHealthServer({
      pool,
      settings,
      port: 0,
      host: '127.0.0.1',
      signals: ['SIGUSR2'],
      exit: (code) => exits.push(code),
    });
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      expect(server.shuttingDown).toBe(true);
      process.emit('SIGUSR2', 'SIGUSR2');
      expect(exits).toEqual([1]);
    } finally {
      await server.shutdown();
    }
    expect(process.listenerCount('SIGUSR2')).toBe(0);
  });

  it('exits 0 after a signal-started shutdown completes', async () => {
    const settings = testSettings(inject('databaseUrl'), { POOL_SIZE: '1' });
    const pool = createPool(settings);
    let exited: (code: number) => void = () => undefined;
    const exit = new Promise<number>((resolve) => {
      exited = resolve;
    });
    const server = await createHealthServer({
      pool,
      settings,
      port: 0,
      host: '127.0.0.1',
      signals: ['SIGUSR2'],
      exit: (code) => exited(code),
    });
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(await exit).toBe(0);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
    expect(process.listenerCount('SIGUSR2')).toBe(0);
  });
});
