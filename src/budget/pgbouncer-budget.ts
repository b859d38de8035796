/**
 * The connection budget with a PgBouncer tier: two inequalities instead of one.
 *
 * ```
 * per bouncer: server connections one PgBouncer process may open =
 *              Σ over databases min( Σ over its users (pool_size + reserve_pool_size), max_db_connections ),
 *              each user also capped by max_user_connections across databases (0 means no cap)
 * server side: bouncer instances × per bouncer + every client that still connects directly   ≤ usable
 * client side: Σ app instances × per_instance behind the bouncers    ≤ serving bouncers × max_client_conn
 * ```
 *
 * Bouncer instances count like any Deployment's pods: HPA maxReplicas when
 * autoscaled, plus the rollout surge (`resolveRollout`). The client side
 * assumes connections spread evenly over the bouncers that serve (a Service
 * balances connections, not queries); the strict bound takes the bouncers a
 * rollout may have down (`maxUnavailable`, at least one) out of service.
 *
 * A bouncer can also run inside every app process instead (Heroku's
 * `heroku/pgbouncer` buildpack starts one per dyno, placement `per-instance`):
 * then the server side counts one bouncer per app process behind it (preboot
 * included) and the client side is one process's connections against its own
 * bouncer's `max_client_conn` — no spread assumption, no bouncer rollout.
 *
 * Pure arithmetic: no cdk8s, file system or database access.
 */
import { resolveRollout } from './rollout-surge.js';
import type { RolloutStrategy } from './budget-types.js';

/** PgBouncer's own defaults (`pgbouncer.ini` reference). */
export const PGBOUNCER_DEFAULTS = {
  defaultPoolSize: 20,
  reservePoolSize: 0,
  maxDbConnections: 0,
  maxUserConnections: 0,
  maxClientConn: 100,
} as const;

/** One user's pool in a `[databases]` entry. */
export interface BouncerPoolUser {
  readonly user: string;
  /** This pool's size when it differs from the database's (`[users] pool_size`). */
  readonly poolSize?: number;
}

/** One `[databases]` entry: one pool per user that connects through it. */
export interface BouncerDatabase {
  readonly name: string;
  /** Users that connect through this entry; each one opens its own pool. */
  readonly users: readonly BouncerPoolUser[];
  /** `pool_size=` of the entry. @default the bouncer's default_pool_size */
  readonly poolSize?: number;
  /** `reserve_pool=` of the entry. @default the bouncer's reserve_pool_size */
  readonly reservePoolSize?: number;
  /** `max_db_connections=` of the entry; 0 = no cap. @default the bouncer's max_db_connections */
  readonly maxDbConnections?: number;
}

/** The settings of one PgBouncer process that bound its server connections and clients. */
export interface BouncerPools {
  readonly databases: readonly BouncerDatabase[];
  /** @default 20 */
  readonly defaultPoolSize?: number;
  /** @default 0 */
  readonly reservePoolSize?: number;
  /** 0 = no cap. @default 0 */
  readonly maxDbConnections?: number;
  /** 0 = no cap. @default 0 */
  readonly maxUserConnections?: number;
  /** Per-user `max_user_connections` from `[users]`, overriding the global one. */
  readonly userMaxConnections?: Readonly<Record<string, number>>;
  /** @default 100 */
  readonly maxClientConn?: number;
}

/**
 * Where the bouncers run: a `tier` of their own that the apps share (a
 * Deployment behind a Service, a Compose service), or `per-instance`: one
 * inside every process of the apps it `serves` (Heroku's pgbouncer buildpack:
 * one per dyno), so there are as many bouncers as app processes.
 */
export type BouncerPlacement =
  | { readonly kind: 'tier' }
  | {
      readonly kind: 'per-instance';
      /** What one process is called in the report: `dyno`. */
      readonly unit: string;
      /** Names of the consumers whose processes run the bouncer. */
      readonly serves: readonly string[];
    };

