import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHealthServer, type HealthServer } from '../../src/health/health-server.js';
import { createPool } from '../../src/pool/create-pool.js';
import type { ClientAtsPool, PooledClient } from '../../src/pool/pool-types.js';
import { eventually, testSettings } from '../support/health-fixture.js';
import { createScratchDatabase, startTestDatabase, type TestDatabase } from '../support/test-database.js';

const TOKEN = 'diagnostics-test-token';

interface Diagnostics {
  status: string;
  database: { status: string; latency_ms?: number; error?: string };
  pool: Record<string, unknown> & { pools: Record<string, number>[] };
  server: {
    max_connections: number;
    superuser_reserved_connections: number;
    reserved_connections: number;
    usable_connections: number;
    client_connections: number;
    available_connections: number;
  } | null;
  activity: {
    total_connections: number;
    active_connections: number;
    idle_connections: number;
    idle_in_transaction_connections: number;
    longest_transaction_minutes: number;
  } | null;
  recent: {
    window_minutes: number;
    checkout_timeouts: number;
    overflow_opened: number;
    connection_errors: number;
  };
  performance_insights: string[];
}

async function diagnostics(server: HealthServer): Promise<Diagnostics> {
  const response = await fetch(`${server.url}/health/diagnostics`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Diagnostics;
}

async function client(url: string): Promise<pg.Client> {
  const connection = new pg.Client({ connectionString: url });
  connection.on('error', () => undefined);
  await connection.connect();
  return connection;
}

describe('diagnostics on a scratch database', () => {
  let scratch: { url: string; close(): Promise<void> };
  let pool: ClientAtsPool;
  let server: HealthServer;
  const opened: pg.Client[] = [];
  const held: PooledClient[] = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase(inject('databaseUrl'), `health_diagnostics_${process.pid}`);
    const settings = testSettings(scratch.url, {
      POOL_SIZE: '4',
      MAX_OVERFLOW: '1',
      POOL_TIMEOUT: '1000',
      POOL_OVERFLOW_IDLE_MS: '0',
      HEALTH_CHECK_TOKEN: TOKEN,
    });
    pool = createPool(settings);
    await pool.ready;
    server = await createHealthServer({ pool, settings, port: 0, host: '127.0.0.1' });
    expect(await eventually(() => server.readiness.healthy)).toBe(true);
  });
  afterEach(async () => {
    for (const borrowed of held.splice(0)) borrowed.release();
    for (const connection of opened.splice(0)) await connection.end().catch(() => undefined);
  });
  afterAll(async () => {
    await server?.shutdown();
    await scratch?.close();
  });

  const open = async (): Promise<pg.Client> => {
    const connection = await client(scratch.url);
    opened.push(connection);
    return connection;
  };

  it("reports the guide's shape with live values read from PostgreSQL and the pool", async () => {
    const idleInTransaction = await open();
    await idleInTransaction.query('BEGIN');
    await idleInTransaction.query('SELECT 1');
    const sleeper = await open();
    const sleeperPid = (await sleeper.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    const sleeping = sleeper.query('SELECT pg_sleep(30)').catch(() => undefined);
    const observer = await open();
    const activeNow = async (): Promise<boolean> =>
      (
        await observer.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'`, [
          sleeperPid,
        ])
      ).rowCount === 1;
    expect(await eventually(activeNow)).toBe(true);
    const facts = (
      await observer.query<{ version: string; max: number; reserved: number; superuser: number }>(`
      SELECT current_setting('server_version') AS version, current_setting('max_connections')::int AS max,
             current_setting('superuser_reserved_connections')::int AS superuser,
             COALESCE(current_setting('reserved_connections', true), '0')::int AS reserved`)
    ).rows[0]!;

    const body = await diagnostics(server);
    const snapshot = pool.snapshot();
    await observer.query('SELECT pg_cancel_backend($1)', [sleeperPid]);
    await sleeping;

    expect(body.status).toBe('healthy');
    expect(body.database).toEqual({ status: 'healthy', latency_ms: expect.any(Number) });
    expect(body.pool).toMatchObject({
      pool_size: 4,
      pool_count: 1,
      max_overflow: 1,
      timeout_ms: 1000,
      database_version: `PostgreSQL ${facts.version.split(' ')[0]}`,
      total: snapshot.total,
      in_use: 0,
      idle: snapshot.idle,
      waiting: 0,
    });
    const usable = facts.max - facts.superuser - facts.reserved;
    expect(body.server).toMatchObject({
      max_connections: facts.max,
      superuser_reserved_connections: facts.superuser,
      reserved_connections: facts.reserved,
      usable_connections: usable,
    });
    // Every connection of this test and of the pool is a client backend of the server; the readiness connection too.
    expect(body.server?.client_connections).toBeGreaterThanOrEqual(snapshot.total + 4);
    expect(body.server?.available_connections).toBe(usable - (body.server?.client_connections ?? 0));
    // This database's client backends other than the diagnostics connection: the pool's and the three opened here.
    expect(body.activity).toEqual({
      total_connections: snapshot.total + 3,
      active_connections: 1,
      idle_connections: snapshot.idle + 1,
      idle_in_transaction_connections: 1,
      longest_transaction_minutes: expect.any(Number),
    });
    expect(body.activity?.longest_transaction_minutes).toBeGreaterThanOrEqual(0);
    expect(body.performance_insights).toEqual([]);
  });

  it("reports the pool at 75 % capacity in the guide's words", async () => {
    for (let index = 0; index < 2; index += 1) held.push(await pool.connect());
    expect((await diagnostics(server)).performance_insights).toEqual([]);
    held.push(await pool.connect());
    expect((await diagnostics(server)).performance_insights).toContain(
      'Connection pool at 75% capacity - consider increasing POOL_SIZE',
    );
  });

  it('reports recent checkout timeouts', async () => {
    for (let index = 0; index < 5; index += 1) held.push(await pool.connect());
    await expect(pool.connect()).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
    const body = await diagnostics(server);
    expect(body.recent.checkout_timeouts).toBe(pool.snapshot().timeouts);
    expect(body.performance_insights).toContain(
      `${pool.snapshot().timeouts} checkout${pool.snapshot().timeouts === 1 ? '' : 's'} timed out ` +
        'after POOL_TIMEOUT=1000 ms in the last 5 minutes - consider increasing POOL_SIZE or ' +
        'MAX_OVERFLOW, or shortening transactions',
    );
  });

  it('reports frequent overflow', async () => {
    for (let round = 0; round < 3; round += 1) {
      for (let index = 0; index < 5; index += 1) held.push(await pool.connect());
      for (const borrowed of held.splice(0)) borrowed.release();
      expect(await eventually(() => pool.snapshot().pools[0]?.overflowOpen === 0)).toBe(true);
    }
    const opened = pool.snapshot().overflowOpened;
    expect(opened).toBeGreaterThanOrEqual(3);
    expect((await diagnostics(server)).performance_insights).toContain(
      `Overflow connections opened ${opened} times in the last 5 minutes (MAX_OVERFLOW=1) - ` +
        'consider increasing POOL_SIZE',
    );
  });

  it('reports non-unique indexes that were never scanned, and not the ones used', async () => {
    const admin = await open();
    await admin.query(`CREATE TABLE jobs (id int PRIMARY KEY, ref text, status text, owner int)`);
    await admin.query(`CREATE INDEX jobs_status_idx ON jobs (status)`);
    await admin.query(`CREATE INDEX jobs_owner_idx ON jobs (owner)`);
    await admin.query(`CREATE UNIQUE INDEX jobs_ref_key ON jobs (ref)`);
    await admin.query(
      `INSERT INTO jobs SELECT n, 'r' || n, 'open', n % 10 FROM generate_series(1, 200) AS n`,
    );
    await admin.query('SET enable_seqscan = off');
    await admin.query('SELECT pg_stat_force_next_flush()');
    await admin.query('SELECT * FROM jobs WHERE owner = 3');
    const scanned = async (): Promise<boolean> => {
      await admin.query('SELECT pg_stat_clear_snapshot()');
      return (
        (
          await admin.query(
            `SELECT 1 FROM pg_stat_user_indexes WHERE indexrelname = 'jobs_owner_idx' AND idx_scan > 0`,
          )
        ).rowCount === 1
      );
    };
    expect(await eventually(scanned)).toBe(true);
    const insights = (await diagnostics(server)).performance_insights;
    expect(insights).toContain(
      'Unused index public.jobs_status_idx on public.jobs (idx_scan = 0) - consider dropping it',
    );
    expect(insights.filter((insight) => /jobs_owner_idx|jobs_ref_key|jobs_pkey/.test(insight))).toEqual([]);
    await admin.query('DROP TABLE jobs');
  });

  it('reports long transactions and sessions idle in transaction past their thresholds', async () => {
    const settings = testSettings(scratch.url, { POOL_SIZE: '1', HEALTH_CHECK_TOKEN: TOKEN });
    const quickPool = createPool(settings);
    const strict = await createHealthServer({
      pool: quickPool,
      settings,
      port: 0,
      host: '127.0.0.1',
      insightThresholds: { longTransactionMillis: 200, idleInTransactionMillis: 200 },
    });
    try {
      const session = await open();
      await session.query('BEGIN');
      await session.query('SELECT 1');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const body = await diagnostics(strict);
      expect(body.activity?.idle_in_transaction_connections).toBe(1);
      expect(body.performance_insights).toContain(
        '1 session idle in transaction for over 0.2 s - commit or roll back promptly, ' +
          'or set idle_in_transaction_session_timeout',
      );
      expect(
        body.performance_insights.filter((insight) =>
          /^Longest transaction open for \d+(\.\d+)? minutes - long transactions hold connections and block vacuum$/.test(
            insight,
          ),
        ),
      ).toHaveLength(1);
    } finally {
      await strict.shutdown();
    }
  });
});

