/**
 * The runtime's pool through a real PgBouncer in transaction mode: plain and
 * parameterised queries (node-postgres' unnamed extended-protocol statements),
 * transactions on a checked-out client, `SET LOCAL`, and more client
 * connections than server connections. DATABASE_POOLER=pgbouncer keeps the
 * URL's `options` out of the startup packet, which the bouncer would refuse.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HEALTH_PATHS, loadSettings } from '../../src/contract/index.js';
import { createHealthServer } from '../../src/health/health-server.js';
import { clientSetup } from '../../src/pool/client-config.js';
import { createPool } from '../../src/pool/create-pool.js';
import {
  createBouncerRole,
  hasPgbouncer,
  PGBOUNCER_SKIP_REASON,
  serverBackendsOf,
  startPgbouncer,
  type BouncerRole,
  type TestPgbouncer,
} from '../support/pgbouncer.js';

const DEFAULT_POOL_SIZE = 2;

describe.skipIf(!hasPgbouncer)(
  `runtime pool through PgBouncer in transaction mode${PGBOUNCER_SKIP_REASON}`,
  () => {
    const adminUrl = inject('databaseUrl');
    let role: BouncerRole;
    let bouncer: TestPgbouncer;
    beforeAll(async () => {
      role = await createBouncerRole(adminUrl, 'bouncer_tx_pooling');
      bouncer = await startPgbouncer({ serverUrl: role.url, defaultPoolSize: DEFAULT_POOL_SIZE });
    });
    afterAll(async () => {
      await bouncer?.close();
      await role?.close();
    });

    it('answers queries and transactions from 6 client connections on at most 2 server connections', async () => {
      const pool = createPool(
        loadSettings({ DATABASE_URL: bouncer.url, DATABASE_POOLER: 'pgbouncer', POOL_SIZE: '6' }),
      );
      try {
        await pool.ready;
        await pool.query('CREATE TABLE IF NOT EXISTS accounts (id int PRIMARY KEY, balance int NOT NULL)');
        await pool.query('TRUNCATE accounts');
        const inserts = Array.from({ length: 40 }, (_, id) =>
          pool.query('INSERT INTO accounts VALUES ($1, $2)', [id, 100]),
        );
        await Promise.all(inserts);

        const transfer = async (from: number, to: number, amount: number): Promise<void> => {
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            await client.query("SET LOCAL statement_timeout = '5s'");
            await client.query('UPDATE accounts SET balance = balance - $2 WHERE id = $1', [from, amount]);
            await client.query('UPDATE accounts SET balance = balance + $2 WHERE id = $1', [to, amount]);
            const timeout = await client.query<{ statement_timeout: string }>('SHOW statement_timeout');
            expect(timeout.rows[0]!.statement_timeout).toBe('5s');
            await client.query('COMMIT');
          } finally {
            client.release();
          }
        };
        await Promise.all(Array.from({ length: 40 }, (_, index) => transfer(index, (index + 1) % 40, index)));

        const rolledBack = await pool.connect();
        try {
          await rolledBack.query('BEGIN');
          await rolledBack.query('UPDATE accounts SET balance = 0');
          await rolledBack.query('ROLLBACK');
        } finally {
          rolledBack.release();
        }

        const totals = await pool.query<{ total: number; rows: number }>(
          'SELECT sum(balance)::int AS total, count(*)::int AS rows FROM accounts',
        );
        expect(totals.rows[0]).toEqual({ total: 4000, rows: 40 });
        const typed = await pool.query<{ n: number; s: string }>('SELECT $1::int + 1 AS n, $2::text AS s', [
          41,
          'through the bouncer',
        ]);
        expect(typed.rows[0]).toEqual({ n: 42, s: 'through the bouncer' });
        expect(pool.totalCount).toBe(6);
        expect(await serverBackendsOf(adminUrl, role.name)).toBeLessThanOrEqual(DEFAULT_POOL_SIZE);
        await pool.query('DROP TABLE accounts');
      } finally {
        await pool.end({ drainMillis: 1000 });
      }
    });

    it('fails when the URL carries options and DATABASE_POOLER is not set: the bouncer refuses the login', async () => {
      const url = `${bouncer.url}?options=${encodeURIComponent('-c statement_timeout=1000')}`;
      const client = new pg.Client(
        clientSetup(loadSettings({ DATABASE_URL: url }), 'bouncer-options').config,
      );
      client.on('error', () => undefined);
      await expect(client.connect()).rejects.toThrow('unsupported startup parameter: options');
      await client.end().catch(() => undefined);
    });

    it('connects with the same URL when DATABASE_POOLER=pgbouncer, and warns that options are not sent', async () => {
      const url = `${bouncer.url}?options=${encodeURIComponent('-c statement_timeout=1000')}`;
      const warnings: string[] = [];
      const logger = {
        debug() {},
        info() {},
        warn: (_: object, message: string) => {
          warnings.push(message);
        },
        error() {},
      };
      const pool = createPool(
        loadSettings({ DATABASE_URL: url, DATABASE_POOLER: 'pgbouncer', POOL_SIZE: '2' }),
        { logger },
      );
      try {
        await pool.ready;
        expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
        expect(warnings).toEqual([
          'DATABASE_URL carries options=-c statement_timeout=1000, ' +
            'which is not sent because DATABASE_POOLER=pgbouncer: ' +
            'set it on the server instead (ALTER ROLE … SET …)',
        ]);
      } finally {
        await pool.end({ drainMillis: 1000 });
      }
    });

    it('authenticates with the SCRAM secret from pg_authid in the userlist, as the README shows', async () => {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      const secret = await admin
        .query<{ rolpassword: string }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role.name])
        .finally(() => admin.end());
      expect(secret.rows[0]!.rolpassword).toMatch(/^SCRAM-SHA-256\$/);
      const scramBouncer = await startPgbouncer({
        serverUrl: role.url,
        defaultPoolSize: 1,
        userlistSecret: secret.rows[0]!.rolpassword,
      });
      const pool = createPool(
        loadSettings({ DATABASE_URL: scramBouncer.url, DATABASE_POOLER: 'pgbouncer', POOL_SIZE: '2' }),
      );
      try {
        await pool.ready;
        expect((await pool.query<{ user: string }>('SELECT current_user AS user')).rows).toEqual([
          { user: role.name },
        ]);
      } finally {
        await pool.end({ drainMillis: 1000 });
        await scramBouncer.close();
      }
    });

    it('answers readiness and diagnostics through the bouncer', async () => {
      const settings = loadSettings({
        DATABASE_URL: bouncer.url,
        DATABASE_POOLER: 'pgbouncer',
        POOL_SIZE: '3',
        HEALTH_CHECK_TOKEN: 'token',
      });
      const pool = createPool(settings);
      const health = await createHealthServer({ pool, settings, port: 0, host: '127.0.0.1' });
      try {
        await pool.ready;
        const ready = await health.checkReadiness();
        expect(ready).toMatchObject({ healthy: true, reason: undefined });
        const response = await fetch(`${health.url}${HEALTH_PATHS.diagnostics}`, {
          headers: { authorization: 'Bearer token' },
        });
        expect(response.status).toBe(200);
        const body = (await response.json()) as {
          status: string;
          pool: { pool_size: number; database_version: string };
        };
        expect(body.status).toBe('healthy');
        expect(body.pool.pool_size).toBe(3);
        expect(body.pool.database_version).toMatch(/^PostgreSQL \d+/);
      } finally {
        await health.shutdown({ delayMillis: 0 });
        await pool.end({ drainMillis: 1000 });
      }
    });
  },
);
