/**
 * The generated environment where PgBouncer fronts the guide's 10-pod service:
 * the guide's "10 pods × (8 + 2)" on a 100-connection server does not fit
 * directly (3 reserved slots, a readiness connection per pod, a surge pod),
 * but fits through a transaction-mode PgBouncer, with room to autoscale far
 * past 10 pods. The app's Secret holds `bouncer.databaseUrlFor('app', …)`:
 * the bouncer's Service and port, never the database's.
 */
import { perInstanceConnections } from 'clientats-runtime/contract';
import { Duration, type Chart } from 'cdk8s';
import type { DatabaseDeclaration } from '../budget/budgeted-workload.js';
import { usableSlots } from '../budget/compute-budget.js';
import { resolveRollout } from '../budget/rollout-surge.js';
import { PostgresBackedService } from '../kubernetes/postgres-backed-service.js';
import { integerSetting } from '../settings/rendered-environment.js';
import { PgBouncer } from './pgbouncer.js';

/** Options of `bouncedEnvironment`. */
export interface BouncedEnvironmentOptions {
  /** The PostgreSQL server the bouncer connects to. */
  readonly database: DatabaseDeclaration;
  /** Where PostgreSQL answers inside the cluster. @default `${database.name}:5432`, database `clientats` */
  readonly serverHost?: string;
  /** The app's HPA maximum. @default 40 */
  readonly maxReplicas?: number;
}

/** The app and its bouncer, in one chart (the budget reads them from one file). */
export interface BouncedEnvironment {
  readonly service: PostgresBackedService;
  readonly bouncer: PgBouncer;
}

/** Adds the app (DATABASE_POOLER=pgbouncer, HPA 10 to `maxReplicas`) and its PgBouncer to `chart`. */
export function bouncedEnvironment(chart: Chart, options: BouncedEnvironmentOptions): BouncedEnvironment {
  const service = new PostgresBackedService(chart, 'clientats', {
    database: options.database,
    preset: 'kubernetes',
    environment: {
      POOL_SIZE: 8,
      POOL_COUNT: 1,
      MAX_OVERFLOW: 2,
      DATABASE_POOLER: 'pgbouncer',
      DATABASE_SSL: false,
    },
    // Monitored on the bouncer's client tier: its share and the tier's capacity are client-side figures
    // (max_client_conn); the bouncer's exporter and alerts watch the server side (src/synth/render-monitoring.ts).
    insecureDatabase: {
      reason:
        'it connects to its PgBouncer inside the cluster, which takes plain TCP and encrypts to the ' +
        'server (verify-full)',
    },
    autoscaling: { minReplicas: 10, maxReplicas: options.maxReplicas ?? 40 },
  });
  const peak = service.autoscaling?.maxReplicas ?? service.replicas;
  const appInstances = peak + resolveRollout(peak, service.strategy).surge;
  const bouncer = new PgBouncer(chart, 'pgbouncer', {
    name: 'clientats-pgbouncer',
    server: {
      host: options.serverHost ?? options.database.name,
      database: 'clientats',
      tls: { mode: 'verify-full', caSecret: { name: `${options.database.name}-ca`, key: 'ca.crt' } },
    },
    // 3 pods at most (2 + 1 surge) × (20 + 5) = 75 server connections, 22 of 97 slots left for migrations and psql.
    defaultPoolSize: 20,
    reservePoolSize: 5,
    // query_wait_timeout follows the app's POOL_TIMEOUT (the kubernetes preset's 8000 ms → 8 s), not the
    // runtime's default 5 s: a request waits as long for a server connection as for a pool connection.
    poolTimeout: Duration.millis(integerSetting(service.environment, 'POOL_TIMEOUT')),
    budget: {
      usable: usableSlots(options.database).usable,
      behind: [
        { name: service.name, instances: appInstances, perInstance: perInstanceConnections(service.pool) },
      ],
    },
  });
  service.connectsThrough(bouncer.databaseUrlFor('app', '<app password>'));
  return { service, bouncer };
}
