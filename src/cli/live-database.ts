/**
 * Reads a database's real limits through `pg`: `max_connections`, the
 * reserved slots and the client backends connected right now (other than this
 * check's own session). Errors name the URL with its password redacted.
 */
import type pg from 'pg';
import { parseDatabaseUrl, redactDatabaseUrl } from 'clientats-runtime/contract';
import type { DatabaseLimits } from '../budget/budget-types.js';

/** What the server reports. */
export interface LiveDatabaseFacts {
  readonly maxConnections: number;
  readonly superuserReserved: number;
  /** `reserved_connections` (PostgreSQL 16+; 0 before). */
  readonly reserved: number;
  /** `rds.rds_superuser_reserved_connections` (0 outside RDS / Aurora). */
  readonly rdsReserved: number;
  /** Client backends connected now, not counting this check's session. */
  readonly clientBackends: number;
  /** `server_version`, for the report. */
  readonly serverVersion: string;
}

/** Options of `readLiveDatabase`. */
export interface LiveDatabaseOptions {
  /** Longest a connection attempt may take. @default 5000 */
  readonly connectTimeoutMillis?: number;
  /** The client class (injectable for tests). @default pg.Client */
  readonly Client?: typeof pg.Client;
}

/** The limits and the client backends connected now, excluding this session. */
const LIVE_LIMITS_SQL = `SELECT current_setting('max_connections')::int AS max_connections,
       current_setting('superuser_reserved_connections')::int AS superuser_reserved,
       COALESCE(current_setting('reserved_connections', true), '0')::int AS reserved,
       COALESCE(current_setting('rds.rds_superuser_reserved_connections', true), '0')::int AS rds_reserved,
       (SELECT count(*)::int FROM pg_stat_activity
         WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()) AS client_backends,
       current_setting('server_version') AS server_version`;

/**
 * Connects once, reads the limits and disconnects.
 * @throws Error `cannot read connection limits from <redacted url>: <reason>`.
 */
export async function readLiveDatabase(
  url: string,
  options: LiveDatabaseOptions = {},
): Promise<LiveDatabaseFacts> {
  const shown = redactDatabaseUrl(url);
  const fail = (reason: string, cause?: unknown): Error =>
    new Error(
      `cannot read connection limits from ${shown}: ${reason.split(url).join(shown)}`,
      cause === undefined ? undefined : { cause },
    );
  let parsed: ReturnType<typeof parseDatabaseUrl>;
  try {
    parsed = parseDatabaseUrl(url);
  } catch (error) {
    throw fail(`the URL ${(error as Error).message.replace(/, got .*$/, '')}`);
  }
  // Loaded only here: every other command stays free of the driver's start-up cost.
  const Client = options.Client ?? (await import('pg')).default.Client;
  const client = new Client({
    host: parsed.host,
    port: parsed.port,
    user: parsed.user,
    password: parsed.password,
    database: parsed.database,
    connectionTimeoutMillis: options.connectTimeoutMillis ?? 5000,
    ...sslOf(parsed.parameters.sslmode),
  });
  // An error after connect (server restart) must not crash the CLI: the query rejects anyway.
  client.on('error', () => {});
  try {
    await client.connect();
    const result = await client.query<{
      max_connections: number;
      superuser_reserved: number;
      reserved: number;
      rds_reserved: number;
      client_backends: number;
      server_version: string;
    }>(LIVE_LIMITS_SQL);
    const row = result.rows[0];
    return {
      maxConnections: row.max_connections,
      superuserReserved: row.superuser_reserved,
      reserved: row.reserved,
      rdsReserved: row.rds_reserved,
      clientBackends: row.client_backends,
      serverVersion: row.server_version,
    };
  } catch (error) {
    const message = (error as Error).message;
    const password = parsed.password;
    throw fail(
      password === undefined || password === '' ? message : message.split(password).join('***'),
      error,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/** Budget limits from live facts; `countConnected` subtracts the client backends already connected. */
export function liveLimits(name: string, facts: LiveDatabaseFacts, countConnected = true): DatabaseLimits {
  return {
    name,
    maxConnections: facts.maxConnections,
    superuserReserved: facts.superuserReserved,
    reserved: facts.reserved,
    providerReserved: facts.rdsReserved,
    alreadyConnected: countConnected ? facts.clientBackends : 0,
  };
}

function sslOf(sslmode: string | undefined): { ssl?: boolean | { rejectUnauthorized: boolean } } {
  if (sslmode === undefined || sslmode === 'disable' || sslmode === 'prefer' || sslmode === 'allow')
    return {};
  if (sslmode === 'require') return { ssl: { rejectUnauthorized: false } };
  return { ssl: true };
}
