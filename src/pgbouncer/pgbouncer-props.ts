/**
 * The props of the `PgBouncer` construct and the types it exposes: the server
 * it fronts, its Secrets, its exporter, and the inputs its pool defaults are
 * derived from.
 */
import type { Duration } from 'cdk8s';
import type * as kplus from 'cdk8s-plus-28';
import type { PoolDefaultsInput, PoolMode, ServerTlsMode } from './pgbouncer-settings.js';

/** A key of a Kubernetes Secret. */
export interface SecretKey {
  readonly name: string;
  readonly key: string;
}

/** The PostgreSQL server behind the bouncer. */
export interface PgBouncerServer {
  readonly host: string;
  /** @default 5432 */
  readonly port?: number;
  readonly database: string;
  /** TLS from the bouncer to the server; unset = none (PgBouncer's `server_tls_sslmode = prefer` is not used). */
  readonly tls?: { readonly mode: ServerTlsMode; readonly caSecret?: SecretKey };
}

/** What the defaults are derived from: the database's usable slots and the clients. */
export type PgBouncerBudgetInputs = PoolDefaultsInput;

/** The exporter sidecar and the tier's monitoring objects. */
export interface PgBouncerMonitoringProps {
  /** @default DEFAULT_PGBOUNCER_EXPORTER_IMAGE (prometheus-community pgbouncer_exporter, pinned) */
  readonly exporterImage?: string;
  /**
   * The user the exporter logs into the admin console as: written to `stats_users` (read-only SHOW
   * commands); userlist.txt needs a line for it. @default 'pgbouncer_exporter'
   */
  readonly statsUser?: string;
  /**
   * Secret key holding that user's password, given to the exporter as PGPASSWORD. @default key
   * `exporter-password` of the auth Secret
   */
  readonly passwordSecret?: SecretKey;
}

/** The resolved exporter sidecar. */
export interface PgBouncerExporter {
  readonly image: string;
  readonly statsUser: string;
  readonly passwordSecret: SecretKey;
}

/** Props of `PgBouncer`. */
export interface PgBouncerProps {
  /** Name of the Deployment, Service, ConfigMap and PodDisruptionBudget. @default the construct id */
  readonly name?: string;
  readonly server: PgBouncerServer;
  /** The database name clients put in their URL. @default server.database */
  readonly databaseAlias?: string;
  /** Users that connect (one pool per user), for the budget. @default ['app'] */
  readonly users?: readonly string[];
  /**
   * Secret key holding userlist.txt (`"user" "password or SCRAM secret"` lines). @default { name:
   * `${name}-auth`, key: 'userlist.txt' }
   */
  readonly authSecret?: SecretKey;
  /** @default 'scram-sha-256' */
  readonly authType?: 'scram-sha-256' | 'md5';
  /** Bouncer pods; at least 2, so one can roll or fail while the other serves. @default 2 */
  readonly replicas?: number;
  /** RollingUpdate bounds. @default maxSurge 1, maxUnavailable 0 */
  readonly rollingUpdate?: { readonly maxSurge?: number; readonly maxUnavailable?: number };
  /** @default DEFAULT_PGBOUNCER_IMAGE */
  readonly image?: string;
  /** @default 6432 */
  readonly port?: number;
  /** @default 'transaction' */
  readonly poolMode?: PoolMode;
  /**
   * Inputs the pool defaults are derived from (the usable slots, the apps behind). Not a budget check:
   * synth counts the rendered tier and the apps behind it. @default none: PgBouncer's own defaults
   */
  readonly budget?: PgBouncerBudgetInputs;
  /** @default the largest that fits the budget's usable slots, else 20 */
  readonly defaultPoolSize?: number;
  /** @default 0 */
  readonly reservePoolSize?: number;
  /** @default 5 s */
  readonly reservePoolTimeout?: Duration;
  /** Cap per database per bouncer. @default users × (defaultPoolSize + reservePoolSize) */
  readonly maxDbConnections?: number;
  /** @default what the apps behind need with one bouncer down (at least 100) */
  readonly maxClientConn?: number;
  /** @default 600 s */
  readonly serverIdleTimeout?: Duration;
  /** The apps' POOL_TIMEOUT. @default 5 s (the runtime's default) */
  readonly poolTimeout?: Duration;
  /** @default poolTimeout, in whole seconds (PgBouncer's own default is 120 s) */
  readonly queryWaitTimeout?: Duration;
  /** @default ['extra_float_digits'] */
  readonly ignoreStartupParameters?: readonly string[];
  /** @default cpu request 100m, memory request 64 MiB, limit 128 MiB */
  readonly resources?: kplus.ContainerResources;
  /**
   * The exporter sidecar and, through synth, the tier's PodMonitor, alerts and dashboard row (added to the
   * monitoring of the app behind it, with that app's monitoring options); `false` leaves them out. @default {} (on)
   */
  readonly monitoring?: false | PgBouncerMonitoringProps;
}
