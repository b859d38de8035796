/**
 * `new Pool(options)` against the shared real PostgreSQL, the way code written
 * for `pg.Pool` uses it: client options on every connection (and not on the
 * readiness probe's), queued queries answered across `end()`,
 * `allowExitOnIdle` in a child script, and Drizzle and Kysely running a
 * transaction and shutting the pool down, typed without a cast.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql as drizzleSql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { probeClientConfig } from '../../src/pool/client-config.js';
import { createPool } from '../../src/pool/create-pool.js';
import { Pool } from '../../src/pool/pg-pool.js';
import { PoolEndedError } from '../../src/pool/pool-errors.js';
import type { ClientAtsPool } from '../../src/pool/pool-types.js';
import { settingsFor, uniqueApplicationName } from './pool-test-support.js';

const databaseUrl = inject('databaseUrl');
const pools: ClientAtsPool[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.end({ drainMillis: 0 })));
});

function track<T extends ClientAtsPool>(pool: T): T {
  pools.push(pool);
  return pool;
}

const RUNTIME_INDEX = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const binary = { binary: true } as pg.PoolConfig;

describe('client options', () => {
  it(
    'reach every connection the pool opens: statement_timeout, application_name, types, binary, ' +
      'query_timeout',
    async () => {
      const applicationName = uniqueApplicationName('pg-options');
      const pool = track(
        new Pool({
          connectionString: databaseUrl,
          max: 2,
          statement_timeout: 1500,
          application_name: applicationName,
          ...binary, // a pg.ClientConfig field @types/pg leaves out
          query_timeout: 150,
          types: {
            getTypeParser: (oid: number) =>
              oid === 25 ? (value: string | Buffer) => `text:${String(value)}` : pg.types.getTypeParser(oid),
          },
        }),
      );
      await pool.ready;
      const [first, second] = [await pool.connect(), await pool.connect()];
      for (const client of [first, second]) {
        const { rows } = await client.query<{ timeout: string; name: string }>(
          "SELECT current_setting('statement_timeout') AS timeout, current_setting('application_name') AS name",
        );
        expect(rows).toEqual([{ timeout: 'text:1500ms', name: `text:${applicationName}` }]);
        expect((client as unknown as { binary: boolean }).binary).toBe(true);
      }
      first.release();
      second.release();
      await expect(pool.query('SELECT pg_sleep(2)')).rejects.toThrow('Query read timeout');
    },
  );

  it("reach createPool's connections through options.clientConfig, and not the readiness probe's", async () => {
    const pool = track(
      createPool(settingsFor(databaseUrl, { POOL_SIZE: '1' }), { clientConfig: { statement_timeout: 250 } }),
    );
    const { rows } = await pool.query<{ timeout: string }>('SHOW statement_timeout');
    expect(rows).toEqual([{ statement_timeout: '250ms' }]);
    const probe = new pg.Client(probeClientConfig(pool.clientConfig, 'clientats-readiness'));
    await probe.connect();
    try {
      const shown = await probe.query(
        "SELECT current_setting('statement_timeout') AS timeout, current_setting('application_name') AS name",
      );
      expect(shown.rows).toEqual([{ timeout: '0', name: 'clientats-readiness' }]);
    } finally {
      await probe.end();
    }
  });
});

describe('end()', () => {
  it('answers five queries issued on a warm pool of 2 before end(), and refuses the ones after', async () => {
    const pool = track(new Pool({ connectionString: databaseUrl, max: 2 }));
    await pool.ready;
    const answers = [1, 2, 3, 4, 5].map((n) =>
      pool.query<{ n: number }>('SELECT $1::int AS n, pg_sleep(0.05)', [n]),
    );
    const ended = pool.end();
    await expect(pool.query('SELECT 1')).rejects.toBeInstanceOf(PoolEndedError);
    expect((await Promise.all(answers)).map((result) => result.rows[0]?.n)).toEqual([1, 2, 3, 4, 5]);
    await ended;
    expect(pool.totalCount).toBe(0);
  });
});

describe('allowExitOnIdle', () => {
  it('lets a script that never calls end() exit once its queries are done', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'clientats-exit-on-idle-'));
    try {
      const script = join(folder, 'script.mts');
      await writeFile(
        script,
        [
          `import { Pool } from ${JSON.stringify(RUNTIME_INDEX)};`,
          `const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2, allowExitOnIdle: true });`,
          `const { rows } = await pool.query('SELECT 41 + 1 AS answer');`,
          `console.log(rows[0].answer);`,
        ].join('\n'),
      );
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: databaseUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      const safety = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      clearTimeout(safety);
      expect({ code, output: output.trim() }).toEqual({ code: 0, output: '42' });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('ORMs over the runtime Pool, typed without a cast', () => {
  it('runs a Drizzle transaction on one connection, then ends the pool', async () => {
    const pool = track(new Pool({ connectionString: databaseUrl, max: 2 }));
    const db = drizzle(pool);
    const pids = await db.transaction(async (tx) => {
      await tx.execute(drizzleSql`CREATE TEMPORARY TABLE clientats_drizzle_probe (id int) ON COMMIT DROP`);
      await tx.execute(drizzleSql`INSERT INTO clientats_drizzle_probe VALUES (1), (2)`);
      const counted = await tx.execute<{ count: number; pid: number }>(
        drizzleSql`SELECT count(*)::int AS count, pg_backend_pid() AS pid FROM clientats_drizzle_probe`,
      );
      const again = await tx.execute<{ pid: number }>(drizzleSql`SELECT pg_backend_pid() AS pid`);
      return [counted.rows[0], again.rows[0]?.pid];
    });
    expect(pids[0]).toMatchObject({ count: 2 });
    expect((pids[0] as { pid: number }).pid).toBe(pids[1]);
    await db.$client.end();
    expect(pool.ended).toBe(true);
  });

  it('runs a Kysely transaction, then destroy() ends the pool', async () => {
    const pool = track(new Pool({ connectionString: databaseUrl, max: 2 }));
    interface Database {
      clientats_kysely_pg_probe: { id: number };
    }
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const count = await db.transaction().execute(async (trx) => {
      await sql`CREATE TEMPORARY TABLE clientats_kysely_pg_probe (id int) ON COMMIT DROP`.execute(trx);
      await trx
        .insertInto('clientats_kysely_pg_probe')
        .values([{ id: 1 }, { id: 2 }, { id: 3 }])
        .execute();
      return trx
        .selectFrom('clientats_kysely_pg_probe')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
    });
    expect(Number(count.n)).toBe(3);
    await db.destroy();
    expect(pool.ended).toBe(true);
  });
});
