/**
 * What the observability artefacts are generated from: one environment's pool
 * settings and its place in the connection budget. Pure data, no cdk8s and no
 * budget import: `DatabaseShare` and `ConsumerShare` are the fields of the
 * budget report's `DatabaseBudget` / `ConsumerBudget` (src/budget) that the
 * alerts, the dashboard and the charts read, so a report's databases can be
 * passed as they are.
 */

/** The three worst cases of the budget, in report order. */
export const BUDGET_CASES = ['steady', 'rollout', 'strict'] as const;

/** `steady`, `rollout` or `strict`. */
export type BudgetCase = (typeof BUDGET_CASES)[number];

/** A number for each worst case (the report's `Figures`). */
export type CaseFigures = Readonly<Record<BudgetCase, number>>;

/** One consumer of a database as the budget report lists it (a subset of `ConsumerBudget`). */
export interface ConsumerShare {
  readonly name: string;
  /** `kubernetes`, `compose`, `heroku` or `other`. */
  readonly kind: string;
  /** Where it was declared (construct path), to tell consumers of the same name apart. */
  readonly source?: string;
  /** `per_instance`: pool connections plus the readiness connection of one process (0 for other clients). */
  readonly perInstance: number;
  /** Connections it may hold in each case. */
  readonly connections: CaseFigures;
}

/** A PgBouncer tier of a database as the budget report shows it (a subset of `PgbouncerTierBudget`). */
export interface BouncerTierShare {
  /** The tier's Deployment name: the pods' `app` label and the `pgbouncer` label of its series. */
  readonly name: string;
  /** The consumers behind it: their connections count against max_client_conn, not max_connections. */
  readonly behind: readonly ConsumerShare[];
  readonly budget: {
    /** Server connections one bouncer may open (pools with caps applied). */
    readonly perBouncer: number;
    readonly server: {
      /** Bouncer pods at worst: (HPA max or replicas) + rollout surge. */
      readonly bouncerInstances: number;
      /** bouncerInstances × perBouncer: the tier's share of the database. */
      readonly bouncerConnections: number;
      readonly usable: number;
    };
    readonly client: {
      readonly maxClientConn: number;
      readonly servingBouncers: number;
      readonly downDuringRollout: number;
      /** servingBouncers × max_client_conn. */
      readonly capacity: number;
      /** (servingBouncers − downDuringRollout) × max_client_conn. */
      readonly strictCapacity: number;
    };
  };
}

/** One database of the budget report (a subset of `DatabaseBudget`). */
export interface DatabaseShare {
  readonly database: string;
  readonly maxConnections: number;
  /** What the consumers may use: max_connections less reserved slots and headroom. */
  readonly usable: number;
  /** The enforced case. */
  readonly mode: BudgetCase;
  readonly totals: CaseFigures;
  readonly consumers: readonly ConsumerShare[];
  /** PgBouncer tiers in front of it; their server connections are one `other` consumer each. */
  readonly pgbouncer?: readonly BouncerTierShare[];
}

/** The pool settings of an environment, as the runtime reads them. */
export interface PoolSettings {
  /** POOL_SIZE */
  readonly poolSize: number;
  /** POOL_COUNT */
  readonly poolCount: number;
  /** MAX_OVERFLOW */
  readonly maxOverflow: number;
  /** POOL_TIMEOUT in ms. */
  readonly poolTimeoutMillis: number;
}

/** An environment's place in its database's budget: the thresholds of the budget alerts. */
export interface EnvironmentBudget {
  /** The database's name in the report; the `database` label of its series. */
  readonly database: string;
  /** The enforced case the share is taken from. */
  readonly mode: BudgetCase;
  /** Connections the budget grants this environment: its consumer's figure in the enforced case. */
  readonly share: number;
  /** Usable connections of the database. */
  readonly usable: number;
  readonly maxConnections: number;
  /** Connections declared for clients without metrics (migrations, admin sessions): added to the measured sum. */
  readonly unmeasured: number;
  /**
   * Set when the environment connects through a PgBouncer tier: `share` is then its figure on the tier's
   * CLIENT side, counted against the bouncers' max_client_conn, not against the database.
   */
  readonly clientTier?: ClientTier;
  /** True when PgBouncer tiers front the database: the apps behind them are left out of its measured sum. */
  readonly bounced?: boolean;
}

/** The client side of the PgBouncer tier an environment connects through (the report's figures). */
export interface ClientTier {
  /** The tier's name (its Deployment). */
  readonly name: string;
  readonly maxClientConn: number;
  readonly servingBouncers: number;
  readonly downDuringRollout: number;
  readonly capacity: number;
  readonly strictCapacity: number;
}

