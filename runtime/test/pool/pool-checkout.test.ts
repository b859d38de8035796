/**
 * The pool's checkout logic with a fake client: FIFO waiters, work-conserving
 * routing over POOL_COUNT pools, overflow and its linger, timeouts, eviction,
 * idle checks, lifetime, leak warnings and end(). Behaviour against a real
 * PostgreSQL is in pool-postgres.test.ts and the other *.test.ts files here.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createPool,
  housekeepingMillis,
  reconnectDelay,
  RECONNECT_MAX_MILLIS,
} from '../../src/pool/create-pool.js';
import { ConnectError, PoolEndedError, PoolTimeoutError } from '../../src/pool/pool-errors.js';
import type { ClientAtsPool, CloseReason, PoolOptions, PooledClient } from '../../src/pool/pool-types.js';
import { fakeClientClass, recordingLogger, settingsFor, type FakeBehaviour } from './pool-test-support.js';

const URL = 'postgres://app:secret@127.0.0.1:5999/app';
const pools: ClientAtsPool[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.end({ drainMillis: 0 })));
});

function fakePool(env: Record<string, string>, behaviour: FakeBehaviour = {}, options: PoolOptions = {}) {
  const { Client, clients } = fakeClientClass(behaviour);
  const closed: CloseReason[] = [];
  const waits: number[] = [];
  const logger = recordingLogger();
  const pool = createPool(settingsFor(URL, env), {
    Client,
    logger,
    observer: {
      onConnectionClosed: (_index, _overflow, reason) => closed.push(reason),
      onCheckout: (_index, wait) => waits.push(wait),
    },
    ...options,
  });
  pools.push(pool);
  return { pool, clients, closed, waits, logger };
}

const clientId = (client: PooledClient): number => (client as unknown as { id: number }).id;

describe('checkout order and routing', () => {
  it('hands connections to waiters in the order they asked (FIFO)', async () => {
    const { pool, clients } = fakePool({ POOL_SIZE: '1' });
    await pool.ready;
    const holder = await pool.connect();
    // The one connection runs each caller's query in the order it was handed out.
    const callers = [0, 1, 2, 3, 4].map(async (index) => {
      if (index % 2 === 1) return pool.query(`caller ${index}`);
      const client = await pool.connect();
      await client.query(`caller ${index}`);
      client.release();
      return undefined;
    });
    expect(pool.waitingCount).toBe(5);
    holder.release();
    await Promise.all(callers);
    expect(clients).toHaveLength(1);
    expect(clients[0]?.queries).toEqual(['caller 0', 'caller 1', 'caller 2', 'caller 3', 'caller 4']);
  });

  it('takes an idle connection from any pool before anyone waits (work-conserving)', async () => {
    const { pool, waits } = fakePool({ POOL_SIZE: '1', POOL_COUNT: '3' });
    await pool.ready;
    const borrowed = [await pool.connect(), await pool.connect(), await pool.connect()];
    expect(new Set(borrowed.map(clientId)).size).toBe(3);
    expect(waits).toEqual([0, 0, 0]);
    expect(pool.snapshot().pools.map((each) => each.inUse)).toEqual([1, 1, 1]);
    for (const client of borrowed) client.release();
  });

  it('opens overflow in each pool whose persistent connections are all busy, then queues', async () => {
    const { pool, clients } = fakePool({ POOL_SIZE: '1', POOL_COUNT: '2', MAX_OVERFLOW: '1' });
    await pool.ready;
    const borrowed = await Promise.all([pool.connect(), pool.connect(), pool.connect(), pool.connect()]);
    expect(clients).toHaveLength(4);
    expect(pool.snapshot().pools.map((each) => [each.persistentOpen, each.overflowOpen, each.inUse])).toEqual(
      [
        [1, 1, 2],
        [1, 1, 2],
      ],
    );
    const fifth = pool.connect();
    expect(pool.waitingCount).toBe(1);
    expect(clients).toHaveLength(4);
    borrowed[2]?.release();
    expect(clientId(await fifth)).toBe(clientId(borrowed[2] as PooledClient));
    expect(pool.totalCount).toBe(4);
  });

  it('reuses idle persistent connections before overflow ones and closes overflow after the linger', async () => {
    const { pool, clients, closed } = fakePool({
      POOL_SIZE: '1',
      MAX_OVERFLOW: '1',
      POOL_OVERFLOW_IDLE_MS: '40',
    });
    await pool.ready;
    const [first, second] = await Promise.all([pool.connect(), pool.connect()]);
    expect(clients).toHaveLength(2);
    first?.release();
    second?.release();
    const again = await pool.connect();
    expect(clientId(again)).toBe(1);
    again.release();
    await vi.waitFor(() => expect(pool.snapshot().pools[0]?.overflowOpen).toBe(0), {
      timeout: 5_000,
      interval: 10,
    });
    expect(closed).toEqual(['overflow-idle']);
    expect(clients[1]?.ended).toBe(true);
    expect(pool.totalCount).toBe(1);
  });
});

describe('timeouts', () => {
  it('fails a waiter after POOL_TIMEOUT, never earlier, quoting the settings and live counts', async () => {
    const { pool } = fakePool({ POOL_SIZE: '1', POOL_TIMEOUT: '50' });
    await pool.ready;
    const holder = await pool.connect();
    const startedAt = performance.now();
    const error = await pool.connect().catch((caught: unknown) => caught);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(50);
    expect(error).toBeInstanceOf(PoolTimeoutError);
    expect((error as PoolTimeoutError).code).toBe('POOL_TIMEOUT');
    expect((error as Error).message).toBe(
      'timeout exceeded when trying to connect: waited 50 ms (POOL_TIMEOUT=50) for a database connection: ' +
        '1 in use, 0 idle, 0 connecting, 1 waiting; POOL_SIZE=1, POOL_COUNT=1, MAX_OVERFLOW=0 allow at most 1',
    );
    expect(pool.snapshot().timeouts).toBe(1);
    expect(pool.waitingCount).toBe(0);
    holder.release();
  });

  it('quotes the last connect error, and backs off, while the database refuses', async () => {
    const refused = (): Promise<void> =>
      Promise.reject(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5999'), { code: 'ECONNREFUSED' }),
      );
    const { pool, clients, logger } = fakePool({ POOL_SIZE: '1', POOL_TIMEOUT: '200' }, { connect: refused });
    const error = await pool.query('SELECT 1').catch((caught: unknown) => caught);
    expect((error as Error).message).toBe(
      'timeout exceeded when trying to connect: waited 200 ms (POOL_TIMEOUT=200) for a database connection: ' +
        '0 in use, 0 idle, 0 connecting, 1 waiting; POOL_SIZE=1, POOL_COUNT=1, MAX_OVERFLOW=0 allow at most 1; ' +
        'last connect error: connection to 127.0.0.1:5999 refused (ECONNREFUSED): ' +
        'is PostgreSQL running and listening on that host and port?',
    );
    expect((error as Error).cause).toBeInstanceOf(ConnectError);
    // Backoff: 100 ms doubling, at least half of it each time, so at most 3 attempts fit in 200 ms.
    expect(clients.length).toBeGreaterThanOrEqual(1);
    expect(clients.length).toBeLessThanOrEqual(3);
    expect(logger.entries.some((entry) => entry.level === 'warn' && entry.message.includes('secret'))).toBe(
      false,
    );
    expect(pool.snapshot().lastConnectError).toContain('refused (ECONNREFUSED)');
  });

  it(
    'counts attempts that fail together (a restart breaking every connection) ' +
      'as one failure for the backoff',
    async () => {
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5999'), {
        code: 'ECONNREFUSED',
      });
      // The four prefill attempts run at once and all fail; later attempts succeed.
      const { pool, clients, logger } = fakePool(
        { POOL_SIZE: '4' },
        { connect: (client) => (client.id <= 4 ? Promise.reject(refused) : Promise.resolve()) },
      );
      await pool.ready;
      const failures = logger.entries.filter(
        (entry) => entry.level === 'warn' && entry.message.includes('refused'),
      );
      expect(failures.map((entry) => entry.object.failedAttempts)).toEqual([1]);
      expect(failures[0]?.object.retryInMillis).toBeLessThanOrEqual(100);
      expect(
        logger.entries.filter((entry) => entry.level === 'debug' && entry.message.includes('refused')),
      ).toHaveLength(3);
      expect(clients).toHaveLength(8);
      expect(
        logger.entries.some(
          (entry) => entry.message === 'database connection restored' && entry.object.failedAttempts === 1,
        ),
      ).toBe(true);
    },
  );

  it('grows the reconnect delay exponentially with jitter up to a cap', () => {
    expect([1, 2, 3].map((failures) => reconnectDelay(failures, 0))).toEqual([50, 100, 200]);
    expect([1, 2, 3].map((failures) => reconnectDelay(failures, 1))).toEqual([100, 200, 400]);
    expect(reconnectDelay(30, 1)).toBe(RECONNECT_MAX_MILLIS);
    expect(
      housekeepingMillis({
        maxOverflow: 2,
        overflowIdleMillis: 200,
        leakWarningMillis: 0,
        maxLifetimeMillis: 0,
      }),
    ).toBe(100);
    expect(
      housekeepingMillis({
        maxOverflow: 0,
        overflowIdleMillis: 10_000,
        leakWarningMillis: 60_000,
        maxLifetimeMillis: 1_800_000,
      }),
    ).toBe(1_000);
  });
});

describe('failures', () => {
  it('keeps a connection after an SQL error and closes it after a connection error', async () => {
    const failWith: Error[] = [];
    const { pool, clients, closed } = fakePool({ POOL_SIZE: '1' }, { query: () => failWith.shift() });
    await pool.ready;
    failWith.push(
      Object.assign(new Error('syntax error at or near "SELEC"'), { severity: 'ERROR', code: '42601' }),
    );
    await expect(pool.query('SELEC 1')).rejects.toThrow('syntax error at or near "SELEC"');
    expect(pool.totalCount).toBe(1);
    expect(closed).toEqual([]);
    failWith.push(new Error('Connection terminated unexpectedly'));
    await expect(pool.query('SELECT 1')).rejects.toThrow('Connection terminated unexpectedly');
    expect(closed).toEqual(['broken']);
    expect(clients[0]?.ended).toBe(true);
    const result = await pool.query<{ client: number }>('SELECT 1');
    expect(result.rows[0]?.client).toBe(2);
  });

  it('never crashes on an error of an idle connection without an error listener, and replaces it', async () => {
    const { pool, clients, closed, logger } = fakePool({ POOL_SIZE: '2' });
    await pool.ready;
    clients[0]?.emit('error', new Error('Connection terminated unexpectedly'));
    clients[0]?.emit('error', new Error('Connection terminated unexpectedly'));
    expect(closed).toEqual(['broken']);
    expect(pool.snapshot().connectionErrors).toBe(1);
    expect(
      logger.entries.filter((entry) => entry.message === 'idle database connection failed; replacing it'),
    ).toHaveLength(1);
    await vi.waitFor(() => expect(pool.snapshot().pools[0]?.persistentOpen).toBe(2), {
      timeout: 5_000,
      interval: 10,
    });
    expect(clients).toHaveLength(3);
  });

  it('passes an idle connection error to error listeners', async () => {
    const { pool, clients } = fakePool({ POOL_SIZE: '1' });
    await pool.ready;
    const seen: Error[] = [];
    pool.on('error', (error) => seen.push(error));
    const error = new Error('terminating connection due to administrator command');
    clients[0]?.emit('error', error);
    expect(seen).toEqual([error]);
  });

  it('does not hand out a connection that fails its idle check', async () => {
    const { pool, clients, closed } = fakePool(
      { POOL_SIZE: '1', POOL_IDLE_CHECK_MS: '0' },
      {
        query: (client) =>
          client.id === 1 && client.queries.length > 0
            ? new Error('Connection terminated unexpectedly')
            : undefined,
      },
    );
    await pool.ready;
    clients[0]?.queries.push('(now silently dead)');
    const result = await pool.query<{ client: number }>('SELECT now()');
    expect(result.rows[0]?.client).toBe(2);
    expect(clients[0]?.queries).toEqual(['(now silently dead)', 'SELECT 1']);
    expect(closed).toEqual(['failed-check']);
  });

  it('closes a client its borrower ended instead of handing it out again', async () => {
    const { pool, clients, closed } = fakePool({ POOL_SIZE: '1' });
    const client = await pool.connect();
    await (client as unknown as { end(): Promise<void> }).end();
    (client as unknown as { _ending: boolean })._ending = true;
    client.release();
    expect(closed).toEqual(['broken']);
    const result = await pool.query<{ client: number }>('SELECT 1');
    expect(result.rows[0]?.client).toBe(2);
    expect(clients).toHaveLength(2);
  });

  it('fails when a client is released twice', async () => {
    const { pool } = fakePool({ POOL_SIZE: '1' });
    const client = await pool.connect();
    client.release();
    expect(() => client.release()).toThrow(
      new Error('release() called on a client that was already released to the pool'),
    );
  });
});

describe('lifetime and leaks', () => {
  it('replaces connections older than POOL_MAX_LIFETIME_MS', async () => {
    const { pool, clients, closed } = fakePool({ POOL_SIZE: '1', POOL_MAX_LIFETIME_MS: '60' });
    await pool.ready;
    await vi.waitFor(() => expect(clients.length).toBeGreaterThanOrEqual(2), {
      timeout: 5_000,
      interval: 10,
    });
    expect(closed[0]).toBe('max-lifetime');
    expect(clients[0]?.ended).toBe(true);
    await vi.waitFor(() => expect(pool.snapshot().pools[0]?.persistentOpen).toBe(1), {
      timeout: 5_000,
      interval: 10,
    });
  });

  it(
    'warns when a connection is held past POOL_LEAK_WARNING_MS, ' +
      "with the borrower's stack from the second leak on",
    async () => {
      const { pool, logger } = fakePool({ POOL_SIZE: '1', POOL_LEAK_WARNING_MS: '40' });
      const warnings = () => logger.entries.filter((entry) => entry.level === 'warn');
      const first = await pool.connect();
      await vi.waitFor(() => expect(warnings()).toHaveLength(1), { timeout: 5_000, interval: 10 });
      expect(warnings()[0]?.message).toMatch(
        /^database connection checked out \d+ ms ago and not released \(POOL_LEAK_WARNING_MS=40\): is a release\(\) missing\? The stacks of connect\(\) callers are recorded from now on, so the next warning shows where\.$/,
      );
      expect(warnings()[0]?.object.stack).toBeUndefined();
      first.release();
      const second = await (async function borrowAndForget() {
        return pool.connect();
      })();
      await vi.waitFor(() => expect(warnings()).toHaveLength(2), { timeout: 5_000, interval: 10 });
      expect(warnings()[1]?.message).toMatch(
        /^database connection checked out \d+ ms ago and not released \(POOL_LEAK_WARNING_MS=40\): is a release\(\) missing\?$/,
      );
      expect(String(warnings()[1]?.object.stack)).toContain('borrowAndForget');
      second.release();
    },
  );
});

describe('end()', () => {
  it('serves callers queued before end(), refuses calls made after it, then closes everything', async () => {
    const { pool, clients } = fakePool({ POOL_SIZE: '1' });
    const holder = await pool.connect();
    const queued = pool.query('SELECT queued');
    let ended = false;
    const ending = pool.end({ drainMillis: 30_000 }).then(() => {
      ended = true;
    });
    await expect(pool.connect()).rejects.toThrow(
      new PoolEndedError('the pool has been ended (pool.end() was called): it hands out no more connections'),
    );
    await expect(pool.query('SELECT 1')).rejects.toBeInstanceOf(PoolEndedError);
    await new Promise((resolve) => setImmediate(resolve));
    expect(ended).toBe(false);
    holder.release();
    expect(await queued).toEqual({ rows: [{ client: 1 }], rowCount: 1 });
    await ending;
    expect(clients.every((client) => client.ended)).toBe(true);
    expect(pool.totalCount).toBe(0);
    expect(pool.end()).toBe(pool.end());
  });

  it('fails callers still queued when the drain time runs out, and does not hang', async () => {
    const { pool } = fakePool({ POOL_SIZE: '1' });
    await pool.connect();
    const queued = pool.connect().catch((caught: unknown) => caught);
    await pool.end({ drainMillis: 20 });
    expect(await queued).toEqual(
      new PoolEndedError(
        'the pool was ended (pool.end() was called) and its drain time ran out while this caller ' +
          'waited for a connection',
      ),
    );
  });

  it('closes connections still borrowed after the drain time', async () => {
    const { pool, clients } = fakePool({ POOL_SIZE: '1' });
    const holder = await pool.connect();
    await pool.end({ drainMillis: 20 });
    expect(clients[0]?.ended).toBe(true);
    expect(() => holder.release()).not.toThrow();
  });

  it('rejects ready when the pool is ended before it is ready, and still ends', async () => {
    const { pool } = fakePool({ POOL_SIZE: '2' }, { connect: () => 'hang' });
    await pool.end();
    await expect(pool.ready).rejects.toThrow(
      new PoolEndedError('the pool was ended (pool.end() was called) before it was ready'),
    );
  });
});