/** How many bouncer pods run, as for any Deployment. */
export interface BouncerFleet {
  readonly replicas: number;
  /** HPA maxReplicas when autoscaled: the server side uses it instead of `replicas`. */
  readonly hpaMaxReplicas?: number;
  /** HPA minReplicas when autoscaled: the client side counts only these as surely serving. */
  readonly hpaMinReplicas?: number;
  /** @default RollingUpdate with 25 % / 25 % */
  readonly strategy?: RolloutStrategy;
  /** @default { kind: 'tier' }; `per-instance` ignores replicas, HPA and strategy (the app's processes count). */
  readonly placement?: BouncerPlacement;
}

/** Clients of the database: behind the bouncers, or connecting directly. */
export interface BudgetClient {
  readonly name: string;
  /** Processes (pods with surge, dynos, …) as the ordinary budget counts them. */
  readonly instances: number;
  /** Connections one process may hold (`per_instance`). */
  readonly perInstance: number;
}

/** Input of `pgbouncerBudget`. */
export interface PgbouncerBudgetInput {
  /** `max_connections` less every reservation and headroom, as the ordinary budget computes it. */
  readonly usable: number;
  readonly bouncer: BouncerPools;
  readonly fleet: BouncerFleet;
  /** App processes whose DATABASE_URL names the bouncers. */
  readonly behind: readonly BudgetClient[];
  /** Clients that still connect to PostgreSQL directly (migrations, exporters, admin). */
  readonly direct?: readonly BudgetClient[];
}

/** One pool's server connections in one bouncer process. */
export interface PoolConnections {
  readonly database: string;
  readonly user: string;
  /** pool_size + reserve_pool_size of this pool. */
  readonly size: number;
}

/** The two tiers, with every figure a report shows. */
export interface PgbouncerBudget {
  /** Server connections one bouncer process may open, with caps applied. */
  readonly perBouncer: number;
  /** Σ pool sizes before max_db_connections / max_user_connections. */
  readonly uncapped: number;
  readonly pools: readonly PoolConnections[];
  readonly server: {
    /** Bouncer pods at worst: (HPA max or replicas) + rollout surge. */
    readonly bouncerInstances: number;
    readonly bouncerConnections: number;
    readonly direct: number;
    readonly total: number;
    readonly usable: number;
    readonly fits: boolean;
  };
  readonly client: {
    /** Σ instances × per_instance of the apps behind the bouncers. */
    readonly demand: number;
    readonly maxClientConn: number;
    /** Bouncers surely serving: replicas, or HPA minReplicas when autoscaled. */
    readonly servingBouncers: number;
    /** Bouncers a rollout may have down at once (maxUnavailable, at least 1). */
    readonly downDuringRollout: number;
    /** servingBouncers × max_client_conn: the bound under an even spread. */
    readonly capacity: number;
    /** (servingBouncers − downDuringRollout) × max_client_conn: the strict bound. */
    readonly strictCapacity: number;
    readonly fits: boolean;
    readonly fitsStrict: boolean;
    readonly assumption: string;
  };
  readonly fits: boolean;
  /**
   * Set when one bouncer runs inside every app process: `server.bouncerInstances` are then the app's
   * processes, and the client side is per process (`demand` is one process's connections,
   * `servingBouncers` 1, `capacity` its own bouncer's max_client_conn).
   */
  readonly perInstance?: { readonly unit: string };
}

/** The client side's spread assumption, as a report states it. */
export const SPREAD_ASSUMPTION =
  'client connections spread evenly over the serving bouncers (a Service balances ' +
  'connections, not queries); the strict bound also takes the bouncers a rollout may have down out of service';

/** The client side's assumption when one bouncer runs inside every app process. */
function perInstanceAssumption(unit: string): string {
  return (
    `one PgBouncer runs inside every ${unit} and serves only that ${unit}'s connections, so the client side ` +
    `is per ${unit}; a deploy adds bouncers with the new ${unit}s, counted on the server side`
  );
}

/**
 * Both tiers of a PgBouncer-fronted database.
 * @throws Error naming the field when a count is not an integer in range.
 */