/** Fractions the alert thresholds are taken at; see `DEFAULT_ALERT_THRESHOLDS`. */
export interface AlertThresholds {
  /** Checkout wait p99 as a fraction of POOL_TIMEOUT that warns. */
  readonly waitOfTimeout: number;
  /** Share of checkouts timing out that pages. */
  readonly timeoutRatio: number;
  /** Fraction of the environment's budgeted share that warns. */
  readonly ofShare: number;
  /** Fraction of the database's usable connections that warns (reaching all of them pages). */
  readonly ofUsable: number;
  /** Fraction of the last hour a pool may spend with overflow connections in use before POOL_SIZE looks too small. */
  readonly overflowTime: number;
}

/** Thresholds an on-call engineer can act on before users notice. */
export const DEFAULT_ALERT_THRESHOLDS: AlertThresholds = {
  waitOfTimeout: 0.8,
  timeoutRatio: 0.05,
  ofShare: 0.9,
  ofUsable: 0.9,
  overflowTime: 0.5,
};

/** Everything the artefacts of one environment are generated from. */
export interface EnvironmentObservability {
  /** The environment's name: the `environment` label of its series and alerts, and the prefix of object names. */
  readonly environment: string;
  /** The value of the pods' `app` label (the Deployment's name) that the PodMonitor selects. */
  readonly service: string;
  readonly pool: PoolSettings;
  /** `per_instance` of one process: POOL_COUNT × (POOL_SIZE + MAX_OVERFLOW) + the readiness connection. */
  readonly perInstance: number;
  readonly budget: EnvironmentBudget;
  /**
   * Where the README lives, e.g. `https://github.com/acme/clientats-deploy/blob/main/README.md`; anchors are
   * appended.
   */
  readonly runbookBaseUrl: string;
  /** Overrides of `DEFAULT_ALERT_THRESHOLDS`. */
  readonly thresholds?: Partial<AlertThresholds>;
  /** The PgBouncer tier the environment connects through, when its bouncers run the exporter. */
  readonly pgbouncer?: BouncerObservability;
}

/**
 * A monitored PgBouncer tier: its settings and its figures in the two-tier budget. The bouncer alerts'
 * thresholds: server connections against the tier's share of the database, clients per bouncer against
 * max_client_conn, the longest wait against query_wait_timeout.
 */
export interface BouncerObservability {
  /** The tier's Deployment name: the pods' `app` label and the `pgbouncer` label of its series. */
  readonly name: string;
  /** Bouncer pods the Deployment asks for. */
  readonly replicas: number;
  readonly defaultPoolSize: number;
  readonly reservePoolSize: number;
  /** Per bouncer; 0 = no cap. */
  readonly maxDbConnections: number;
  readonly queryWaitTimeoutSeconds: number;
  /** Server connections one bouncer may open (the report's `perBouncer`). */
  readonly perBouncer: number;
  /** Bouncer pods at worst, with surge (the report's `server.bouncerInstances`). */
  readonly bouncerInstances: number;
  /** The tier's share of the database: bouncerInstances × perBouncer. */
  readonly bouncerConnections: number;
  /** The client side of the tier (the report's `client` figures). */
  readonly client: ClientTier;
}

/**
 * A tier's observability input from the report's tier and the bouncer's own settings.
 * @throws Error when the settings' max_client_conn is not the one the report counted.
 */
export function bouncerObservability(
  tier: BouncerTierShare,
  settings: Pick<
    BouncerObservability,
    'replicas' | 'defaultPoolSize' | 'reservePoolSize' | 'maxDbConnections' | 'queryWaitTimeoutSeconds'
  > & { readonly maxClientConn: number },
): BouncerObservability {
  const { server, client, perBouncer } = tier.budget;
  if (settings.maxClientConn !== client.maxClientConn) {
    throw new Error(
      `monitoring of PgBouncer ${tier.name}: its max_client_conn ${settings.maxClientConn} is not the ` +
        `${client.maxClientConn} the connection budget counted; synthesize again from one construct`,
    );
  }
  return {
    name: tier.name,
    replicas: settings.replicas,
    defaultPoolSize: settings.defaultPoolSize,
    reservePoolSize: settings.reservePoolSize,
    maxDbConnections: settings.maxDbConnections,
    queryWaitTimeoutSeconds: settings.queryWaitTimeoutSeconds,
    perBouncer,
    bouncerInstances: server.bouncerInstances,
    bouncerConnections: server.bouncerConnections,
    client: {
      name: tier.name,
      maxClientConn: client.maxClientConn,
      servingBouncers: client.servingBouncers,
      downDuringRollout: client.downDuringRollout,
      capacity: client.capacity,
      strictCapacity: client.strictCapacity,
    },
  };
}

