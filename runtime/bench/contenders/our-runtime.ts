/**
 * Our pool and health server, loaded lazily so the anchors can still be
 * measured while the runtime is missing or broken. Wired the way the runtime
 * process wires them (`runtime/src/process/start-runtime.ts`): the metrics
 * observer on the pool, the health server on the same metrics.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { loadSettings, type Settings } from '../../src/contract/index.js';
import type { ClientAtsPool, PoolOptions } from '../../src/pool/pool-types.js';

const POOL_MODULE = new URL('../../src/pool/create-pool.ts', import.meta.url);
const HEALTH_MODULE = new URL('../../src/health/health-server.ts', import.meta.url);
const METRICS_MODULE = new URL('../../src/metrics/pool-metrics.ts', import.meta.url);

type CreatePool = (settings: Settings, options?: PoolOptions) => ClientAtsPool;

/** How the bench opens our pool. */
export interface OurPoolOptions {
  readonly databaseUrl: string;
  readonly connections: number;
  readonly timeoutMillis: number;
  readonly applicationName: string;
  readonly Client: typeof pg.Client;
  /** Attach the Prometheus metrics observer, as the runtime process does. */
  readonly withMetrics: boolean;
}

function missing(url: URL): string | undefined {
  return existsSync(fileURLToPath(url)) ? undefined : `${fileURLToPath(url)} does not exist yet`;
}

/** Why our pool cannot be measured, or `undefined` when it can. */
export function ourPoolUnavailable(): string | undefined {
  return missing(POOL_MODULE) ?? missing(METRICS_MODULE);
}

/** Why our health server cannot be measured, or `undefined` when it can. */
export function ourHealthServerUnavailable(): string | undefined {
  return ourPoolUnavailable() ?? missing(HEALTH_MODULE);
}

/** Settings of a pool of `connections` with no overflow, as the environment would give them. */
function benchSettings(databaseUrl: string, connections: number, timeoutMillis: number): Settings {
  return loadSettings({
    DATABASE_URL: databaseUrl,
    POOL_SIZE: String(connections),
    POOL_COUNT: '1',
    MAX_OVERFLOW: '0',
    POOL_TIMEOUT: String(timeoutMillis),
    LOG_LEVEL: 'silent',
  });
}

async function importCreatePool(): Promise<CreatePool> {
  const unavailable = ourPoolUnavailable();
  if (unavailable !== undefined) throw new Error(`our pool is not available: ${unavailable}`);
  return ((await import(POOL_MODULE.href)) as { createPool: CreatePool }).createPool;
}

async function importMetrics(): Promise<typeof import('../../src/metrics/pool-metrics.js')> {
  return import(METRICS_MODULE.href) as Promise<typeof import('../../src/metrics/pool-metrics.js')>;
}

/** Opens our pool and waits until its persistent connections are open. */
export async function createOurPool(options: OurPoolOptions): Promise<ClientAtsPool> {
  const createPool = await importCreatePool();
  const observer = options.withMetrics
    ? (await importMetrics()).createPoolMetrics({ processMetrics: false }).observer
    : undefined;
  const pool = createPool(benchSettings(options.databaseUrl, options.connections, options.timeoutMillis), {
    Client: options.Client,
    applicationName: options.applicationName,
    ...(observer === undefined ? {} : { observer }),
  });
  pool.on('error', () => undefined);
  await pool.ready;
  return pool;
}

/**
 * Starts our pool (10 connections, metrics observer) and health server on
 * loopback port 0, then runs `warmQueries` queries through the pool so the
 * metrics histograms hold data.
 */
export async function startOurHealthServer(options: {
  databaseUrl: string;
  warmQueries: number;
}): Promise<{ port: number; close(): Promise<void> }> {
  const unavailable = ourHealthServerUnavailable();
  if (unavailable !== undefined) throw new Error(`our health server is not available: ${unavailable}`);
  const createPool = await importCreatePool();
  const { createPoolMetrics } = await importMetrics();
  const { createHealthServer } = (await import(
    HEALTH_MODULE.href
  )) as typeof import('../../src/health/health-server.js');
  const settings = benchSettings(options.databaseUrl, 10, 5_000);
  const metrics = createPoolMetrics();
  const pool = createPool(settings, {
    observer: metrics.observer,
    applicationName: 'clientats-bench-health',
  });
  pool.on('error', () => undefined);
  const server = await createHealthServer({ pool, settings, metrics, port: 0, host: '127.0.0.1' });
  await pool.ready;
  for (let batch = 0; batch < Math.ceil(options.warmQueries / 10); batch += 1) {
    await Promise.all(Array.from({ length: 10 }, () => pool.query('SELECT 1')));
  }
  return { port: server.port, close: () => server.shutdown({ delayMillis: 0 }) };
}
