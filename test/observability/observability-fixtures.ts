/**
 * Inputs of the observability tests: the guide's Kubernetes example as the
 * generator budgets it (3 pods × (2 × (10 + 3) + 1) = 81 on a 100-connection
 * server), and a database shared by several consumers, both computed by the
 * real budget arithmetic so the types stay those of the report.
 */
import { computeBudget, type DatabaseBudget } from '../../src/budget/compute-budget.js';
import {
  computeTieredBudget,
  type TieredDatabaseBudget,
  type TierInput,
} from '../../src/budget/pgbouncer-tier-budget.js';
import {
  bouncerObservability,
  environmentBudget,
  environmentObservability,
  type EnvironmentObservability,
} from '../../src/observability/index.js';

/** The `kubernetes` environment of src/main.ts: preset kubernetes, 3 replicas, no surge. */
export const KUBERNETES_DATABASE: DatabaseBudget = computeBudget(
  [
    {
      kind: 'kubernetes',
      name: 'clientats',
      source: 'kubernetes/clientats',
      replicas: 3,
      pool: { poolSize: 10, poolCount: 2, maxOverflow: 3 },
      strategy: { type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 1 },
    },
  ],
  { name: 'clientats-db', maxConnections: 100 },
);

/** Three consumers and a declared migration job on one database. */
export const SHARED_DATABASE: DatabaseBudget = computeBudget(
  [
    { kind: 'kubernetes', name: 'api', replicas: 4, pool: { poolSize: 8, poolCount: 2, maxOverflow: 2 } },
    { kind: 'compose', name: 'worker', replicas: 2, pool: { poolSize: 5, poolCount: 1, maxOverflow: 0 } },
    {
      kind: 'heroku',
      name: 'admin-web',
      dynos: 1,
      preboot: true,
      pool: { poolSize: 3, poolCount: 1, maxOverflow: 1 },
    },
    { kind: 'other', name: 'migrations', connections: 2, description: 'migration job' },
  ],
  { name: 'shared-db', maxConnections: 200 },
);

/** The base of the README links in the tests. */
export const RUNBOOK = 'https://example.test/clientats-deploy/blob/main/README.md';

/** Observability input of the `kubernetes` environment. */
export const KUBERNETES_ENVIRONMENT: EnvironmentObservability = {
  environment: 'kubernetes',
  service: 'clientats',
  pool: { poolSize: 10, poolCount: 2, maxOverflow: 3, poolTimeoutMillis: 5000 },
  perInstance: KUBERNETES_DATABASE.consumers[0]!.perInstance,
  budget: environmentBudget(KUBERNETES_DATABASE, 'clientats'),
  runbookBaseUrl: RUNBOOK,
};

/** Observability input of the `api` consumer of the shared database (a migration job declared beside it). */
export const SHARED_API_ENVIRONMENT: EnvironmentObservability = {
  environment: 'api-prod',
  service: 'api',
  pool: { poolSize: 8, poolCount: 2, maxOverflow: 2, poolTimeoutMillis: 8000 },
  perInstance: SHARED_DATABASE.consumers[0]!.perInstance,
  budget: environmentBudget(SHARED_DATABASE, 'api'),
  runbookBaseUrl: RUNBOOK,
};

/** The PgBouncer tier of `kubernetes-pgbouncer`: 2 bouncers (surge 1) of 20 + 5, max_client_conn 550. */
export const BOUNCED_TIER: TierInput = {
  name: 'clientats-pgbouncer',
  source: 'kubernetes-pgbouncer.k8s.yaml#5',
  pools: {
    databases: [{ name: 'clientats', users: [{ user: 'app' }] }],
    defaultPoolSize: 20,
    reservePoolSize: 5,
    maxDbConnections: 25,
    maxClientConn: 550,
  },
  fleet: { replicas: 2, strategy: { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 } },
};

/**
 * The `kubernetes-pgbouncer` environment of src/main.ts, budgeted by the two-tier arithmetic: the app
 * (HPA 10 to 40, 25 % surge, 8 + 2 per pool) behind 2 bouncers (surge 1) of 20 + 5 server connections,
 * max_client_conn 550, on a 100-connection server.
 */
export const BOUNCED_DATABASE: TieredDatabaseBudget = computeTieredBudget(
  [
    {
      kind: 'kubernetes',
      name: 'clientats',
      source: 'kubernetes-pgbouncer/clientats',
      replicas: 10,
      hpaMaxReplicas: 40,
      pool: { poolSize: 8, poolCount: 1, maxOverflow: 2 },
      pooler: 'pgbouncer',
    },
  ],
  [BOUNCED_TIER],
  { name: 'clientats-bounced-db', maxConnections: 100 },
);

/** Observability input of the app behind the bouncers, with its monitored tier. */
export const BOUNCED_ENVIRONMENT: EnvironmentObservability = environmentObservability({
  environment: 'kubernetes-pgbouncer',
  service: 'clientats',
  pool: { poolSize: 8, poolCount: 1, maxOverflow: 2, poolTimeoutMillis: 8000 },
  database: BOUNCED_DATABASE,
  consumer: 'clientats',
  runbookBaseUrl: RUNBOOK,
  pgbouncer: bouncerObservability(BOUNCED_DATABASE.pgbouncer![0]!, {
    replicas: 2,
    defaultPoolSize: 20,
    reservePoolSize: 5,
    maxDbConnections: 25,
    queryWaitTimeoutSeconds: 5,
    maxClientConn: 550,
  }),
});
