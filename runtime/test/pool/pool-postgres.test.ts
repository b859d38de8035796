/**
 * The pool against the shared real PostgreSQL: exact backend counts through
 * pg_stat_activity, the bound under 50 callers, overflow linger, POOL_TIMEOUT,
 * idle errors, idle checks, lifetime, drain, URL schemes and Kysely.
 */
import type { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { loadSettings } from '../../src/contract/index.js';
import { createPool } from '../../src/pool/create-pool.js';
import { PoolTimeoutError } from '../../src/pool/pool-errors.js';
import type { ClientAtsPool, PoolOptions, PooledClient } from '../../src/pool/pool-types.js';
import type { Settings } from '../../src/contract/index.js';
import {
  connectAdmin,
  recordingLogger,
  settingsFor,
  sleep,
  uniqueApplicationName,
  type Admin,
} from './pool-test-support.js';

const databaseUrl = inject('databaseUrl');
let admin: Admin;
const pools: ClientAtsPool[] = [];

beforeAll(async () => {
  admin = await connectAdmin(databaseUrl);
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.end({ drainMillis: 0 })));
});

afterAll(async () => {
  await admin.close();
});

function track(
  settings: Settings,
  label: string,
  options: PoolOptions = {},
): { pool: ClientAtsPool; applicationName: string } {
  const applicationName = uniqueApplicationName(label);
  const pool = createPool(settings, { applicationName, ...options });
  pools.push(pool);
  return { pool, applicationName };
}

const waitLong = { timeout: 15_000, interval: 50 };

describe('connection counts', () => {
  it(
    'opens exactly POOL_COUNT x POOL_SIZE backends, never exceeds the bound under 50 callers, ' +
      'and returns after the linger',
    async () => {
      const settings = settingsFor(databaseUrl, {
        POOL_SIZE: '2',
        POOL_COUNT: '2',
        MAX_OVERFLOW: '1',
        POOL_OVERFLOW_IDLE_MS: '300',
      });
      const { pool, applicationName } = track(settings, 'bound');
      await pool.ready;
      expect(await admin.countBackends(applicationName)).toBe(4);
      expect(pool.totalCount).toBe(4);

      let running = true;
      const samples = { backends: 0, total: 0 };
      const sampler = (async () => {
        for (let round = 0; running && round < 10_000; round++) {
          samples.total = Math.max(samples.total, pool.totalCount);
          samples.backends = Math.max(samples.backends, await admin.countBackends(applicationName));
          samples.total = Math.max(samples.total, pool.totalCount);
        }
      })();
      const callers = Array.from({ length: 50 }, async () => {
        for (let round = 0; round < 8; round++) await pool.query('SELECT pg_sleep(0.01)');
      });
      await Promise.all(callers);
      running = false;
      await sampler;
      expect(samples.backends).toBe(6);
      expect(samples.total).toBe(6);
      expect(pool.snapshot().overflowOpened).toBe(2);

      await vi.waitFor(async () => expect(await admin.countBackends(applicationName)).toBe(4), waitLong);
      expect(pool.totalCount).toBe(4);
      expect(pool.snapshot().pools.map((each) => [each.persistentOpen, each.overflowOpen])).toEqual([
        [2, 0],
        [2, 0],
      ]);
    },
  );

  it(
    'fails a waiter no earlier than POOL_TIMEOUT=300 when every connection is held, ' +
      'with the counts in the message',
    async () => {
      const settings = settingsFor(databaseUrl, {
        POOL_SIZE: '2',
        POOL_COUNT: '2',
        MAX_OVERFLOW: '1',
        POOL_TIMEOUT: '300',
      });
      const { pool, applicationName } = track(settings, 'timeout');
      await pool.ready;
      const held: PooledClient[] = [];
      for (let index = 0; index < 6; index++) held.push(await pool.connect());
      expect(await admin.countBackends(applicationName)).toBe(6);
      const startedAt = performance.now();
      const error = await pool.connect().catch((caught: unknown) => caught);
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(300);
      expect(error).toBeInstanceOf(PoolTimeoutError);
      expect((error as PoolTimeoutError).code).toBe('POOL_TIMEOUT');
      expect((error as Error).message).toBe(
        'timeout exceeded when trying to connect: waited 300 ms (POOL_TIMEOUT=300) for a database connection: ' +
          '6 in use, 0 idle, 0 connecting, 1 waiting; POOL_SIZE=2, POOL_COUNT=2, MAX_OVERFLOW=1 allow at most 6',
      );
      for (const client of held) client.release();
    },
  );
});

