/**
 * Fault: long queries (`pg_sleep`) hold every connection, overflow included.
 * Waiters give up after POOL_TIMEOUT with the clear message, nothing deadlocks,
 * and once the long queries end the queue drains and the pool is whole again.
 */
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { loadSettings } from '../../src/contract/index.js';
import { createPool } from '../../src/pool/create-pool.js';
import { createScratchDatabase } from '../support/test-database.js';
import { ms, recordFigures } from './support/figures.js';
import { serverBackendCount, waitUntil } from './support/server-view.js';

const APPLICATION_NAME = 'reliability-long-queries';
const POOL_SIZE = 2;
const MAX_OVERFLOW = 1;
const POOL_TIMEOUT = 300;
const SLEEP_SECONDS = 2;
const WAITERS = 12;

describe('long queries holding every connection', () => {
  let scratch: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    scratch = await createScratchDatabase(inject('databaseUrl'), 'reliability_long_queries');
  });
  afterAll(async () => {
    await scratch?.close();
  });

  it('times waiters out with the clear message while every connection sleeps, then drains the queue', async () => {
    const settings = loadSettings({
      DATABASE_URL: scratch.url,
      POOL_SIZE: String(POOL_SIZE),
      MAX_OVERFLOW: String(MAX_OVERFLOW),
      POOL_TIMEOUT: String(POOL_TIMEOUT),
      POOL_OVERFLOW_IDLE_MS: '200',
    });
    const pool = createPool(settings, { applicationName: APPLICATION_NAME });
    try {
      await pool.ready;
      const sleepers = Array.from({ length: POOL_SIZE + MAX_OVERFLOW }, () =>
        pool.query(`SELECT pg_sleep(${SLEEP_SECONDS})`),
      );
      await waitUntil(
        'every connection busy',
        () => pool.idleCount === 0 && pool.totalCount === POOL_SIZE + MAX_OVERFLOW,
        5000,
        10,
      );
      const waitStarted = performance.now();
      const waiters = await Promise.all(
        Array.from({ length: WAITERS }, async () => {
          const startedAt = performance.now();
          const error = await pool.query('SELECT 1').then(
            () => undefined,
            (failure: Error & { code?: string }) => failure,
          );
          return { error, waitedMillis: performance.now() - startedAt };
        }),
      );
      const sleepersDone = await Promise.allSettled(sleepers);
      expect(sleepersDone.map((result) => result.status)).toEqual(sleepers.map(() => 'fulfilled'));
      // Any waiter that finished before the sleepers must have been timed out, with the whole clear message.
      const timedOut = waiters.filter((waiter) => waiter.error !== undefined);
      expect(timedOut.length).toBeGreaterThan(0);
      for (const waiter of timedOut) {
        expect(waiter.error).toMatchObject({ code: 'POOL_TIMEOUT' });
        expect(waiter.error!.message).toMatch(
          new RegExp(
            `^timeout exceeded when trying to connect: waited ${POOL_TIMEOUT} ms \\(POOL_TIMEOUT=` +
              `${POOL_TIMEOUT}\\) for a database connection: ` +
              `${POOL_SIZE + MAX_OVERFLOW} in use, 0 idle, 0 connecting, \\d+ waiting; ` +
              `POOL_SIZE=${POOL_SIZE}, POOL_COUNT=1, MAX_OVERFLOW=${MAX_OVERFLOW} allow at most ` +
              `${POOL_SIZE + MAX_OVERFLOW}$`,
          ),
        );
        expect(waiter.waitedMillis).toBeGreaterThanOrEqual(POOL_TIMEOUT - 1);
      }
      const drainStarted = performance.now();
      const afterwards = await Promise.all(
        Array.from({ length: 30 }, (_, index) => pool.query<{ n: number }>('SELECT $1::int AS n', [index])),
      );
      expect(afterwards.map((result) => result.rows[0]!.n)).toEqual(
        Array.from({ length: 30 }, (_, index) => index),
      );
      const drainMillis = performance.now() - drainStarted;
      expect(pool.waitingCount).toBe(0);
      await waitUntil(
        'overflow closed and pool back to its prefilled size',
        async () =>
          pool.totalCount === POOL_SIZE &&
          pool.idleCount === POOL_SIZE &&
          (await serverBackendCount(scratch.url, APPLICATION_NAME)) === POOL_SIZE,
        10_000,
      );

      recordFigures('long-queries', {
        connections: POOL_SIZE + MAX_OVERFLOW,
        sleepSeconds: SLEEP_SECONDS,
        waiters: WAITERS,
        waitersTimedOut: timedOut.length,
        longestWaitMillis: ms(Math.max(...waiters.map((waiter) => waiter.waitedMillis))),
        firstTimeoutAfterMillis: ms(Math.min(...timedOut.map((waiter) => waiter.waitedMillis))),
        queriesAfterwards: afterwards.length,
        drainMillis: ms(drainMillis),
        waitPhaseMillis: ms(drainStarted - waitStarted),
        error: timedOut[0]?.error?.message,
      });
    } finally {
      await pool.end({ drainMillis: 1000 });
    }
  });
});
