/**
 * The `/health/diagnostics` body: pool settings and live counts from
 * `pool.snapshot()`, facts read from PostgreSQL on the readiness connection
 * (never queued behind the pool), and the performance insights.
 */
import type pg from 'pg';
import type { PoolSnapshot } from '../pool/pool-types.js';
import type { RecentPoolActivity } from './pool-history.js';
import {
  performanceInsights,
  usableConnections,
  type DatabaseFacts,
  type InsightThresholds,
} from './performance-insights.js';
import type { ReadinessResult } from './readiness-checker.js';

/** Most unused indexes read; the insights name a few and count the rest. */
const UNUSED_INDEX_LIMIT = 1000;

/**
 * One round trip: server limits, client backends, and this database's client
 * backends other than this connection (`backend_type = 'client backend'`
 * leaves out autovacuum, WAL senders and other background processes).
 */
const FACTS_SQL = `
SELECT current_setting('server_version') AS server_version,
       current_setting('max_connections')::int AS max_connections,
       current_setting('superuser_reserved_connections')::int AS superuser_reserved,
       COALESCE(current_setting('reserved_connections', true), '0')::int AS reserved,
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS server_clients,
       count(*)::int AS total,
       count(*) FILTER (WHERE state = 'active')::int AS active,
       count(*) FILTER (WHERE state = 'idle')::int AS idle,
       count(*) FILTER (WHERE state LIKE 'idle in transaction%')::int AS idle_in_transaction,
       COALESCE(EXTRACT(EPOCH FROM max(clock_timestamp() - xact_start)), 0)::float8 AS longest_transaction_seconds,
       count(*) FILTER (
         WHERE state LIKE 'idle in transaction%'
           AND clock_timestamp() - state_change >= make_interval(secs => $1::float8 / 1000)
       )::int AS idle_in_transaction_over
  FROM pg_stat_activity
 WHERE backend_type = 'client backend' AND datname = current_database() AND pid <> pg_backend_pid()`;

/** Non-unique, non-primary indexes never scanned since statistics were reset (`pg_stat_user_indexes`). */
const UNUSED_INDEXES_SQL = `
SELECT s.schemaname AS schema, s.relname AS table, s.indexrelname AS index
  FROM pg_stat_user_indexes s
  JOIN pg_index i ON i.indexrelid = s.indexrelid
 WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary
 ORDER BY pg_relation_size(s.indexrelid) DESC, s.schemaname, s.relname, s.indexrelname
 LIMIT ${UNUSED_INDEX_LIMIT}`;

/** Reads the database facts on a connected client. */
export async function readDatabaseFacts(
  client: pg.ClientBase,
  thresholds: InsightThresholds,
): Promise<DatabaseFacts> {
  const facts = (await client.query(FACTS_SQL, [thresholds.idleInTransactionMillis])).rows[0] as Record<
    string,
    number | string
  >;
  const unused = await client.query<{ schema: string; table: string; index: string }>(UNUSED_INDEXES_SQL);
  return {
    version: `PostgreSQL ${String(facts.server_version).split(' ')[0]}`,
    maxConnections: Number(facts.max_connections),
    superuserReservedConnections: Number(facts.superuser_reserved),
    reservedConnections: Number(facts.reserved),
    serverClientConnections: Number(facts.server_clients),
    activity: {
      total: Number(facts.total),
      active: Number(facts.active),
      idle: Number(facts.idle),
      idleInTransaction: Number(facts.idle_in_transaction),
      longestTransactionSeconds: Number(facts.longest_transaction_seconds),
    },
    idleInTransactionOverThreshold: Number(facts.idle_in_transaction_over),
    unusedIndexes: unused.rows,
  };
}

/** Inputs of the diagnostics body. */
export interface DiagnosticsInput {
  readonly readiness: ReadinessResult;
  readonly shuttingDown: boolean;
  readonly pool: PoolSnapshot;
  readonly recent: RecentPoolActivity;
  readonly database: DatabaseFacts | undefined;
  readonly databaseError: string | undefined;
  readonly thresholds: InsightThresholds;
}

/** The JSON body of `/health/diagnostics` (the guide's shape, plus `server`, `recent` and per-pool counts). */
export function diagnosticsBody(input: DiagnosticsInput): Record<string, unknown> {
  const { readiness, pool, database, recent } = input;
  const status = input.shuttingDown ? 'shutting_down' : readiness.healthy ? 'healthy' : 'unhealthy';
  const minutes = (seconds: number): number => Math.round((seconds / 60) * 100) / 100;
  return {
    status,
    database: readiness.healthy
      ? { status: 'healthy', latency_ms: readiness.latencyMillis }
      : { status: 'unhealthy', error: readiness.reason },
    pool: {
      pool_size: pool.poolSize,
      pool_count: pool.poolCount,
      max_overflow: pool.maxOverflow,
      timeout_ms: pool.timeoutMillis,
      database_version: database?.version ?? null,
      max_connections: pool.maxConnections,
      total: pool.total,
      in_use: pool.inUse,
      idle: pool.idle,
      waiting: pool.waiting,
      pools: pool.pools.map((partition) => ({
        index: partition.index,
        persistent_open: partition.persistentOpen,
        overflow_open: partition.overflowOpen,
        in_use: partition.inUse,
        idle: partition.idle,
        connecting: partition.connecting,
      })),
      checkouts: pool.checkouts,
      timeouts: pool.timeouts,
      overflow_opened: pool.overflowOpened,
      connection_errors: pool.connectionErrors,
      connect_failing: pool.connectFailing,
      last_connect_error: pool.lastConnectError ?? null,
      last_connect_error_at:
        pool.lastConnectErrorAt === undefined ? null : new Date(pool.lastConnectErrorAt).toISOString(),
    },
    server:
      database === undefined
        ? null
        : {
            max_connections: database.maxConnections,
            superuser_reserved_connections: database.superuserReservedConnections,
            reserved_connections: database.reservedConnections,
            usable_connections: usableConnections(database),
            client_connections: database.serverClientConnections,
            available_connections: usableConnections(database) - database.serverClientConnections,
          },
    activity:
      database === undefined
        ? null
        : {
            total_connections: database.activity.total,
            active_connections: database.activity.active,
            idle_connections: database.activity.idle,
            idle_in_transaction_connections: database.activity.idleInTransaction,
            longest_transaction_minutes: minutes(database.activity.longestTransactionSeconds),
          },
    recent: {
      window_minutes: recent.windowMillis / 60_000,
      checkout_timeouts: recent.timeouts,
      overflow_opened: recent.overflowOpened,
      connection_errors: recent.connectionErrors,
    },
    performance_insights: performanceInsights(
      { pool, recent, database, databaseError: input.databaseError },
      input.thresholds,
    ),
  };
}
