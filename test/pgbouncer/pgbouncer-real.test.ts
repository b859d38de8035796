/**
 * The `pgbouncer.ini` the construct generates, run by a real PgBouncer
 * (Debian's 1.18, the oldest the settings target) in front of the suite's
 * PostgreSQL: it starts, authenticates with SCRAM from the userlist, pools
 * in transaction mode, and its max_db_connections holds. Only the listen
 * address and the userlist path are changed for loopback.
 */
import { Chart, Testing } from 'cdk8s';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool, loadSettings } from 'clientats-runtime';
import {
  createBouncerRole,
  hasPgbouncer,
  PGBOUNCER_SKIP_REASON,
  serverBackendsOf,
  startPgbouncer,
  type BouncerRole,
  type TestPgbouncer,
} from '../../runtime/test/support/pgbouncer.js';
import { renderPgbouncerIni } from '../../src/pgbouncer/pgbouncer-ini.js';
import { PgBouncer } from '../../src/pgbouncer/pgbouncer.js';
import { pgbouncerIniConfig } from '../../src/pgbouncer/pgbouncer-settings.js';

describe.skipIf(!hasPgbouncer)(
  `the generated pgbouncer.ini on a real PgBouncer${PGBOUNCER_SKIP_REASON}`,
  () => {
    const adminUrl = inject('databaseUrl');
    let role: BouncerRole;
    let bouncer: TestPgbouncer;
    let construct: PgBouncer;
    beforeAll(async () => {
      role = await createBouncerRole(adminUrl, 'bouncer_generated_ini');
      construct = new PgBouncer(new Chart(Testing.app(), 'test'), 'pgbouncer', {
        server: { host: 'unused', database: role.name },
        users: [role.name],
        defaultPoolSize: 2,
      });
      bouncer = await startPgbouncer({
        serverUrl: role.url,
        renderIni: (places) =>
          renderPgbouncerIni(
            pgbouncerIniConfig({
              ...construct.settings,
              serverHost: places.host,
              serverPort: places.serverPort,
              listenPort: places.listenPort,
              authFile: places.authFile,
              extra: { listen_addr: '127.0.0.1' },
            }),
          ),
      });
    });
    afterAll(async () => {
      await bouncer?.close();
      await role?.close();
    });

    it('serves 8 runtime connections on at most max_db_connections (2) server connections', async () => {
      expect(construct.settings).toMatchObject({
        defaultPoolSize: 2,
        maxDbConnections: 2,
        poolMode: 'transaction',
      });
      const pool = createPool(
        loadSettings({ DATABASE_URL: bouncer.url, DATABASE_POOLER: 'pgbouncer', POOL_SIZE: '8' }),
      );
      try {
        await pool.ready;
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          expect((await client.query<{ n: number }>('SELECT $1::int AS n', [7])).rows).toEqual([{ n: 7 }]);
          await client.query('COMMIT');
        } finally {
          client.release();
        }
        const answers = await Promise.all(
          Array.from({ length: 64 }, (_, n) =>
            pool.query<{ n: number }>('SELECT $1::int AS n, pg_sleep(0.005)', [n]),
          ),
        );
        expect(answers.map((answer) => answer.rows[0]!.n)).toEqual(Array.from({ length: 64 }, (_, n) => n));
        expect(await serverBackendsOf(adminUrl, role.name)).toBeLessThanOrEqual(2);
      } finally {
        await pool.end({ drainMillis: 1000 });
      }
    });
  },
);