describe('diagnostics of a server near its connection limit', () => {
  let database: TestDatabase;
  let server: HealthServer;
  let pool: ClientAtsPool;
  const extras: pg.Client[] = [];
  beforeAll(async () => {
    database = await startTestDatabase({ maxConnections: 23 });
    const settings = testSettings(database.url, { POOL_SIZE: '2', HEALTH_CHECK_TOKEN: TOKEN });
    pool = createPool(settings);
    await pool.ready;
    server = await createHealthServer({ pool, settings, port: 0, host: '127.0.0.1' });
    expect(await eventually(() => server.readiness.healthy)).toBe(true);
  });
  afterAll(async () => {
    for (const extra of extras) await extra.end().catch(() => undefined);
    await server?.shutdown();
    await database?.close();
  });

  it('reports PostgreSQL at 90 % or more of its usable connections', async () => {
    const before = await diagnostics(server);
    const usable = before.server!.usable_connections;
    expect(before.performance_insights).toEqual([]);
    const target = Math.ceil(usable * 0.9);
    for (let count = before.server!.client_connections; count < target; count += 1)
      extras.push(await client(database.url));
    const body = await diagnostics(server);
    const clients = body.server!.client_connections;
    expect(clients).toBe(pool.snapshot().total + 1 + extras.length);
    expect(body.performance_insights).toEqual([
      `PostgreSQL at ${Math.floor((clients / usable) * 100)}% of its usable connections (${clients} ` +
        `of ${usable}) - lower POOL_SIZE × POOL_COUNT per instance or put PgBouncer in front`,
    ]);
  });
});
