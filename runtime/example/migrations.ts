/**
 * The clients API's schema, as numbered migrations applied once each. Every
 * replica runs `migrate()` at start; a transaction-scoped advisory lock makes
 * concurrent starts (a rollout's surge pods) apply each migration exactly once.
 */

/** A connection that runs SQL: a checked-out pool client. */
export interface MigrationClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  release(error?: Error | boolean): void;
}

/** Something that hands out connections: the runtime's pool or a `pg.Pool`. */
export interface MigrationPool {
  connect(): Promise<MigrationClient>;
}

/** One migration: a version that sorts in order and the SQL that applies it. */
export interface Migration {
  readonly version: string;
  readonly sql: string;
}

/** The migrations, in order. */
const MIGRATIONS: readonly Migration[] = [
  {
    version: '001_create_clients',
    sql: `
      CREATE TABLE clients (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        email text NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 320),
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
  },
];

/** Key of the advisory lock the migrations hold (any constant bigint shared by every replica). */
const MIGRATION_LOCK_KEY = 7_411_203_961;

/** Applies the migrations not applied yet; returns their versions. */
export async function migrate(
  pool: MigrationPool,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<string[]> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query('SELECT version FROM schema_migrations');
    const done = new Set((rows as { version: string }[]).map((row) => row.version));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [migration.version]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    failure = error as Error;
    await client.query('ROLLBACK').catch(() => undefined);
    throw new Error(`migrations failed: ${failure.message}`, { cause: error });
  } finally {
    // A connection whose rollback may have failed is closed, not reused.
    client.release(failure);
  }
}