/**
 * The budget of the consumer named `consumer` (and, when given, declared at `source`) in a database.
 * @throws Error naming the consumer and the database when there is not exactly one such consumer.
 */
export function environmentBudget(
  database: DatabaseShare,
  consumer: string,
  source?: string,
): EnvironmentBudget {
  const { entry, tier } = findConsumer(database, consumer, source);
  const unmeasured = database.consumers
    .filter((other) => other.kind === 'other')
    .reduce((sum, other) => sum + other.connections[database.mode], 0);
  const client = tier?.budget.client;
  return {
    database: database.database,
    mode: database.mode,
    share: entry.connections[database.mode],
    usable: database.usable,
    maxConnections: database.maxConnections,
    unmeasured,
    ...(tier === undefined || client === undefined
      ? {}
      : {
          clientTier: {
            name: tier.name,
            maxClientConn: client.maxClientConn,
            servingBouncers: client.servingBouncers,
            downDuringRollout: client.downDuringRollout,
            capacity: client.capacity,
            strictCapacity: client.strictCapacity,
          },
        }),
    ...((database.pgbouncer?.length ?? 0) > 0 ? { bounced: true } : {}),
  };
}

/**
 * The consumer named `consumer` (at `source`, when given): among the database's own consumers, or behind
 * one of its PgBouncer tiers (then with that tier).
 * @throws Error naming the consumer and the database when there is not exactly one such consumer.
 */
function findConsumer(
  database: DatabaseShare,
  consumer: string,
  source?: string,
): { readonly entry: ConsumerShare; readonly tier?: BouncerTierShare } {
  const named = (entry: ConsumerShare): boolean =>
    entry.name === consumer && (source === undefined || entry.source === source);
  const candidates: { entry: ConsumerShare; tier?: BouncerTierShare }[] = [
    ...database.consumers.filter(named).map((entry) => ({ entry })),
    ...(database.pgbouncer ?? []).flatMap((tier) =>
      tier.behind.filter(named).map((entry) => ({ entry, tier })),
    ),
  ];
  if (candidates.length !== 1) {
    const names = [...database.consumers, ...(database.pgbouncer ?? []).flatMap((tier) => tier.behind)].map(
      (entry) => (entry.source === undefined ? entry.name : `${entry.name} (${entry.source})`),
    );
    throw new Error(
      `consumer '${consumer}'${source === undefined ? '' : ` at '${source}'`} must appear once in the budget of ` +
        `database '${database.database}', found ${candidates.length} among [${names.join(', ')}]; ` +
        `pass the consumer's source to tell them apart`,
    );
  }
  return candidates[0]!;
}

/** The thresholds with the overrides applied, each checked. @throws Error naming a fraction outside (0, 1]. */
export function resolveThresholds(overrides: Partial<AlertThresholds> = {}): AlertThresholds {
  const thresholds = { ...DEFAULT_ALERT_THRESHOLDS, ...overrides };
  for (const [name, value] of Object.entries(thresholds)) {
    if (!(value > 0 && value <= 1))
      throw new Error(`alert threshold '${name}' must be a fraction in (0, 1], got ${value}`);
  }
  return thresholds;
}

/** What `environmentObservability` assembles an input from. */
export interface EnvironmentDescription {
  readonly environment: string;
  readonly service: string;
  readonly pool: PoolSettings;
  /** The database of the budget report the environment's consumer is in. */
  readonly database: DatabaseShare;
  /** The consumer's name in that database's budget, and its source when the name is not unique. */
  readonly consumer: string;
  readonly source?: string;
  readonly runbookBaseUrl: string;
  readonly thresholds?: Partial<AlertThresholds>;
  /** The PgBouncer tier the environment connects through, when its bouncers are monitored. */
  readonly pgbouncer?: BouncerObservability;
}

/**
 * The input of every artefact, from the report: the consumer's `perInstance` and budget share.
 * @throws Error when the consumer is not exactly once in the database's budget.
 */
export function environmentObservability(description: EnvironmentDescription): EnvironmentObservability {
  const budget = environmentBudget(description.database, description.consumer, description.source);
  const { entry } = findConsumer(description.database, description.consumer, description.source);
  return {
    environment: description.environment,
    service: description.service,
    pool: description.pool,
    perInstance: entry.perInstance,
    budget,
    runbookBaseUrl: description.runbookBaseUrl,
    ...(description.thresholds === undefined ? {} : { thresholds: description.thresholds }),
    ...(description.pgbouncer === undefined ? {} : { pgbouncer: description.pgbouncer }),
  };
}
