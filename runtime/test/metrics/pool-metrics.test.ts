import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHealthServer, type HealthServer } from '../../src/health/health-server.js';
import { createServer } from 'node:net';
import { perInstanceConnections } from '../../src/contract/connection-bound.js';
import {
  createPoolMetrics,
  DROPPED_DEFAULT_METRICS,
  QUERY_BUCKETS_MS,
  WAIT_BUCKETS_MS,
} from '../../src/metrics/pool-metrics.js';
import { createPool } from '../../src/pool/create-pool.js';
import type { ClientAtsPool } from '../../src/pool/pool-types.js';
import { testSettings } from '../support/health-fixture.js';
import { parsePrometheusText, sampleValue, type Family } from '../support/prometheus-text.js';

describe('/metrics', () => {
  const settings = testSettings(inject('databaseUrl'), {
    POOL_SIZE: '2',
    POOL_COUNT: '2',
    MAX_OVERFLOW: '1',
    POOL_TIMEOUT: '1000',
  });
  let pool: ClientAtsPool;
  let server: HealthServer;

  beforeAll(async () => {
    const metrics = createPoolMetrics();
    pool = createPool(settings, { observer: metrics.observer });
    await pool.ready;
    server = await createHealthServer({ pool, settings, metrics, port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server?.shutdown();
  });

  const scrape = async (): Promise<Map<string, Family>> => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return parsePrometheusText(await response.text());
  };
  const sumOver = (families: Map<string, Family>, name: string): number =>
    [...families.values()]
      .flatMap((family) => family.samples)
      .filter((sample) => sample.name === name)
      .reduce((sum, sample) => sum + sample.value, 0);

  it("serves Prometheus text with the guide's metrics, their seconds twins and the process metrics", async () => {
    const families = await scrape();
    const types = Object.fromEntries([...families.values()].map((family) => [family.name, family.type]));
    expect(types).toMatchObject({
      db_connections_active: 'gauge',
      db_connections_idle: 'gauge',
      db_connection_wait_time_ms: 'histogram',
      db_query_duration_ms: 'histogram',
      db_client_connections: 'gauge',
      db_client_connections_overflow: 'gauge',
      db_connections_open: 'gauge',
      db_connections_open_max: 'gauge',
      db_readiness_healthy: 'gauge',
      db_client_connection_max: 'gauge',
      db_client_connection_pending_requests: 'gauge',
      db_client_connection_wait_time_seconds: 'histogram',
      db_client_operation_duration_seconds: 'histogram',
      db_client_connection_timeouts_total: 'counter',
      db_client_connection_errors_total: 'counter',
      db_client_operation_errors_total: 'counter',
      process_cpu_user_seconds_total: 'counter',
      nodejs_eventloop_lag_seconds: 'gauge',
    });
  });

  it('labels the gauges by pool with live counts and the configured maximum', async () => {
    const families = await scrape();
    for (const partition of pool.snapshot().pools) {
      const labels = { pool: String(partition.index) };
      expect(sampleValue(families, 'db_connections_idle', labels)).toBe(partition.idle);
      expect(sampleValue(families, 'db_connections_active', labels)).toBe(partition.inUse);
      expect(sampleValue(families, 'db_client_connections', { ...labels, state: 'idle' })).toBe(
        partition.idle,
      );
      expect(sampleValue(families, 'db_client_connection_max', labels)).toBe(
        settings.poolSize + settings.maxOverflow,
      );
    }
  });

  it('has wait-time buckets below 1 ms, and seconds buckets that are the same bounds', async () => {
    const families = await scrape();
    const bounds = (name: string): number[] => [
      ...new Set(
        families
          .get(name)!
          .samples.filter((sample) => sample.name === `${name}_bucket` && sample.labels.pool === '0')
          .map((sample) => (sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le))),
      ),
    ];
    expect(bounds('db_connection_wait_time_ms')).toEqual([...WAIT_BUCKETS_MS, Infinity]);
    expect(bounds('db_connection_wait_time_ms').filter((bound) => bound < 1).length).toBeGreaterThan(0);
    expect(
      bounds('db_client_connection_wait_time_seconds').map((bound) => Math.round(bound * 1e9) / 1e6),
    ).toEqual([...WAIT_BUCKETS_MS, Infinity]);
    expect(bounds('db_query_duration_ms')).toEqual([...QUERY_BUCKETS_MS, Infinity]);
  });

  it('counts real queries and checkouts in both units', async () => {
    const before = await scrape();
    const queries = 7;
    for (let index = 0; index < queries; index += 1) await pool.query('SELECT $1::int AS n', [index]);
    const client = await pool.connect();
    await client.query('SELECT 1');
    client.release();
    const after = await scrape();
    const delta = (name: string): number => sumOver(after, name) - sumOver(before, name);
    expect(delta('db_query_duration_ms_count')).toBe(queries + 1);
    expect(delta('db_client_operation_duration_seconds_count')).toBe(queries + 1);
    expect(delta('db_query_duration_ms_sum')).toBeGreaterThan(0);
    expect(delta('db_client_operation_duration_seconds_sum')).toBeCloseTo(
      delta('db_query_duration_ms_sum') / 1000,
      6,
    );
    expect(delta('db_connection_wait_time_ms_count')).toBe(queries + 1);
    expect(delta('db_client_connection_wait_time_seconds_count')).toBe(queries + 1);
  });

  it('counts failed queries and checkout timeouts', async () => {
    const before = await scrape();
    await expect(pool.query('SELECT 1/0')).rejects.toThrow('division by zero');
    const held = [];
    for (let index = 0; index < settings.poolCount * (settings.poolSize + settings.maxOverflow); index += 1)
      held.push(await pool.connect());
    await expect(pool.connect()).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
    const during = await scrape();
    for (const client of held) client.release();
    expect(
      sumOver(during, 'db_client_operation_errors_total') -
        sumOver(before, 'db_client_operation_errors_total'),
    ).toBe(1);
    expect(
      sampleValue(during, 'db_client_connection_timeouts_total') -
        sampleValue(before, 'db_client_connection_timeouts_total'),
    ).toBe(1);
    expect(sumOver(during, 'db_connections_active')).toBe(held.length);
    expect(sumOver(during, 'db_client_connections_overflow')).toBe(settings.poolCount * settings.maxOverflow);
  });

  it('keeps the registry per server, so two servers in one process do not collide', async () => {
    const other = await createHealthServer({ pool, settings, port: 0, host: '127.0.0.1' });
    try {
      const text = await (await fetch(`${other.url}/metrics`)).text();
      expect(parsePrometheusText(text).has('db_connections_idle')).toBe(true);
      expect(other.registry).not.toBe(server.registry);
    } finally {
      await other.close();
    }
  });

  it(
    'counts every connection the process holds, the readiness one included, ' +
      'against the per-instance bound',
    async () => {
      // The readiness result is injected: this is about the arithmetic, not about the readiness check's timing.
      let healthy = true;
      const metrics = createPoolMetrics({ processMetrics: false });
      metrics.track(() => pool.snapshot());
      metrics.trackReadiness?.(() => ({ healthy }));
      const pools = (): number =>
        pool
          .snapshot()
          .pools.reduce(
            (sum, partition) =>
              sum + partition.persistentOpen + partition.overflowOpen + partition.connecting,
            0,
          );
      let families = parsePrometheusText(await metrics.registry.metrics());
      expect(pools()).toBeGreaterThanOrEqual(settings.poolCount * settings.poolSize);
      expect(sampleValue(families, 'db_readiness_healthy')).toBe(1);
      expect(sampleValue(families, 'db_connections_open')).toBe(pools() + 1);
      expect(sampleValue(families, 'db_connections_open_max')).toBe(perInstanceConnections(settings));
      expect(sampleValue(families, 'db_connections_open_max')).toBe(2 * (2 + 1) + 1);
      healthy = false;
      families = parsePrometheusText(await metrics.registry.metrics());
      expect(sampleValue(families, 'db_readiness_healthy')).toBe(0);
      expect(sampleValue(families, 'db_connections_open')).toBe(pools());
    },
  );

  it('reports readiness 0 while the readiness check cannot reach the database', async () => {
    // A port nobody listens on: the check fails at once with ECONNREFUSED.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const other = await createHealthServer({
      pool,
      settings,
      port: 0,
      host: '127.0.0.1',
      readinessClientConfig: { host: '127.0.0.1', port, user: 'nobody', database: 'none' },
    });
    try {
      expect((await other.checkReadiness()).healthy).toBe(false);
      const families = parsePrometheusText(await (await fetch(`${other.url}/metrics`)).text());
      expect(sampleValue(families, 'db_readiness_healthy')).toBe(0);
      expect(families.get('db_readiness_healthy')?.samples).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('leaves out readiness until a readiness check is tracked, rather than exporting a false 0', async () => {
    const metrics = createPoolMetrics({ processMetrics: false });
    metrics.track(() => pool.snapshot());
    expect(await metrics.registry.metrics()).not.toContain('db_readiness_healthy');
    metrics.trackReadiness?.(() => ({ healthy: true }));
    expect(
      parsePrometheusText(await metrics.registry.metrics()).get('db_readiness_healthy')?.samples[0]?.value,
    ).toBe(1);
  });

  it("drops prom-client's gauges named _total and keeps their labelled twins", async () => {
    const families = await scrape();
    for (const name of DROPPED_DEFAULT_METRICS) expect(families.has(name)).toBe(false);
    expect(DROPPED_DEFAULT_METRICS).toEqual([
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]);
    expect(families.get('nodejs_active_handles')?.type).toBe('gauge');
  });
});