describe('broken connections', () => {
  it('survives an error on an idle connection with no error listener, and replaces it', async () => {
    const logger = recordingLogger();
    const { pool, applicationName } = track(settingsFor(databaseUrl, { POOL_SIZE: '2' }), 'idle-error', {
      logger,
    });
    await pool.ready;
    expect((pool as unknown as EventEmitter).listenerCount('error')).toBe(0);
    const before = await admin.backendPids(applicationName);
    await admin.terminateBackends(applicationName);
    await vi.waitFor(async () => {
      const after = await admin.backendPids(applicationName);
      expect(after).toHaveLength(2);
      expect(after.filter((pid) => before.includes(pid))).toEqual([]);
    }, waitLong);
    expect(pool.snapshot().connectionErrors).toBe(2);
    expect(
      logger.entries.filter((entry) => entry.message === 'idle database connection failed; replacing it'),
    ).toHaveLength(2);
    expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('does not hand out a connection whose backend died while it was idle', async () => {
    const { pool, applicationName } = track(
      settingsFor(databaseUrl, { POOL_SIZE: '1', POOL_IDLE_CHECK_MS: '0' }),
      'idle-check',
    );
    await pool.ready;
    for (let round = 0; round < 3; round++) {
      await vi.waitFor(async () => expect(await admin.countBackends(applicationName)).toBe(1), waitLong);
      expect(await admin.terminateBackends(applicationName)).toBe(1);
      const result = await pool.query<{ name: string }>("SELECT current_setting('application_name') AS name");
      expect(result.rows).toEqual([{ name: applicationName }]);
    }
  });

  it('replaces connections once they reach POOL_MAX_LIFETIME_MS', async () => {
    const { pool, applicationName } = track(
      settingsFor(databaseUrl, { POOL_SIZE: '2', POOL_MAX_LIFETIME_MS: '400' }),
      'lifetime',
    );
    await pool.ready;
    const before = await admin.backendPids(applicationName);
    await vi.waitFor(async () => {
      const after = await admin.backendPids(applicationName);
      expect(after).toHaveLength(2);
      expect(after.filter((pid) => before.includes(pid))).toEqual([]);
    }, waitLong);
    expect(pool.snapshot().pools[0]?.persistentOpen).toBe(2);
  });
});

describe('end()', () => {
  it('waits a bounded time for a borrowed client, then closes every backend and cancels its query', async () => {
    const { pool, applicationName } = track(settingsFor(databaseUrl, { POOL_SIZE: '2' }), 'drain');
    await pool.ready;
    const client = await pool.connect();
    const slow = client.query('SELECT pg_sleep(30)').catch((caught: unknown) => caught);
    await pool.end({ drainMillis: 200 });
    expect(String(await slow)).toMatch(/^Error: Connection terminated/);
    // The cancel request travels on its own socket: the backend leaves a moment later, not 30 s later.
    await vi.waitFor(async () => expect(await admin.countBackends(applicationName)).toBe(0), {
      timeout: 5_000,
      interval: 20,
    });
    expect(pool.totalCount).toBe(0);
    client.release();
  });
});

describe('database URLs', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'clientats-url-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it.each(['postgres', 'postgresql', 'ecto'])('connects with a %s:// URL', async (scheme) => {
    const url = databaseUrl.replace(/^[a-z]+:/, `${scheme}:`);
    const { pool, applicationName } = track(settingsFor(url, { POOL_SIZE: '1' }), scheme);
    const result = await pool.query<{ name: string }>("SELECT current_setting('application_name') AS name");
    expect(result.rows).toEqual([{ name: applicationName }]);
  });

  it('connects with the URL read from DATABASE_URL_FILE', async () => {
    const file = join(directory, 'database-url');
    await writeFile(file, `${databaseUrl.replace(/^[a-z]+:/, 'ecto:')}\n`);
    const { pool } = track(loadSettings({ DATABASE_URL_FILE: file, POOL_SIZE: '1' }), 'url-file');
    expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });
});

describe('as a pg.Pool replacement', () => {
  it("works unchanged as the pool behind Kysely's PostgresDialect", async () => {
    const { pool, applicationName } = track(settingsFor(databaseUrl, { POOL_SIZE: '2' }), 'kysely');
    interface Database {
      clientats_kysely_probe: { id: number; label: string };
    }
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const rows = await db.transaction().execute(async (trx) => {
      await sql`CREATE TEMPORARY TABLE clientats_kysely_probe (id int, label text) ON COMMIT DROP`.execute(
        trx,
      );
      await trx
        .insertInto('clientats_kysely_probe')
        .values([
          { id: 1, label: 'one' },
          { id: 2, label: 'two' },
        ])
        .execute();
      return trx.selectFrom('clientats_kysely_probe').select(['id', 'label']).where('id', '>', 1).execute();
    });
    expect(rows).toEqual([{ id: 2, label: 'two' }]);
    const {
      rows: [counted],
    } = await sql<{
      backends: number;
    }>`SELECT count(*)::int AS backends FROM pg_stat_activity WHERE application_name = ${applicationName}`.execute(
      db,
    );
    expect(counted).toEqual({ backends: 2 });
    await db.destroy();
    expect(pool.totalCount).toBe(0);
    await sleep(0);
  });
});
