/**
 * The database server's side of a scenario: its count of a pool's backends
 * (by `application_name`), a ledger table that proves which acknowledged
 * writes survived, and a bounded wait for a condition.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/** Client backends the server has for one `application_name`. */
export async function serverBackendCount(adminUrl: string, applicationName: string): Promise<number> {
  return withAdmin(adminUrl, async (admin) => {
    const result = await admin.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM pg_stat_activity WHERE backend_type = 'client backend' AND " +
        'application_name = $1',
      [applicationName],
    );
    return result.rows[0]!.count;
  });
}

/** Terminates every client backend of one `application_name`; returns how many were signalled. */
export async function terminateBackends(adminUrl: string, applicationName: string): Promise<number> {
  return withAdmin(adminUrl, async (admin) => {
    const result = await admin.query<{ terminated: boolean }>(
      'SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE backend_type = ' +
        "'client backend' AND application_name = $1",
      [applicationName],
    );
    return result.rows.filter((row) => row.terminated).length;
  });
}

/** Runs `work` on a short-lived admin connection (never counted with the pool's backends). */
export async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: adminUrl,
    application_name: 'reliability-admin',
    connectionTimeoutMillis: 5000,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A table of acknowledged writes: `record(id)` inserts, `stored()` reads back every id the server kept. */
export interface Ledger {
  readonly table: string;
  /** The statement an operation runs: `INSERT INTO <table> (id) VALUES ($1)`. */
  readonly insert: string;
  stored(): Promise<Set<number>>;
}

/** Creates (or empties) a ledger table. */
export async function createLedger(adminUrl: string, table: string): Promise<Ledger> {
  const name = pg.escapeIdentifier(table);
  await withAdmin(adminUrl, (admin) =>
    admin.query(`DROP TABLE IF EXISTS ${name}; CREATE TABLE ${name} (id integer PRIMARY KEY)`),
  );
  return {
    table,
    insert: `INSERT INTO ${name} (id) VALUES ($1)`,
    stored: () =>
      withAdmin(
        adminUrl,
        async (admin) =>
          new Set((await admin.query<{ id: number }>(`SELECT id FROM ${name}`)).rows.map((row) => row.id)),
      ),
  };
}

/** Shortest bound of any wait: bounds are safety nets, and a loaded 2-core machine stretches every step. */
const MIN_WAIT_MILLIS = 30_000;

/**
 * Polls `condition` every `intervalMillis` until it holds; returns the ms it took.
 * @throws Error naming `what` when it still does not hold after `maxMillis` (at least 30 s).
 */
export async function waitUntil(
  what: string,
  condition: () => Promise<boolean> | boolean,
  requestedMillis = MIN_WAIT_MILLIS,
  intervalMillis = 50,
): Promise<number> {
  const maxMillis = Math.max(requestedMillis, MIN_WAIT_MILLIS);
  const started = performance.now();
  for (let attempt = 0; attempt < Math.ceil(maxMillis / intervalMillis) + 1; attempt += 1) {
    try {
      if (await condition()) return performance.now() - started;
    } catch {
      // The server may be down while we poll; keep polling until the bound.
    }
    if (performance.now() - started > maxMillis) break;
    await sleep(intervalMillis);
  }
  throw new Error(`${what} did not happen within ${maxMillis} ms`);
}
