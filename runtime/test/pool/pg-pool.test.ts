/**
 * `new Pool(options)` as a pg.Pool replacement, with the fake client: option
 * mapping, callbacks in pg.Pool's argument order (and no unhandled rejection
 * behind them), events, `maxUses`, `expiredCount`, `onConnect`, and client
 * classes whose `connect()` takes a callback. Real-server behaviour is in
 * pg-pool-postgres.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type pg from 'pg';
import { createPool } from '../../src/pool/create-pool.js';
import { mapPoolConfig, Pool } from '../../src/pool/pg-pool.js';
import { PoolEndedError, PoolTimeoutError } from '../../src/pool/pool-errors.js';
import type { ClientAtsPool } from '../../src/pool/pool-types.js';
import { MAX_TIMER_MILLIS } from '../../src/pool/waiter-queue.js';
import { fakeClientClass, settingsFor, type FakeBehaviour } from './pool-test-support.js';

const pools: ClientAtsPool[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.end({ drainMillis: 0 })));
});

function fakePool(config: pg.PoolConfig, behaviour: FakeBehaviour = {}) {
  const { Client, clients } = fakeClientClass(behaviour);
  const pool = new Pool({
    host: '127.0.0.1',
    port: 5999,
    ...config,
    Client: Client as unknown as pg.PoolConfig['Client'],
  });
  pools.push(pool);
  return { pool, clients };
}

describe('mapPoolConfig', () => {
  it('maps pg.Pool options onto the settings', () => {
    const { settings, options, setup } = mapPoolConfig({
      max: 8,
      min: 2,
      idleTimeoutMillis: 500,
      connectionTimeoutMillis: 300,
      maxLifetimeSeconds: 60,
      maxUses: 7,
      allowExitOnIdle: true,
      statement_timeout: 100,
      application_name: 'billing',
      connectionString: 'postgres://u:p@db:6543/app',
    });
    expect([settings.poolSize, settings.maxOverflow, settings.poolCount, settings.poolTimeoutMillis]).toEqual(
      [2, 6, 1, 300],
    );
    expect([
      settings.overflowIdleMillis,
      settings.maxLifetimeMillis,
      options.maxUses,
      options.allowExitOnIdle,
    ]).toEqual([500, 60_000, 7, true]);
    expect(setup.config).toEqual({
      application_name: 'billing',
      statement_timeout: 100,
      connectionString: 'postgres://u:p@db:6543/app',
      connectionTimeoutMillis: 300,
    });
    expect([setup.target.host, setup.target.port]).toEqual(['db', 6543]);
  });

  it(
    'uses pg.Pool defaults: max 10 kept, waits without a bound a timer can express, ' +
      'idle overflow kept when idleTimeoutMillis is 0',
    () => {
      const defaults = mapPoolConfig({});
      expect([
        defaults.settings.poolSize,
        defaults.settings.maxOverflow,
        defaults.settings.poolTimeoutMillis,
      ]).toEqual([10, 0, MAX_TIMER_MILLIS]);
      expect(defaults.setup.config).toEqual({ application_name: 'clientats' });
      expect(mapPoolConfig({ max: 4, min: 1, idleTimeoutMillis: 0 }).settings.overflowIdleMillis).toBe(
        Number.POSITIVE_INFINITY,
      );
    },
  );

  it('fails when max is not an integer >= 1', () => {
    expect(() => mapPoolConfig({ max: 0 })).toThrow(
      new Error("Pool option 'max' must be an integer >= 1, got 0"),
    );
  });

  it('fails when min exceeds max', () => {
    expect(() => mapPoolConfig({ max: 2, min: 3 })).toThrow(
      new Error("Pool option 'min' must not exceed 'max' (2), got 3"),
    );
  });

  it('fails when connectionTimeoutMillis is negative', () => {
    expect(() => mapPoolConfig({ connectionTimeoutMillis: -1 })).toThrow(
      new Error("Pool option 'connectionTimeoutMillis' must be a number of milliseconds >= 0, got -1"),
    );
  });
});

describe('callbacks', () => {
  it('calls query callbacks with (error, result) and leaves no unhandled rejection', async () => {
    const undefinedColumn = Object.assign(new Error('column "nope" does not exist'), {
      severity: 'ERROR',
      code: '42703',
    });
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    const { pool } = fakePool(
      { max: 1 },
      { query: (_client, text) => (text === 'SELECT nope' ? undefinedColumn : undefined) },
    );
    const failed = await new Promise<unknown[]>((resolve) =>
      pool.query('SELECT nope', (...args) => resolve(args)),
    );
    expect(failed).toEqual([undefinedColumn, undefined]);
    const answered = await new Promise<unknown[]>((resolve) =>
      pool.query('SELECT $1', [1], (...args) => resolve(args)),
    );
    expect(answered).toEqual([undefined, { rows: [{ client: 1 }], rowCount: 1 }]);
    expect(pool.query('SELECT 1', () => undefined)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.off('unhandledRejection', unhandled);
    expect(unhandled).not.toHaveBeenCalled();
  });

  it('calls connect callbacks with (error, client, done), done being release', async () => {
    const { pool } = fakePool({ max: 1 });
    const [error, client, done] = await new Promise<
      [Error | undefined, pg.PoolClient | undefined, (release?: unknown) => void]
    >((resolve) => pool.connect((...args) => resolve(args)));
    expect(error).toBeUndefined();
    expect(done).toBe(client?.release);
    done();
    expect(pool.idleCount).toBe(1);
  });

  it('fails when connect is called after end, through the callback', async () => {
    const { pool } = fakePool({ max: 1 });
    await pool.end();
    const [error, client] = await new Promise<unknown[]>((resolve) =>
      pool.connect((...args) => resolve(args)),
    );
    expect(error).toEqual(new PoolEndedError());
    expect(client).toBeUndefined();
  });

  it('calls the end callback once every connection is closed', async () => {
    const { pool, clients } = fakePool({ max: 2 });
    await pool.ready;
    await new Promise<void>((resolve) => {
      pool.end(resolve);
    });
    expect(clients.map((client) => client.ended)).toEqual([true, true]);
    expect(pool.ended).toBe(true);
  });
});

describe('end()', () => {
  it('answers every query issued before it on a warm pool of 2 (five queries)', async () => {
    const { pool } = fakePool({ max: 2 });
    await pool.ready;
    const queries = [1, 2, 3, 4, 5].map((n) => pool.query(`SELECT ${n}`));
    await pool.end();
    expect(await Promise.all(queries)).toHaveLength(5);
    await expect(pool.query('SELECT 6')).rejects.toBeInstanceOf(PoolEndedError);
  });
});

describe('events and counts', () => {
  it('emits connect, acquire, release and remove with the client, and error with err.client', async () => {
    const syntaxError = Object.assign(new Error('syntax error'), { severity: 'ERROR', code: '42601' });
    const { pool, clients } = fakePool(
      { max: 1 },
      { query: (_client, text) => (text === 'bad' ? syntaxError : undefined) },
    );
    const seen: string[] = [];
    pool.on('connect', (client) => seen.push(`connect ${(client as unknown as { id: number }).id}`));
    pool.on('acquire', () => seen.push('acquire'));
    pool.on('release', (error) => seen.push(`release ${error?.message ?? 'ok'}`));
    pool.on('remove', () => seen.push('remove'));
    const errors: [Error, unknown][] = [];
    pool.on('error', (error, client) => errors.push([error, client]));
    await pool.query('SELECT 1');
    await pool.query('bad').catch(() => undefined);
    const client = await pool.connect();
    client.release();
    const idleError = new Error('terminating connection due to administrator command');
    clients[0]?.emit('error', idleError);
    expect(seen).toEqual([
      'connect 1',
      'acquire',
      'release ok',
      'acquire',
      'release syntax error',
      'acquire',
      'release ok',
      'remove',
    ]);
    expect(errors).toEqual([[idleError, clients[0]]]);
    expect((idleError as Error & { client?: unknown }).client).toBe(clients[0]);
  });

  it('retires a connection after maxUses checkouts', async () => {
    const { pool, clients } = fakePool({ max: 1, maxUses: 2 });
    const ids: number[] = [];
    for (let n = 0; n < 5; n++)
      ids.push(
        ((await pool.query('SELECT 1')) as unknown as { rows: { client: number }[] }).rows[0]?.client ?? 0,
      );
    expect(ids).toEqual([1, 1, 2, 2, 3]);
    expect(clients.slice(0, 2).map((client) => client.ended)).toEqual([true, true]);
  });

  it(
    'counts connections past their lifetime that are still checked out in expiredCount, ' +
      'and closes them on release',
    async () => {
      let now = 0;
      const { Client, clients } = fakeClientClass();
      const pool = createPool(
        settingsFor('postgres://app@127.0.0.1:5999/app', { POOL_SIZE: '2', POOL_MAX_LIFETIME_MS: '1000' }),
        {
          Client,
          now: () => now,
        },
      );
      pools.push(pool);
      const [first, second] = [await pool.connect(), await pool.connect()];
      expect(pool.expiredCount).toBe(0);
      now = 2_000;
      expect(pool.expiredCount).toBe(2);
      first.release();
      expect(pool.expiredCount).toBe(1);
      expect(clients[0]?.ended).toBe(true);
      second.release();
      expect(pool.expiredCount).toBe(0);
    },
  );

  it('runs onConnect on every new connection before anyone uses it', async () => {
    const order: string[] = [];
    const { pool } = fakePool(
      {
        max: 1,
        // eslint-disable-next-line @typescript-eslint/no-misused-promises -- pg.Pool awaits a promise from onConnect
        onConnect: async (client) => {
          order.push('onConnect');
          await client.query('SET search_path = app');
        },
      },
      {},
    );
    pool.on('connect', () => order.push('connect'));
    await pool.query('SELECT 1');
    expect(order).toEqual(['onConnect', 'connect']);
  });

  it('fails a caller at the timeout when onConnect keeps failing, quoting the error', async () => {
    const refused = (): Promise<void> => Promise.reject(new Error('role "app" is not permitted'));
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- pg.Pool awaits a promise from onConnect
    const { pool } = fakePool({ max: 1, connectionTimeoutMillis: 200, onConnect: refused });
    const error = await pool.query('SELECT 1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PoolTimeoutError);
    expect((error as Error).message).toMatch(
      /^timeout exceeded when trying to connect: waited 200 ms \(POOL_TIMEOUT=200\)/,
    );
    expect((error as Error).message).toContain('role "app" is not permitted');
  });
});

describe('custom Client classes', () => {
  it('works with a client whose connect() takes a callback and returns nothing', async () => {
    const { Client } = fakeClientClass();
    class CallbackClient extends (Client as unknown as new () => { connect(): Promise<void> }) {
      override connect(callback?: (error?: Error) => void): Promise<void> {
        void super.connect().then(() => callback?.());
        return undefined as unknown as Promise<void>;
      }
    }
    const pool = new Pool({ max: 1, Client: CallbackClient as unknown as pg.PoolConfig['Client'] });
    pools.push(pool);
    expect(await pool.query('SELECT 1')).toEqual({ rows: [{ client: 1 }], rowCount: 1 });
  });
});
