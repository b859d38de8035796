/**
 * Fault: the server is at its connection limit because another client holds
 * every slot (SQLSTATE 53300). Callers get a clear timeout that names the limit
 * and the budget, the pool backs off instead of hammering the server, and it
 * fills up by itself once the slots are free.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/contract/index.js';
import { createPool } from '../../src/pool/create-pool.js';
import { startTestDatabase, type TestDatabase } from '../support/test-database.js';
import { ms, recordFigures } from './support/figures.js';
import { serverBackendCount, waitUntil } from './support/server-view.js';

const APPLICATION_NAME = 'reliability-limit';
const MAX_CONNECTIONS = 6;
const POOL_SIZE = 3;
const POOL_TIMEOUT = 400;
/** How long the slots stay taken while callers keep asking. */
const HELD_MILLIS = 3000;

describe('server at its connection limit', () => {
  let database: TestDatabase;
  const holders: pg.Client[] = [];
  beforeAll(async () => {
    database = await startTestDatabase({ maxConnections: MAX_CONNECTIONS, superuserReservedConnections: 0 });
  });
  afterAll(async () => {
    await Promise.allSettled(holders.map((client) => client.end()));
    await database?.close();
  });

  it(
    'gives callers a clear 53300 timeout, backs off while the slots are held and fills the pool once ' +
      'they are free',
    async () => {
      const refusal = await takeEverySlot(database.url, holders);
      expect(refusal).toMatchObject({ code: '53300', message: 'sorry, too many clients already' });

      const connectErrors: Array<{ at: number; message: string }> = [];
      const settings = loadSettings({
        DATABASE_URL: database.url,
        POOL_SIZE: String(POOL_SIZE),
        POOL_TIMEOUT: String(POOL_TIMEOUT),
      });
      const pool = createPool(settings, {
        applicationName: APPLICATION_NAME,
        observer: {
          onConnectError: (error) => connectErrors.push({ at: performance.now(), message: error.message }),
        },
      });
      let ready = false;
      void pool.ready.then(
        () => {
          ready = true;
        },
        () => undefined,
      );
      try {
        const heldFrom = performance.now();
        const callerErrors: Error[] = [];
        for (let caller = 0; caller < 4 && performance.now() - heldFrom < HELD_MILLIS; caller += 1) {
          const startedAt = performance.now();
          const error = await pool.query('SELECT 1').then(
            () => undefined,
            (failure: Error) => failure,
          );
          expect(error).toBeInstanceOf(Error);
          expect(performance.now() - startedAt).toBeGreaterThanOrEqual(POOL_TIMEOUT - 1);
          callerErrors.push(error!);
        }
        const remaining = HELD_MILLIS - (performance.now() - heldFrom);
        if (remaining > 0) await sleep(remaining);
        const attemptsWhileHeld = connectErrors.length;
        const heldMillis = performance.now() - heldFrom;

        expect(ready).toBe(false);
        for (const error of callerErrors) {
          expect(error).toMatchObject({ code: 'POOL_TIMEOUT' });
          expect(error.message).toContain('53300');
          expect(error.message).toContain('too many clients');
          expect(error.message).toMatch(/budget/i);
          expect(error.message).not.toContain(database.password);
          expect(error.message.split('\n')).toHaveLength(1);
        }
        // Backoff: a pool that retried in a tight loop would make hundreds of attempts here.
        expect(attemptsWhileHeld).toBeGreaterThan(0);
        expect(attemptsWhileHeld).toBeLessThan(heldMillis / 20);

        const freedAt = performance.now();
        await Promise.all(holders.splice(0).map((client) => client.end()));
        await pool.ready;
        const recoveryMillis = performance.now() - freedAt;
        expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
        await waitUntil(
          'pool prefilled after the slots were freed',
          async () =>
            pool.totalCount === POOL_SIZE &&
            (await serverBackendCount(database.url, APPLICATION_NAME)) === POOL_SIZE,
          10_000,
        );

        recordFigures('connection-limit', {
          maxConnections: MAX_CONNECTIONS,
          heldMillis: ms(heldMillis),
          callersTimedOut: callerErrors.length,
          connectAttemptsWhileHeld: attemptsWhileHeld,
          recoveryMillis: ms(recoveryMillis),
          callerError: callerErrors[0]?.message.replace(database.password, '<password>'),
        });
      } finally {
        await pool.end({ drainMillis: 1000 });
      }
    },
  );
});

/** Opens raw clients until the server refuses one; returns the refusal. Bounded by twice the limit. */
async function takeEverySlot(url: string, holders: pg.Client[]): Promise<Error & { code?: string }> {
  for (let attempt = 0; attempt < MAX_CONNECTIONS * 2; attempt += 1) {
    const client = new pg.Client({ connectionString: url, application_name: 'reliability-holder' });
    try {
      await client.connect();
      holders.push(client);
    } catch (error) {
      return error as Error & { code?: string };
    }
  }
  throw new Error(
    `the server accepted ${MAX_CONNECTIONS * 2} connections with max_connections=${MAX_CONNECTIONS}`,
  );
}
