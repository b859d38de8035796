/**
 * Readiness reflects the pool's ability to serve: a pool with no open
 * connection whose connects fail makes `/health/ready` 503 even while the
 * readiness connection itself works; anonymous callers then get a short
 * reason, never the driver's message with user names. "Fail" is the pool's
 * current state (`connectFailing`), not the last error ever seen: it clears
 * when the database comes back, while diagnostics keep the error and its time.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createHealthServer, type HealthServer } from '../../src/health/health-server.js';
import { createReadinessChecker } from '../../src/health/readiness-checker.js';
import { createPool } from '../../src/pool/create-pool.js';
import type { ClientAtsPool, PoolSnapshot } from '../../src/pool/pool-types.js';
import { recordingLogger, testSettings } from '../support/health-fixture.js';
import { readinessWatch } from '../support/readiness-watch.js';
import { freePort, startTestDatabase } from '../support/test-database.js';

const TOKEN = 'readiness-pool-token';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A pool that connects to `poolUrl` and a readiness connection to the shared test database. */
async function start(
  poolUrl: string,
  reason: string,
): Promise<{ server: HealthServer; pool: ClientAtsPool; logger: ReturnType<typeof recordingLogger> }> {
  const settings = testSettings(poolUrl, {
    POOL_SIZE: '1',
    HEALTH_CHECK_TOKEN: TOKEN,
    POOL_CONNECT_TIMEOUT_MS: '1000',
  });
  const pool = createPool(settings, { applicationName: 'readiness-pool-test' });
  const logger = recordingLogger();
  const watch = readinessWatch();
  const server = await createHealthServer({
    pool,
    settings,
    logger,
    port: 0,
    host: '127.0.0.1',
    onReadinessResult: watch.record,
    readinessClientConfig: {
      connectionString: inject('databaseUrl'),
      application_name: 'readiness-pool-test-readiness',
    },
  });
  cleanups.push(async () => {
    await server.close();
    await pool.end({ drainMillis: 0 });
  });
  // The pool's verdict, not a start-up state: it has failed, readiness says why, and keeps saying it. (A readiness
  // check that timed out on a loaded machine gives the pool its reconnect grace first: waited for, not timed.)
  await waitFor(() => pool.snapshot().lastConnectError !== undefined);
  await waitFor(() => server.readiness.summary === reason);
  expect(await watch.failingChecks(2)).toBe(true);
  expect(server.readiness.summary).toBe(reason);
  return { server, pool, logger };
}

async function waitFor(probe: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 600 && !probe(); attempt += 1)
    await new Promise((resolve) => setTimeout(resolve, 50));
  expect(probe()).toBe(true);
}

