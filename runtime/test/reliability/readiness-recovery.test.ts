/**
 * Readiness never wedges: after every kind of stall — TCP connects but the
 * server says nothing (frozen postmaster, silent link at start or mid-run),
 * a restart, max_connections used up by others — `/health/ready` is 200 again
 * by the second check that starts after the database answers again. Checks
 * are counted, not timed (a loaded machine stretches every interval alike).
 */
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createHealthServer, type HealthServer } from '../../src/health/health-server.js';
import { createPool } from '../../src/pool/create-pool.js';
import type { ClientAtsPool } from '../../src/pool/pool-types.js';
import { eventually, recordingLogger, testSettings } from '../support/health-fixture.js';
import { readinessWatch, type ReadinessWatch } from '../support/readiness-watch.js';
import { startSilentLink, type SilentLink } from '../support/silent-link.js';
import { startTestDatabase, type TestDatabase } from '../support/test-database.js';
import { recordFigures } from './support/figures.js';

const TOKEN = 'readiness-recovery-token';
const READINESS = {
  READINESS_INTERVAL_MS: '250',
  READINESS_TIMEOUT_MS: '1000',
  POOL_CONNECT_TIMEOUT_MS: '1000',
  POOL_SIZE: '1',
  HEALTH_CHECK_TOKEN: TOKEN,
};
/** Stalled checks seen before the database answers again: enough to wedge a checker that reuses a pending connect. */
const FAILING_CHECKS = 3;
/** Each test waits for several stalled checks and a recovery: more than the suite's 60 s on a loaded machine. */
const LOADED_TEST_TIMEOUT_MILLIS = 180_000;

interface Running {
  readonly server: HealthServer;
  readonly pool: ClientAtsPool;
  readonly watch: ReadinessWatch;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startRuntime(databaseUrl: string): Promise<Running> {
  const settings = testSettings(databaseUrl, READINESS);
  const pool = createPool(settings, { applicationName: 'readiness-recovery' });
  const watch = readinessWatch();
  const server = await createHealthServer({
    pool,
    settings,
    logger: recordingLogger(),
    port: 0,
    host: '127.0.0.1',
    onReadinessResult: watch.record,
  });
  cleanups.push(async () => {
    await server.close();
    await pool.end({ drainMillis: 0 });
  });
  return { server, pool, watch };
}

async function readyBody(server: HealthServer): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${server.url}/health/ready`);
  return { status: response.status, body: await response.json() };
}

/**
 * `/health/diagnostics` answers (bounded) whatever the database does; `server` is null while it cannot read
 * PostgreSQL.
 */
async function diagnosticsServer(server: HealthServer): Promise<unknown> {
  const response = await fetch(`${server.url}/health/diagnostics`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { server: unknown }).server;
}

/** During the stall diagnostics still answer, without the database's facts. */
async function expectDiagnosticsDuringStall(running: Running): Promise<void> {
  expect(await diagnosticsServer(running.server)).toBeNull();
}

/**
 * The database answers again: by the second check that starts from now on readiness must be healthy, and the
 * pool must serve.
 */
async function expectRecovery(scenario: string, running: Running): Promise<void> {
  const failedBefore = await running.watch.failedChecksBeforeHealthy();
  recordFigures(`readiness-recovery ${scenario}`, {
    failedChecksAfterAnswering: failedBefore,
    checks: running.watch.results.length,
  });
  expect(failedBefore).toBeDefined();
  expect(failedBefore).toBeLessThanOrEqual(1);
  expect(await eventually(async () => (await readyBody(running.server)).status === 200, 200, 50)).toBe(true);
  expect((await running.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  // Diagnostics share the readiness connection: they read PostgreSQL again too.
  expect(await diagnosticsServer(running.server)).toMatchObject({ max_connections: expect.any(Number) });
}

const sharedHost = (): string => new URL(inject('databaseUrl')).hostname;
const sharedPort = (): number => Number(new URL(inject('databaseUrl')).port || '5432');

describe('readiness after a stall in which TCP connects but the server says nothing', () => {
  let database: TestDatabase | undefined;
  let link: SilentLink | undefined;
  afterEach(async () => {
    await link?.close();
    link = undefined;
  });

  it(
    'recovers when a link that was silent from the start begins to forward',
    async () => {
      link = await startSilentLink(sharedHost(), sharedPort(), { silent: true });
      const running = await startRuntime(link.via(inject('databaseUrl')));
      expect(await running.watch.failingChecks(FAILING_CHECKS)).toBe(true);
      expect(await readyBody(running.server)).toEqual({
        status: 503,
        body: {
          status: 'unhealthy',
          reason: 'timed out',
          database: { status: 'unhealthy', error: 'timed out' },
        },
      });
      await expectDiagnosticsDuringStall(running);
      link.restore();
      running.watch.markAnswering();
      await expectRecovery('silent link at start', running);
    },
    LOADED_TEST_TIMEOUT_MILLIS,
  );

  it(
    'recovers when a link goes silent mid-run and forwards again',
    async () => {
      link = await startSilentLink(sharedHost(), sharedPort());
      const running = await startRuntime(link.via(inject('databaseUrl')));
      expect(await eventually(() => running.server.readiness.healthy, 600, 50)).toBe(true);
      link.silence();
      expect(await running.watch.failingChecks(FAILING_CHECKS)).toBe(true);
      await expectDiagnosticsDuringStall(running);
      link.restore();
      running.watch.markAnswering();
      await expectRecovery('silent link mid-run', running);
    },
    LOADED_TEST_TIMEOUT_MILLIS,
  );

  it(
    'recovers when every backend was terminated while the postmaster was frozen (SIGSTOP, then SIGCONT)',
    async () => {
      database = await startTestDatabase();
      const privateDatabase = database;
      cleanups.push(() => privateDatabase.close());
      const running = await startRuntime(database.url);
      expect(await eventually(() => running.server.readiness.healthy, 600, 50)).toBe(true);
      const admin = new pg.Client({ connectionString: database.url });
      admin.on('error', () => undefined);
      await admin.connect();
      const backends = (
        await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend'`,
        )
      ).rows;
      expect(backends.length).toBeGreaterThanOrEqual(3); // the pool's, the readiness connection and this one
      const postmaster = await database.postmasterPid();
      process.kill(postmaster, 'SIGSTOP');
      let frozen = true;
      cleanups.push(async () => {
        if (frozen) process.kill(postmaster, 'SIGCONT');
      });
      for (const { pid } of backends) process.kill(pid, 'SIGTERM');
      expect(await running.watch.failingChecks(FAILING_CHECKS)).toBe(true);
      expect((await readyBody(running.server)).body).toMatchObject({
        status: 'unhealthy',
        reason: 'timed out',
      });
      await expectDiagnosticsDuringStall(running);
      process.kill(postmaster, 'SIGCONT');
      frozen = false;
      running.watch.markAnswering();
      await expectRecovery('frozen postmaster, backends terminated', running);
      await admin.end().catch(() => undefined);
    },
    LOADED_TEST_TIMEOUT_MILLIS,
  );
});