export function pgbouncerBudget(input: PgbouncerBudgetInput): PgbouncerBudget {
  checkCount('usable', input.usable, 0);
  const { perBouncer, uncapped, pools } = bouncerServerConnections(input.bouncer);
  const fleet = input.fleet;
  if (fleet.placement?.kind === 'per-instance') return perInstanceBudget(input, fleet.placement.unit);
  checkCount('fleet.replicas', fleet.replicas, 1);
  if (fleet.hpaMaxReplicas !== undefined)
    checkCount('fleet.hpaMaxReplicas', fleet.hpaMaxReplicas, fleet.replicas);
  const peak = fleet.hpaMaxReplicas ?? fleet.replicas;
  const bouncerInstances = peak + resolveRollout(peak, fleet.strategy).surge;
  const direct = sumClients('direct', input.direct ?? []);
  const bouncerConnections = bouncerInstances * perBouncer;
  const total = bouncerConnections + direct;

  const demand = sumClients('behind', input.behind);
  const maxClientConn = input.bouncer.maxClientConn ?? PGBOUNCER_DEFAULTS.maxClientConn;
  checkCount('max_client_conn', maxClientConn, 1);
  const servingBouncers = fleet.hpaMinReplicas ?? fleet.replicas;
  checkCount('fleet.hpaMinReplicas', servingBouncers, 1);
  const downDuringRollout = Math.min(
    servingBouncers,
    Math.max(1, resolveRollout(servingBouncers, fleet.strategy).unavailable),
  );
  const capacity = servingBouncers * maxClientConn;
  const strictCapacity = (servingBouncers - downDuringRollout) * maxClientConn;
  const serverFits = total <= input.usable;
  const clientFits = demand <= capacity;
  return {
    perBouncer,
    uncapped,
    pools,
    server: { bouncerInstances, bouncerConnections, direct, total, usable: input.usable, fits: serverFits },
    client: {
      demand,
      maxClientConn,
      servingBouncers,
      downDuringRollout,
      capacity,
      strictCapacity,
      fits: clientFits,
      fitsStrict: demand <= strictCapacity,
      assumption: SPREAD_ASSUMPTION,
    },
    fits: serverFits && clientFits,
  };
}

/**
 * Both tiers when a bouncer runs inside every app process: one bouncer per
 * process behind it (its instances already hold preboot or surge), and one
 * process's connections against its own bouncer's max_client_conn.
 */
function perInstanceBudget(input: PgbouncerBudgetInput, unit: string): PgbouncerBudget {
  const { perBouncer, uncapped, pools } = bouncerServerConnections(input.bouncer);
  let bouncerInstances = 0;
  let demand = 0;
  for (const client of input.behind) {
    checkCount(`behind ${client.name}: instances`, client.instances, 0);
    checkCount(`behind ${client.name}: perInstance`, client.perInstance, 0);
    bouncerInstances += client.instances;
    if (client.instances > 0) demand = Math.max(demand, client.perInstance);
  }
  const direct = sumClients('direct', input.direct ?? []);
  const bouncerConnections = bouncerInstances * perBouncer;
  const total = bouncerConnections + direct;
  const maxClientConn = input.bouncer.maxClientConn ?? PGBOUNCER_DEFAULTS.maxClientConn;
  checkCount('max_client_conn', maxClientConn, 1);
  const serverFits = total <= input.usable;
  const clientFits = demand <= maxClientConn;
  return {
    perBouncer,
    uncapped,
    pools,
    server: { bouncerInstances, bouncerConnections, direct, total, usable: input.usable, fits: serverFits },
    client: {
      demand,
      maxClientConn,
      servingBouncers: 1,
      downDuringRollout: 0,
      capacity: maxClientConn,
      strictCapacity: maxClientConn,
      fits: clientFits,
      fitsStrict: clientFits,
      assumption: perInstanceAssumption(unit),
    },
    fits: serverFits && clientFits,
    perInstance: { unit },
  };
}

/**
 * Server connections one bouncer process may open: every pool at
 * pool_size + reserve_pool_size, limited by max_db_connections per database
 * and max_user_connections per user (across databases). With both caps the
 * bound is a maximum flow from databases to users; it is computed exactly.
 */
