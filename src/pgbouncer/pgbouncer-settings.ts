/**
 * The settings of a generated PgBouncer, resolved to plain numbers, and the
 * `pgbouncer.ini` they render to. Pure (no cdk8s), so the construct, `check`
 * and the test that runs a real PgBouncer on the rendered file share it.
 * Every key used here exists in PgBouncer 1.18 (Debian 12) and later.
 */
import type { BouncerFleet, BudgetClient } from '../budget/pgbouncer-budget.js';
import { requiredMaxClientConn, solveDefaultPoolSize } from '../budget/pgbouncer-plan.js';
import type { PgbouncerIniConfig, IniValue } from './pgbouncer-ini.js';

/** The image: CloudNativePG's PgBouncer build, pinned; it runs `pgbouncer /etc/pgbouncer/pgbouncer.ini`. */
export const DEFAULT_PGBOUNCER_IMAGE = 'ghcr.io/cloudnative-pg/pgbouncer:1.25.1';
/** PgBouncer's customary port. */
export const DEFAULT_PGBOUNCER_PORT = 6432;

/** `pool_mode`: `transaction` is what lets a fleet share a few server connections. */
export type PoolMode = 'session' | 'transaction' | 'statement';

/** libpq sslmode values PgBouncer accepts for `server_tls_sslmode` that encrypt. */
export type ServerTlsMode = 'require' | 'verify-ca' | 'verify-full';

/**
 * Startup parameters the bouncer ignores instead of refusing the login. The
 * runtime with DATABASE_POOLER=pgbouncer sends only tracked ones (`user`,
 * `database`, `application_name`); `extra_float_digits` is what JDBC and
 * psycopg-based tools send. `options` stays refused: ignoring it would drop
 * settings silently.
 */
export const DEFAULT_IGNORE_STARTUP_PARAMETERS = ['extra_float_digits'] as const;

/** Resolved settings of one generated bouncer. */
export interface PgbouncerSettings {
  /** `[databases]` key the clients use (the database name in their URL). */
  readonly databaseAlias: string;
  readonly serverHost: string;
  readonly serverPort: number;
  readonly serverDatabase: string;
  readonly listenPort: number;
  /** Path of the userlist inside the container (mounted from a Secret). */
  readonly authFile: string;
  readonly authType: 'scram-sha-256' | 'md5';
  readonly poolMode: PoolMode;
  readonly defaultPoolSize: number;
  readonly reservePoolSize: number;
  readonly reservePoolTimeoutSeconds: number;
  /** 0 = no cap. */
  readonly maxDbConnections: number;
  readonly maxClientConn: number;
  readonly serverIdleTimeoutSeconds: number;
  readonly queryWaitTimeoutSeconds: number;
  readonly ignoreStartupParameters: readonly string[];
  /** `server_tls_sslmode` and the CA file path; `undefined` = no TLS to the server. */
  readonly serverTls?: { readonly mode: ServerTlsMode; readonly caFile?: string };
  /** Other `[pgbouncer]` settings, written last (they win over the ones above). */
  readonly extra?: Readonly<Record<string, IniValue>>;
}

/** The `[databases]` and `[pgbouncer]` sections for `settings`. */
export function pgbouncerIniConfig(settings: PgbouncerSettings): PgbouncerIniConfig {
  const pgbouncer: Record<string, IniValue> = {
    listen_addr: '0.0.0.0',
    listen_port: settings.listenPort,
    // No Unix socket: clients come over TCP, and the root file system can stay read-only.
    unix_socket_dir: '',
    auth_type: settings.authType,
    auth_file: settings.authFile,
    pool_mode: settings.poolMode,
    default_pool_size: settings.defaultPoolSize,
    reserve_pool_size: settings.reservePoolSize,
    reserve_pool_timeout: settings.reservePoolTimeoutSeconds,
    max_db_connections: settings.maxDbConnections,
    max_client_conn: settings.maxClientConn,
    server_idle_timeout: settings.serverIdleTimeoutSeconds,
    query_wait_timeout: settings.queryWaitTimeoutSeconds,
    ignore_startup_parameters: settings.ignoreStartupParameters.join(','),
    // Logs go to stderr, where the container runtime collects them.
    syslog: 0,
  };
  if (settings.serverTls !== undefined) {
    pgbouncer.server_tls_sslmode = settings.serverTls.mode;
    if (settings.serverTls.caFile !== undefined) pgbouncer.server_tls_ca_file = settings.serverTls.caFile;
  }
  Object.assign(pgbouncer, settings.extra ?? {});
  return {
    databases: {
      [settings.databaseAlias]: {
        host: settings.serverHost,
        port: settings.serverPort,
        dbname: settings.serverDatabase,
      },
    },
    pgbouncer,
  };
}

/**
 * `query_wait_timeout` from the apps' POOL_TIMEOUT: a request waits at most
 * POOL_TIMEOUT for a runtime connection and then at most as long again for a
 * server connection in the bouncer, instead of PgBouncer's default 120 s.
 */
export function queryWaitTimeoutFor(poolTimeoutMillis: number): number {
  return Math.max(1, Math.ceil(poolTimeoutMillis / 1000));
}

/** What pool defaults are derived from: the database's usable slots and the clients. */
export interface PoolDefaultsInput {
  /** `max_connections` less reservations and headroom (what the ordinary budget calls usable). */
  readonly usable: number;
  /** Clients that still connect to PostgreSQL directly. */
  readonly direct?: readonly BudgetClient[];
  /** App processes behind the bouncers (instances with surge × per_instance). */
  readonly behind?: readonly BudgetClient[];
}

/**
 * Pool defaults from the budget: the largest default_pool_size the server
 * side allows (1 when nothing fits, which validation then reports),
 * max_db_connections = users × (pool + reserve) so an extra user cannot raise
 * the total, and the max_client_conn the apps need with one bouncer down.
 * Without a budget: PgBouncer's 20 and 100.
 */
export function derivePoolDefaults(input: {
  readonly budget: PoolDefaultsInput | undefined;
  readonly fleet: BouncerFleet;
  readonly databaseAlias: string;
  readonly users: readonly string[];
  readonly reservePoolSize: number;
}): { readonly defaultPoolSize: number; readonly maxDbConnections: number; readonly maxClientConn: number } {
  const { budget, fleet, users, reservePoolSize } = input;
  const bouncer = {
    databases: [{ name: input.databaseAlias, users: users.map((user) => ({ user })) }],
    reservePoolSize,
  };
  const defaultPoolSize =
    budget === undefined
      ? 20
      : (solveDefaultPoolSize({ usable: budget.usable, bouncer, fleet, direct: budget.direct }) ?? 1);
  const demand = (budget?.behind ?? []).reduce(
    (sum, client) => sum + client.instances * client.perInstance,
    0,
  );
  return {
    defaultPoolSize,
    maxDbConnections: users.length * (defaultPoolSize + reservePoolSize),
    maxClientConn: requiredMaxClientConn(demand, fleet, 'strict'),
  };
}
