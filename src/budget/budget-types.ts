/**
 * Inputs and outputs of the connection budget. Pure data: no cdk8s import, so
 * the CLI (`clientats-deploy check`) and synth share it.
 * The readers turn manifests into `Consumer`s; the budget sums them against
 * the `DatabaseLimits`' usable slots.
 */
import type { PoolShape } from 'clientats-runtime/contract';

/** Pool settings of one consumer process plus the connections it holds outside the pool. */
export interface ProcessConnections {
  /** POOL_SIZE / POOL_COUNT / MAX_OVERFLOW as the runtime reads them. */
  readonly pool: PoolShape;
  /**
   * Connections outside the pool: the readiness check's own, 0 for a process that is not clientats-runtime.
   * @default 1
   */
  readonly probeConnections?: number;
  /** `pgbouncer` when the env says DATABASE_POOLER=pgbouncer: counted on a PgBouncer tier's client side. */
  readonly pooler?: 'pgbouncer';
  /** Where the values that size it sit in its input (only when the reader was asked for them). */
  readonly locations?: SourceLocations;
}

/** A line in an input file (1-based), for annotations. */
export interface SourceLine {
  readonly file: string;
  readonly line: number;
}

/** The values a reviewer changes to fix a budget, and the object that carries them. */
export type LocatedField =
  'object' | 'replicas' | 'hpaMax' | 'maxSurge' | 'POOL_SIZE' | 'POOL_COUNT' | 'MAX_OVERFLOW';

/** Lines of a consumer's sizing values: the object, its replica count, its HPA maximum, its pool env entries. */
export type SourceLocations = Readonly<Partial<Record<LocatedField, SourceLine>>>;

/** Kubernetes kinds that run pods, all of which the budget sizes. */
export type WorkloadKind =
  | 'Deployment'
  | 'StatefulSet'
  | 'ReplicaSet'
  | 'ReplicationController'
  | 'DaemonSet'
  | 'Pod'
  | 'Job'
  | 'CronJob';

/** A Kubernetes workload whose containers connect to the database. */
export interface KubernetesConsumer extends ProcessConnections {
  readonly kind: 'kubernetes';
  /** Name shown in the report, e.g. `clientats-large`. */
  readonly name: string;
  /** Where it was declared or read from (construct path or file), for messages. */
  readonly source?: string;
  /** What runs the pods. @default 'Deployment' */
  readonly workload?: WorkloadKind;
  /** Pods when nothing changes: `replicas`, the DaemonSet's nodes, a Job's parallelism, 1 for a Pod. */
  readonly replicas: number;
  /** HPA maxReplicas when autoscaled: the budget uses it instead of `replicas`. */
  readonly hpaMaxReplicas?: number;
  /** Deployment (or DaemonSet) update strategy. @default RollingUpdate with 25 % / 25 % */
  readonly strategy?: RolloutStrategy;
  /** CronJob: two runs may overlap (`concurrencyPolicy` other than `Forbid`). @default false */
  readonly overlappingRuns?: boolean;
}

/** Deployment strategy as Kubernetes spells it: absolute counts or percentages (`'25%'`). */
export type RolloutStrategy =
  | {
      readonly type: 'RollingUpdate';
      readonly maxSurge?: number | string;
      readonly maxUnavailable?: number | string;
    }
  | { readonly type: 'Recreate' };

/** A Docker Compose service running the runtime. */
export interface ComposeConsumer extends ProcessConnections {
  readonly kind: 'compose';
  readonly name: string;
  readonly source?: string;
  /** `deploy.replicas`. @default 1 */
  readonly replicas?: number;
}

/** A Heroku process type (web) running the runtime. */
export interface HerokuConsumer extends ProcessConnections {
  readonly kind: 'heroku';
  readonly name: string;
  readonly source?: string;
  readonly dynos: number;
  /** Preboot overlaps old and new dynos during a deploy: connections double. */
  readonly preboot: boolean;
}

/** Any other client of the same database: migrations, admin sessions, exporters, poolers. */
export interface OtherClient {
  readonly kind: 'other';
  readonly name: string;
  readonly source?: string;
  readonly connections: number;
  /** What it is, for the report (e.g. `migration job`, `postgres_exporter`). */
  readonly description?: string;
}

/** Everything that holds connections to a database. */
export type Consumer = KubernetesConsumer | ComposeConsumer | HerokuConsumer | OtherClient;

/** Where a provider figure comes from, and whether it is secondary. */
export interface ProviderFacts {
  /** Preset name, e.g. `aws-rds:db.t3.medium`, `heroku:standard-0`. */
  readonly name: string;
  /** The documentation the figure comes from. */
  readonly source: string;
  /** True when the figure comes from a secondary source: confirm it with `--database-url`. */
  readonly verify: boolean;
}

/**
 * The limits of the database every consumer is summed against (not where to
 * connect: that is the runtime contract's `DatabaseTarget`).
 */
export interface DatabaseLimits {
  /** Name shown in the report, e.g. `clientats-prod-db`. */
  readonly name: string;
  readonly maxConnections: number;
  /** `superuser_reserved_connections`. @default 3 */
  readonly superuserReserved?: number;
  /** `reserved_connections` (PostgreSQL 16+). @default 0 */
  readonly reserved?: number;
  /** Slots the provider keeps for itself (e.g. RDS `rds.rds_superuser_reserved_connections`). @default 0 */
  readonly providerReserved?: number;
  /** Slots deliberately kept free (psql sessions, incident response). @default 0 */
  readonly headroom?: number;
  /** Client backends already connected that are not declared consumers (live reads only). @default 0 */
  readonly alreadyConnected?: number;
  /** Set when the figures come from a provider preset. */
  readonly provider?: ProviderFacts;
}

/** Which worst case is enforced. */
export type BudgetMode = 'steady' | 'rollout' | 'strict';