describe('readiness and the pool', () => {
  it(
    'answers 503 "connection refused" when the pool cannot connect although the readiness connection ' +
      'works',
    async () => {
      const port = await freePort();
      const { server } = await start(`postgres://app:pw@127.0.0.1:${port}/app`, 'connection refused');
      const response = await fetch(`${server.url}/health/ready`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        status: 'unhealthy',
        reason: 'connection refused',
        database: { status: 'unhealthy', error: 'connection refused' },
      });
    },
  );

  it(
    'answers 503 "authentication failed" without the user name, ' +
      'which only the log and diagnostics carry',
    async () => {
      const url = new URL(inject('databaseUrl'));
      url.username = 'readiness_secret_user';
      url.password = 'wrong-password';
      const { server, logger } = await start(url.toString(), 'authentication failed');
      const response = await fetch(`${server.url}/health/ready`);
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({
        status: 'unhealthy',
        reason: 'authentication failed',
        database: { status: 'unhealthy', error: 'authentication failed' },
      });
      expect(text).not.toContain('readiness_secret_user');
      const logged = logger.lines.filter((line) =>
        JSON.stringify(line.fields).includes('readiness_secret_user'),
      );
      expect(logged.length).toBeGreaterThan(0);
      const diagnostics = await fetch(`${server.url}/health/diagnostics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const body = (await diagnostics.json()) as {
        database: { error: string };
        pool: { last_connect_error: string };
      };
      expect(body.database.error).toContain(
        'the pool has no open connection and its connects fail: password authentication failed',
      );
      expect(body.database.error).toContain('"readiness_secret_user"');
    },
  );
});

/** A pool with no open connection, as it is between losing its connections and reopening them. */
function emptyPool(failing: boolean): PoolSnapshot {
  return {
    poolSize: 1,
    poolCount: 1,
    maxOverflow: 0,
    timeoutMillis: 1000,
    maxConnections: 1,
    total: 1,
    idle: 0,
    inUse: 0,
    waiting: 0,
    pools: [{ index: 0, persistentOpen: 0, overflowOpen: 0, idle: 0, inUse: 0, connecting: 1 }],
    checkouts: 10,
    timeouts: 0,
    overflowOpened: 0,
    connectionErrors: 1,
    connectFailing: failing,
    lastConnectError: 'connection to 127.0.0.1:5432 refused (ECONNREFUSED): is PostgreSQL running?',
    lastConnectErrorAt: Date.now() - 60_000,
    ending: false,
  };
}

describe("readiness and the pool's connect state", () => {
  it.each([
    [false, true],
    [true, false],
  ])(
    'with no open connection and connectFailing=%s, is healthy=%s (an old error alone never counts)',
    async (failing, healthy) => {
      const checker = createReadinessChecker({
        clientConfig: { connectionString: inject('databaseUrl'), application_name: 'readiness-pool-state' },
        intervalMillis: 60_000,
        timeoutMillis: 5_000,
        logger: recordingLogger(),
        poolSnapshot: () => emptyPool(failing),
      });
      try {
        const result = await checker.checkNow();
        expect({ healthy: result.healthy, summary: result.summary }).toEqual(
          healthy ? { healthy, summary: undefined } : { healthy, summary: 'connection refused' },
        );
      } finally {
        await checker.stop();
      }
    },
  );

  it(
    'reports connects failing while PostgreSQL is down and clears it once it is back, ' +
      'keeping the last error and its time',
    async () => {
      const database = await startTestDatabase();
      cleanups.push(() => database.close());
      const settings = testSettings(database.url, {
        POOL_SIZE: '1',
        HEALTH_CHECK_TOKEN: TOKEN,
        POOL_CONNECT_TIMEOUT_MS: '1000',
      });
      const pool = createPool(settings, { applicationName: 'readiness-pool-restart' });
      const server = await createHealthServer({ pool, settings, port: 0, host: '127.0.0.1' });
      cleanups.push(async () => {
        await server.close();
        await pool.end({ drainMillis: 0 });
      });
      await pool.ready;
      await waitFor(() => server.readiness.healthy);
      expect(pool.snapshot()).toMatchObject({ connectFailing: false, lastConnectError: undefined });
      const diagnostics = async (): Promise<Record<string, unknown>> => {
        const response = await fetch(`${server.url}/health/diagnostics`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        return ((await response.json()) as { pool: Record<string, unknown> }).pool;
      };
      expect(await diagnostics()).toMatchObject({
        connect_failing: false,
        last_connect_error: null,
        last_connect_error_at: null,
      });

      const stoppedAt = Date.now();
      await database.stop();
      // While the server shuts down an attempt may be told so (57P03); once it is down, attempts are refused.
      await waitFor(
        () => pool.snapshot().connectFailing && /ECONNREFUSED/.test(pool.snapshot().lastConnectError!),
      );
      const down = pool.snapshot();
      expect(down.lastConnectErrorAt).toBeGreaterThanOrEqual(stoppedAt);
      // Attempts go on meanwhile: a later failure may have replaced the error, never cleared it.
      const whileDown = await diagnostics();
      expect(whileDown).toMatchObject({
        connect_failing: true,
        last_connect_error: expect.stringContaining('refused (ECONNREFUSED)'),
      });
      expect(Date.parse(String(whileDown.last_connect_error_at))).toBeGreaterThanOrEqual(
        down.lastConnectErrorAt!,
      );
      await waitFor(() => !server.readiness.healthy);

      await database.start();
      await waitFor(() => !pool.snapshot().connectFailing && pool.snapshot().idle === 1);
      await waitFor(() => server.readiness.healthy);
      const up = pool.snapshot();
      // The history stays: the last error and when it happened (a later attempt, say while the server was
      // starting up, may have replaced it).
      expect(up.lastConnectError).toEqual(expect.any(String));
      expect(up.lastConnectErrorAt).toBeGreaterThanOrEqual(down.lastConnectErrorAt!);
      expect(await diagnostics()).toMatchObject({
        connect_failing: false,
        last_connect_error: up.lastConnectError,
        last_connect_error_at: new Date(up.lastConnectErrorAt!).toISOString(),
      });
    },
  );
});