export function bouncerServerConnections(bouncer: BouncerPools): {
  perBouncer: number;
  uncapped: number;
  pools: PoolConnections[];
} {
  const defaultPoolSize = bouncer.defaultPoolSize ?? PGBOUNCER_DEFAULTS.defaultPoolSize;
  const reserve = bouncer.reservePoolSize ?? PGBOUNCER_DEFAULTS.reservePoolSize;
  checkCount('default_pool_size', defaultPoolSize, 0);
  checkCount('reserve_pool_size', reserve, 0);
  const pools: PoolConnections[] = [];
  const databaseCaps: number[] = [];
  for (const database of bouncer.databases) {
    const cap = database.maxDbConnections ?? bouncer.maxDbConnections ?? PGBOUNCER_DEFAULTS.maxDbConnections;
    checkCount(`max_db_connections of ${database.name}`, cap, 0);
    databaseCaps.push(cap);
    for (const user of database.users) {
      const size =
        (user.poolSize ?? database.poolSize ?? defaultPoolSize) + (database.reservePoolSize ?? reserve);
      checkCount(`pool size of ${database.name}/${user.user}`, size, 0);
      pools.push({ database: database.name, user: user.user, size });
    }
  }
  const users = [...new Set(pools.map((pool) => pool.user))];
  const userCaps = users.map((user) => {
    const cap =
      bouncer.userMaxConnections?.[user] ??
      bouncer.maxUserConnections ??
      PGBOUNCER_DEFAULTS.maxUserConnections;
    checkCount(`max_user_connections of ${user}`, cap, 0);
    return cap;
  });
  const uncapped = pools.reduce((sum, pool) => sum + pool.size, 0);
  const perBouncer = maxFlow(
    bouncer.databases.map((database) => database.name),
    databaseCaps,
    users,
    userCaps,
    pools,
    uncapped,
  );
  return { perBouncer, uncapped, pools };
}

/**
 * Largest flow source → database (cap, 0 = none) → user (pool size) → sink
 * (cap, 0 = none), by augmenting paths. Graphs are tiny (databases × users).
 */
function maxFlow(
  databases: readonly string[],
  databaseCaps: readonly number[],
  users: readonly string[],
  userCaps: readonly number[],
  pools: readonly PoolConnections[],
  unlimited: number,
): number {
  const nodes = 2 + databases.length + users.length;
  const sink = nodes - 1;
  const capacity = Array.from({ length: nodes }, () => new Array<number>(nodes).fill(0));
  const orNone = (cap: number): number => (cap === 0 ? unlimited : cap);
  databases.forEach((_, index) => {
    capacity[0]![1 + index] = orNone(databaseCaps[index]!);
  });
  users.forEach((_, index) => {
    capacity[1 + databases.length + index]![sink] = orNone(userCaps[index]!);
  });
  for (const pool of pools) {
    capacity[1 + databases.indexOf(pool.database)]![1 + databases.length + users.indexOf(pool.user)]! +=
      pool.size;
  }
  let flow = 0;
  // Each augmentation adds at least 1; bounded by the total pool size.
  for (let round = 0; round <= unlimited; round += 1) {
    const previous = new Array<number>(nodes).fill(-1);
    previous[0] = 0;
    const queue = [0];
    while (queue.length > 0 && previous[sink] === -1) {
      const node = queue.shift()!;
      for (let next = 0; next < nodes; next += 1) {
        if (previous[next] === -1 && capacity[node]![next]! > 0) {
          previous[next] = node;
          queue.push(next);
        }
      }
    }
    if (previous[sink] === -1) return flow;
    let bottleneck = Number.MAX_SAFE_INTEGER;
    for (let node = sink; node !== 0; node = previous[node]!)
      bottleneck = Math.min(bottleneck, capacity[previous[node]!]![node]!);
    for (let node = sink; node !== 0; node = previous[node]!) {
      capacity[previous[node]!]![node]! -= bottleneck;
      capacity[node]![previous[node]!]! += bottleneck;
    }
    flow += bottleneck;
  }
  return flow;
}

function sumClients(field: string, clients: readonly BudgetClient[]): number {
  let sum = 0;
  for (const client of clients) {
    checkCount(`${field} ${client.name}: instances`, client.instances, 0);
    checkCount(`${field} ${client.name}: perInstance`, client.perInstance, 0);
    sum += client.instances * client.perInstance;
  }
  return sum;
}

/** @throws Error when `value` is not an integer >= `minimum`. */
export function checkCount(field: string, value: number, minimum: number): void {
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new Error(`${field} must be an integer >= ${minimum}, got ${JSON.stringify(value)}`);
  }
}