describe('readiness after the server went away or ran out of slots', () => {
  it(
    'recovers after a server restart',
    async () => {
      const database = await startTestDatabase();
      cleanups.push(() => database.close());
      const running = await startRuntime(database.url);
      expect(await eventually(() => running.server.readiness.healthy, 600, 50)).toBe(true);
      await database.stop();
      expect(await running.watch.failingChecks(FAILING_CHECKS)).toBe(true);
      expect((await readyBody(running.server)).body).toMatchObject({
        status: 'unhealthy',
        reason: 'connection refused',
      });
      await database.start();
      running.watch.markAnswering();
      await expectRecovery('server restart', running);
    },
    LOADED_TEST_TIMEOUT_MILLIS,
  );

  it(
    'recovers when max_connections was used up by other clients and is then freed',
    async () => {
      const database = await startTestDatabase({ maxConnections: 6, superuserReservedConnections: 0 });
      cleanups.push(() => database.close());
      const others: pg.Client[] = [];
      cleanups.push(async () => {
        await Promise.all(others.map((other) => other.end().catch(() => undefined)));
      });
      // Bounded: the server has 6 slots.
      for (let attempt = 0; attempt < 20; attempt += 1) {
        const other = new pg.Client({ connectionString: database.url });
        other.on('error', () => undefined);
        try {
          await other.connect();
        } catch (error) {
          expect((error as { code?: string }).code).toBe('53300');
          break;
        }
        others.push(other);
      }
      expect(others).toHaveLength(6);
      const running = await startRuntime(database.url);
      expect(await running.watch.failingChecks(FAILING_CHECKS)).toBe(true);
      expect(await readyBody(running.server)).toEqual({
        status: 503,
        body: {
          status: 'unhealthy',
          reason: 'too many connections',
          database: { status: 'unhealthy', error: 'too many connections' },
        },
      });
      await Promise.all(others.splice(0).map((other) => other.end()));
      running.watch.markAnswering();
      await expectRecovery('max_connections used up, then freed', running);
    },
    LOADED_TEST_TIMEOUT_MILLIS,
  );
});
