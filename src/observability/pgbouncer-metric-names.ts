/**
 * The PgBouncer exporter the generated bouncers run beside them, and the
 * metric names its alerts and dashboard panels read — pinned in one place.
 *
 * Exporter: prometheus-community/pgbouncer_exporter (Go), v0.12.1. Names are
 * taken from its source at tag v0.12.1, not guessed:
 * - collector.go `metricMaps["pools"]` (SHOW POOLS; name = `pgbouncer_pools_` + mapping),
 * - collector.go `listsMap` (SHOW LISTS; `pgbouncer_` + list), `configMap` (SHOW CONFIG),
 * - collector.go `scrapeSuccessDesc` (`pgbouncer_up`, 0 when the admin console query fails),
 * - pgbouncer_exporter.go: flag `--pgBouncer.connectionString`, listen address `:9127`.
 * Debian's `prometheus-pgbouncer-exporter` package is a different project (a
 * Python exporter, git.cbaines.net) whose names differ (`pgbouncer_waiting_clients`, …),
 * so it cannot check these names. What the tests prove instead, on a real PgBouncer with
 * the generated ini (test/pgbouncer/pgbouncer-exporter-source.test.ts): the stats user logs
 * into the admin console and every SHOW command, column and row named in `source` exists.
 */

/** The exporter's release the image tag pins. */
export const PGBOUNCER_EXPORTER_VERSION = 'v0.12.1';

/** The exporter image: the project's own build on quay.io, pinned by version. */
export const DEFAULT_PGBOUNCER_EXPORTER_IMAGE =
  'quay.io/prometheuscommunity/pgbouncer-exporter:' + PGBOUNCER_EXPORTER_VERSION;

/** The exporter's default listen port (`--web.listen-address=:9127`). */
export const PGBOUNCER_EXPORTER_PORT = 9127;

/** Name of the exporter's container port, which the bouncer's PodMonitor scrapes. */
export const PGBOUNCER_EXPORTER_PORT_NAME = 'metrics';

/** Label the scrapes of a bouncer tier (and of the apps behind it) carry: the tier's Deployment name. */
export const PGBOUNCER_LABEL = 'pgbouncer';

/** The admin console's pseudo-database: its pool (the exporter's own connection) is left out of the sums. */
export const ADMIN_DATABASE = 'pgbouncer';

/** Where a metric comes from: the admin console command and the column (or SHOW LISTS row) it maps. */
export interface ExporterMetricSource {
  readonly name: string;
  readonly command: 'POOLS' | 'LISTS' | 'CONFIG' | 'none';
  /** A column of SHOW POOLS, a `list` row of SHOW LISTS, or a `key` row of SHOW CONFIG. */
  readonly field?: string;
}

/** Series names of pgbouncer_exporter v0.12.1 that the rules and the dashboard read. */
export const PGBOUNCER_METRIC = {
  /** 1 when the scrape's admin console queries succeeded, 0 when they failed (bouncer down, login refused). */
  up: { name: 'pgbouncer_up', command: 'none' },
  /** Per bouncer: client connections in use — the count PgBouncer compares with max_client_conn (objects.c). */
  usedClients: { name: 'pgbouncer_used_clients', command: 'LISTS', field: 'used_clients' },
  /** Per bouncer: server connections open, in any state. */
  usedServers: { name: 'pgbouncer_used_servers', command: 'LISTS', field: 'used_servers' },
  /** Per pool: clients linked to a server connection. */
  clientActive: {
    name: 'pgbouncer_pools_client_active_connections',
    command: 'POOLS',
    field: 'cl_active',
  },
  /** Per pool: clients waiting for a server connection. */
  clientWaiting: {
    name: 'pgbouncer_pools_client_waiting_connections',
    command: 'POOLS',
    field: 'cl_waiting',
  },
  /** Per pool: age of the oldest waiting client, whole seconds (the `maxwait` column). */
  maxWait: { name: 'pgbouncer_pools_client_maxwait_seconds', command: 'POOLS', field: 'maxwait' },
  /** Per bouncer: max_client_conn as the running bouncer has it. */
  maxClientConn: {
    name: 'pgbouncer_config_max_client_connections',
    command: 'CONFIG',
    field: 'max_client_conn',
  },
} as const satisfies Record<string, ExporterMetricSource>;
