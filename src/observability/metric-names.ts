/**
 * The runtime's metric names the rules and the dashboard query, and the
 * labels every scrape adds. Kept as one list so the test that scrapes a real
 * runtime (test/observability/metric-names.test.ts) covers every use.
 */

/** Series names of clientats-runtime's `/metrics` (runtime/src/metrics/pool-metrics.ts). */
export const METRIC = {
  /** Gauge, per pool: connections checked out (the guide's name). */
  active: 'db_connections_active',
  /** Gauge, per pool: open idle connections (the guide's name). */
  idle: 'db_connections_idle',
  /** Gauge, per process: pool connections plus the readiness connection. */
  open: 'db_connections_open',
  /** Gauge, per process: `per_instance`. */
  openMax: 'db_connections_open_max',
  /** Gauge, per pool: overflow connections open. */
  overflow: 'db_client_connections_overflow',
  /** Gauge, per process: callers waiting for a connection. */
  pending: 'db_client_connection_pending_requests',
  /** Gauge, per process: 1 when the readiness check reaches the database. */
  ready: 'db_readiness_healthy',
  /** Histogram buckets of the checkout wait, seconds. */
  waitBucket: 'db_client_connection_wait_time_seconds_bucket',
  /** Checkouts that got a connection. */
  waitCount: 'db_client_connection_wait_time_seconds_count',
  /** Histogram buckets of query duration, seconds. */
  queryBucket: 'db_client_operation_duration_seconds_bucket',
  /** Counter: checkouts that gave up after POOL_TIMEOUT. */
  timeouts: 'db_client_connection_timeouts_total',
  /** Counter by `kind` (`connect`, `connection`). */
  connectionErrors: 'db_client_connection_errors_total',
  /** Counter, per pool: failed queries. */
  queryErrors: 'db_client_operation_errors_total',
} as const;

/** Label every scrape of an environment carries (PodMonitor relabeling, static label elsewhere). */
export const ENVIRONMENT_LABEL = 'environment';

/** Label naming the budget's database, so the database alert sums every environment using it. */
export const DATABASE_LABEL = 'database';
