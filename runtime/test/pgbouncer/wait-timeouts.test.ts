/**
 * The two waits a request meets on its way through PgBouncer, and the error
 * each one gives: first the runtime pool's checkout (POOL_TIMEOUT →
 * `PoolTimeoutError`), then the bouncer's queue for a server connection
 * (`query_wait_timeout` → the bouncer answers SQLSTATE 08P01
 * "query_wait_timeout" and closes that client connection, which the pool
 * replaces).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadSettings } from '../../src/contract/index.js';
import { createPool } from '../../src/pool/create-pool.js';
import { PoolTimeoutError } from '../../src/pool/pool-errors.js';
import { waitUntil } from '../reliability/support/server-view.js';
import {
  createBouncerRole,
  hasPgbouncer,
  PGBOUNCER_SKIP_REASON,
  startPgbouncer,
  type BouncerRole,
  type TestPgbouncer,
} from '../support/pgbouncer.js';

describe.skipIf(!hasPgbouncer)(`waits through PgBouncer${PGBOUNCER_SKIP_REASON}`, () => {
  const adminUrl = inject('databaseUrl');
  let role: BouncerRole;
  let bouncer: TestPgbouncer;
  beforeAll(async () => {
    role = await createBouncerRole(adminUrl, 'bouncer_wait_timeouts');
    bouncer = await startPgbouncer({ serverUrl: role.url, defaultPoolSize: 1, queryWaitTimeoutSeconds: 1 });
  });
  afterAll(async () => {
    await bouncer?.close();
    await role?.close();
  });

  it(
    'fails with query_wait_timeout (08P01) when the bouncer has no server connection for 1 s, ' +
      'then recovers',
    async () => {
      const pool = createPool(
        loadSettings({
          DATABASE_URL: bouncer.url,
          DATABASE_POOLER: 'pgbouncer',
          POOL_SIZE: '2',
          POOL_TIMEOUT: '10000',
        }),
      );
      try {
        await pool.ready;
        const holder = await pool.connect();
        try {
          // An open transaction pins the bouncer's only server connection to this client.
          await holder.query('BEGIN');
          await holder.query('SELECT 1');
          const waited = pool.query('SELECT 2');
          await expect(waited).rejects.toMatchObject({ message: 'query_wait_timeout', code: '08P01' });
          await holder.query('ROLLBACK');
        } finally {
          holder.release();
        }
        await waitUntil(
          'pool refilled after the bouncer closed the timed-out connection',
          () => pool.totalCount === 2,
          10_000,
        );
        const answers = await Promise.all(
          [1, 2, 3, 4].map((n) => pool.query<{ n: number }>('SELECT $1::int AS n', [n])),
        );
        expect(answers.map((result) => result.rows[0]!.n)).toEqual([1, 2, 3, 4]);
      } finally {
        await pool.end({ drainMillis: 1000 });
      }
    },
  );

  it('fails with PoolTimeoutError after POOL_TIMEOUT when every runtime connection is checked out', async () => {
    const pool = createPool(
      loadSettings({
        DATABASE_URL: bouncer.url,
        DATABASE_POOLER: 'pgbouncer',
        POOL_SIZE: '1',
        POOL_TIMEOUT: '300',
      }),
    );
    try {
      await pool.ready;
      const holder = await pool.connect();
      try {
        const waited = pool.query('SELECT 1');
        await expect(waited).rejects.toBeInstanceOf(PoolTimeoutError);
        await expect(waited).rejects.toMatchObject({
          code: 'POOL_TIMEOUT',
          message: expect.stringMatching(
            /^timeout exceeded when trying to connect: waited 300 ms \(POOL_TIMEOUT=300\) for a database connection: 1 in use, 0 idle/,
          ),
        });
      } finally {
        holder.release();
      }
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end({ drainMillis: 1000 });
    }
  });
});
