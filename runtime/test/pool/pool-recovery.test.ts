/**
 * Recovery under load on a private PostgreSQL: every backend terminated, and
 * the server stopped and started again. In-flight work fails with the original
 * error, nothing crashes or goes unhandled, and the pool refills by itself.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPool } from '../../src/pool/create-pool.js';
import { PoolTimeoutError } from '../../src/pool/pool-errors.js';
import type { ClientAtsPool } from '../../src/pool/pool-types.js';
import { startTestDatabase, type TestDatabase } from '../support/test-database.js';
import {
  connectAdmin,
  recordingLogger,
  settingsFor,
  sleep,
  uniqueApplicationName,
} from './pool-test-support.js';

let database: TestDatabase;
const pools: ClientAtsPool[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

beforeAll(async () => {
  database = await startTestDatabase();
  process.on('unhandledRejection', onUnhandled);
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.end({ drainMillis: 0 })));
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await database.close();
});

/** Callers that query in a loop until stopped, collecting every error. */
function startLoad(
  pool: ClientAtsPool,
  callers: number,
): { errors: Error[]; completed: () => number; stop: () => Promise<void> } {
  let running = true;
  let completed = 0;
  const errors: Error[] = [];
  const loops = Array.from({ length: callers }, async () => {
    for (let round = 0; running && round < 100_000; round++) {
      try {
        await pool.query('SELECT pg_sleep(0.002)');
        completed++;
      } catch (error) {
        errors.push(error as Error);
      }
    }
  });
  return {
    errors,
    completed: () => completed,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

const IN_FLIGHT_ERRORS = [
  'terminating connection due to administrator command',
  'Connection terminated unexpectedly',
  'Client has encountered a connection error and is not queryable',
];

describe('recovery under load', () => {
  it('recovers by itself after every backend is terminated', async () => {
    const applicationName = uniqueApplicationName('terminate');
    const logger = recordingLogger();
    const pool = createPool(
      settingsFor(database.url, {
        POOL_SIZE: '2',
        POOL_COUNT: '2',
        MAX_OVERFLOW: '1',
        POOL_OVERFLOW_IDLE_MS: '200',
      }),
      { applicationName, logger },
    );
    pools.push(pool);
    await pool.ready;
    const admin = await connectAdmin(database.url);
    try {
      const load = startLoad(pool, 20);
      await vi.waitFor(() => expect(load.completed()).toBeGreaterThan(50), { timeout: 10_000, interval: 10 });
      const before = await admin.backendPids(applicationName);
      expect(await admin.terminateBackends(applicationName)).toBe(before.length);
      const completedAtTerminate = load.completed();
      await vi.waitFor(() => expect(load.completed()).toBeGreaterThan(completedAtTerminate + 100), {
        timeout: 10_000,
        interval: 10,
      });
      await load.stop();
      expect(load.errors.length).toBeGreaterThan(0);
      expect(
        load.errors.map((error) => error.message).filter((message) => !IN_FLIGHT_ERRORS.includes(message)),
      ).toEqual([]);
      await vi.waitFor(
        async () => {
          expect(await admin.countBackends(applicationName)).toBe(4);
          expect(pool.totalCount).toBe(4);
          expect(pool.idleCount).toBe(4);
        },
        { timeout: 15_000, interval: 50 },
      );
      expect((await admin.backendPids(applicationName)).filter((pid) => before.includes(pid))).toEqual([]);
      expect(unhandled).toEqual([]);
    } finally {
      await admin.close();
    }
  });

  it('recovers by itself after PostgreSQL stops and starts again', async () => {
    const applicationName = uniqueApplicationName('restart');
    const logger = recordingLogger();
    const pool = createPool(
      settingsFor(database.url, {
        POOL_SIZE: '2',
        POOL_COUNT: '2',
        MAX_OVERFLOW: '1',
        POOL_TIMEOUT: '1000',
        POOL_OVERFLOW_IDLE_MS: '200',
      }),
      { applicationName, logger },
    );
    pools.push(pool);
    await pool.ready;
    const load = startLoad(pool, 20);
    await vi.waitFor(() => expect(load.completed()).toBeGreaterThan(50), { timeout: 10_000, interval: 10 });
    await database.stop();
    await sleep(1_500);
    await database.start();
    const completedAtStart = load.completed();
    await vi.waitFor(() => expect(load.completed()).toBeGreaterThan(completedAtStart + 100), {
      timeout: 20_000,
      interval: 20,
    });
    await load.stop();

    const timeouts = load.errors.filter((error) => error instanceof PoolTimeoutError);
    const others = load.errors
      .filter((error) => !(error instanceof PoolTimeoutError))
      .map((error) => error.message);
    expect(timeouts.length).toBeGreaterThan(0);
    expect(
      timeouts.some((error) =>
        error.message.includes(
          `last connect error: connection to 127.0.0.1:${database.port} refused (ECONNREFUSED)`,
        ),
      ),
    ).toBe(true);
    expect(others.filter((message) => !IN_FLIGHT_ERRORS.includes(message))).toEqual([]);
    expect(logger.entries.some((entry) => entry.message === 'database connection restored')).toBe(true);
    expect(logger.entries.some((entry) => JSON.stringify(entry).includes(database.password))).toBe(false);

    const admin = await connectAdmin(database.url);
    try {
      await vi.waitFor(
        async () => {
          expect(await admin.countBackends(applicationName)).toBe(4);
          expect(pool.totalCount).toBe(4);
        },
        { timeout: 15_000, interval: 50 },
      );
    } finally {
      await admin.close();
    }
    expect(unhandled).toEqual([]);
  });
});
