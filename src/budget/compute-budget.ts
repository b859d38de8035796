/**
 * The connection budget: every consumer's worst case summed against what the
 * database lets an application role use. Pure arithmetic, no cdk8s import, so
 * the synth-time validation, the CLI and the tests share it.
 *
 * Three figures per consumer, all with DESIGN's `per_instance` (pool
 * connections **plus** the readiness check's own connection):
 * - `steady`: the instances that run when nothing changes (HPA maxReplicas when
 *   autoscaled, Compose replicas, Heroku dynos);
 * - `rollout`: during a deploy — Kubernetes adds the resolved `maxSurge`,
 *   Heroku doubles web dynos while preboot is on;
 * - `strict`: as `rollout`, and old instances still connected while they
 *   terminate (KEP-3973: terminating pods are not counted against surge). For
 *   one rolling update the Deployment's new ReplicaSet never exceeds R, and each
 *   old pod terminates once, so at most `max(R + surge, 2R)` pods hold
 *   connections; Recreate waits for old pods to be gone, so it stays at R;
 *   Heroku without preboot still overlaps stopping dynos (up to 30 s), so 2×.
 *   The bound assumes one rollout at a time.
 * `rollout` is enforced by default; `strict` on request.
 *
 * Kubernetes kinds other than Deployment: a DaemonSet is sized like a
 * Deployment on its nodes (its surge defaults to 0); StatefulSet, ReplicaSet
 * and ReplicationController hold R (HPA max) pods in every case; a Pod one; a
 * Job its parallelism; a CronJob its parallelism, twice while two runs overlap.
 */
import { perInstanceConnections, READINESS_CONNECTIONS } from 'clientats-runtime/contract';
import type {
  BudgetMode,
  Consumer,
  DatabaseLimits,
  KubernetesConsumer,
  ProviderFacts,
  RolloutStrategy,
  WorkloadKind,
} from './budget-types.js';
import { resolveRollout, type ResolvedRollout } from './rollout-surge.js';

/** PostgreSQL's default `superuser_reserved_connections`. */
export const DEFAULT_SUPERUSER_RESERVED = 3;

/** A number for each of the three worst cases. */
export type Figures = Readonly<Record<BudgetMode, number>>;

/** One consumer's share of the budget. */
export interface ConsumerBudget {
  readonly kind: Consumer['kind'];
  readonly name: string;
  readonly source?: string;
  /** The output file holding it, relative to the synth outdir (synth only), so `check dist` finds its database. */
  readonly artifact?: string;
  /** Heroku only: preboot is on (web dynos doubled during a deploy). */
  readonly preboot?: boolean;
  /** Kubernetes only: the kind running the pods. */
  readonly workload?: WorkloadKind;
  /** Carries the readiness check's own connection (runs clientats-runtime); false for other clients. */
  readonly readiness: boolean;
  /** `per_instance`: pool connections + probe connections of one process (0 for other clients). */
  readonly perInstance: number;
  /** Processes (pods, containers, dynos) in each case; 0 for other clients. */
  readonly instances: Figures;
  /** Connections held by the pools alone (instances × pool count × (size + overflow)). */
  readonly poolConnections: Figures;
  /** Connections held by readiness checks (instances × probe connections). */
  readonly probeConnections: Figures;
  /** `poolConnections + probeConnections` (or the declared count of an other client). */
  readonly connections: Figures;
  /** The arithmetic behind `connections`, e.g. `13 pods (10 replicas + 3 surge) × (1 pool × (8 + 2) + 1 probe)`. */
  readonly arithmetic: Readonly<Record<BudgetMode, string>>;
}

/** The budget of one database. */
export interface DatabaseBudget {
  readonly database: string;
  readonly maxConnections: number;
  readonly superuserReserved: number;
  readonly reserved: number;
  readonly providerReserved: number;
  readonly headroom: number;
  readonly alreadyConnected: number;
  readonly provider?: ProviderFacts;
  /** Slots the consumers may use. */
  readonly usable: number;
  /** `max_connections 100 − 3 reserved`. */
  readonly usableArithmetic: string;
  /** The enforced case. */
  readonly mode: BudgetMode;
  readonly totals: Figures;
  readonly consumers: readonly ConsumerBudget[];
  /** `totals[mode] <= usable`. */
  readonly fits: boolean;
  /** Spare slots in the enforced case; negative when over budget. */
  readonly spare: number;
  /** The violation line when it does not fit (without the construct path). */
  readonly violation?: string;
}

/** Options of `computeBudget`. */
export interface BudgetOptions {
  /** The case that decides the verdict. @default 'rollout' */
  readonly mode?: BudgetMode;
}

/** Usable slots of a target and the arithmetic, e.g. `max_connections 100 − 3 reserved`. */
export function usableSlots(target: DatabaseLimits): { usable: number; arithmetic: string } {
  checkCount(`database ${target.name} maxConnections`, target.maxConnections, 1);
  const superuser = checkCount(
    `database ${target.name} superuserReserved`,
    target.superuserReserved ?? DEFAULT_SUPERUSER_RESERVED,
  );
  const reserved = checkCount(`database ${target.name} reserved`, target.reserved ?? 0);
  const provider = checkCount(`database ${target.name} providerReserved`, target.providerReserved ?? 0);
  const headroom = checkCount(`database ${target.name} headroom`, target.headroom ?? 0);
  const connected = checkCount(`database ${target.name} alreadyConnected`, target.alreadyConnected ?? 0);
  const parts = [
    { count: superuser, label: 'superuser' },
    { count: reserved, label: 'reserved_connections' },
    { count: provider, label: 'provider' },
  ].filter((part) => part.count > 0);
  const reservedTotal = superuser + reserved + provider;
  let arithmetic = `max_connections ${target.maxConnections}`;
  if (parts.length === 1) arithmetic += ` − ${reservedTotal} reserved`;
  if (parts.length > 1)
    arithmetic += ` − ${reservedTotal} reserved (${parts.map((part) => `${part.count} ${part.label}`).join(' + ')})`;
  if (headroom > 0) arithmetic += ` − ${headroom} headroom`;
  if (connected > 0) arithmetic += ` − ${connected} already connected`;
  return { usable: target.maxConnections - reservedTotal - headroom - connected, arithmetic };
}

/**
 * Sums consumers against one database.
 * @throws Error naming the consumer and field when a count is not an integer >= 0.
 */
export function computeBudget(
  consumers: readonly Consumer[],
  target: DatabaseLimits,
  options: BudgetOptions = {},
): DatabaseBudget {
  const mode = options.mode ?? 'rollout';
  const { usable, arithmetic } = usableSlots(target);
  const budgets = consumers.map(consumerBudget);
  const totals = figures((case_) => budgets.reduce((sum, budget) => sum + budget.connections[case_], 0));
  const fits = totals[mode] <= usable;
  const result: DatabaseBudget = {
    database: target.name,
    maxConnections: target.maxConnections,
    superuserReserved: target.superuserReserved ?? DEFAULT_SUPERUSER_RESERVED,
    reserved: target.reserved ?? 0,
    providerReserved: target.providerReserved ?? 0,
    headroom: target.headroom ?? 0,
    alreadyConnected: target.alreadyConnected ?? 0,
    ...(target.provider === undefined ? {} : { provider: target.provider }),
    usable,
    usableArithmetic: arithmetic,
    mode,
    totals,
    consumers: budgets,
    fits,
    spare: usable - totals[mode],
  };
  return fits ? result : { ...result, violation: violationLine(result) };
}

/** `worst case 143 > 97 usable (max_connections 100 − 3 reserved): 13 pods (…) × (…)`. */
function violationLine(budget: DatabaseBudget): string {
  const { mode } = budget;
  const label = {
    steady: 'steady state',
    rollout: 'worst case',
    strict: 'strict worst case (terminating pods connected)',
  }[mode];
  const head = `${label} ${budget.totals[mode]} > ${budget.usable} usable (${budget.usableArithmetic})`;
  const counted = budget.consumers.filter(
    (consumer) => consumer.connections[mode] > 0 || budget.consumers.length === 1,
  );
  if (counted.length === 1 && counted[0].kind !== 'other') return `${head}: ${counted[0].arithmetic[mode]}`;
  const terms = counted.map(
    (consumer) => `${consumer.name} ${consumer.arithmetic[mode]} = ${consumer.connections[mode]}`,
  );
  return `${head} on database ${budget.database}: ${terms.join(' + ')}`;
}

/** One consumer's figures and arithmetic. */
function consumerBudget(consumer: Consumer): ConsumerBudget {
  const base = {
    kind: consumer.kind,
    name: consumer.name,
    ...(consumer.source === undefined ? {} : { source: consumer.source }),
    ...(consumer.kind === 'heroku' ? { preboot: consumer.preboot } : {}),
    ...(consumer.kind === 'kubernetes' ? { workload: consumer.workload ?? 'Deployment' } : {}),
  };
  if (consumer.kind === 'other') {
    const connections = checkCount(`${consumer.name} connections`, consumer.connections);
    const text = `${connections} (${consumer.description ?? 'other client'})`;
    return {
      ...base,
      readiness: false,
      perInstance: 0,
      instances: figures(() => 0),
      poolConnections: figures(() => 0),
      probeConnections: figures(() => 0),
      connections: figures(() => connections),
      arithmetic: figures(() => text) as Record<BudgetMode, string>,
    };
  }
  const pool = {
    poolSize: checkCount(`${consumer.name} POOL_SIZE`, consumer.pool.poolSize, 1),
    poolCount: checkCount(`${consumer.name} POOL_COUNT`, consumer.pool.poolCount, 1),
    maxOverflow: checkCount(`${consumer.name} MAX_OVERFLOW`, consumer.pool.maxOverflow),
  };
  const probes = checkCount(
    `${consumer.name} probeConnections`,
    consumer.probeConnections ?? READINESS_CONNECTIONS,
  );
  const perInstance = perInstanceConnections(pool, probes);
  const poolPart = perInstance - probes;
  const processes = instancesOf(consumer);
  const perText =
    `(${plural(pool.poolCount, 'pool')} × (${pool.poolSize} + ${pool.maxOverflow})` +
    `${probes > 0 ? ` + ${plural(probes, 'probe')}` : ''})`;
  return {
    ...base,
    readiness: probes > 0,
    perInstance,
    instances: figures((case_) => processes[case_].count),
    poolConnections: figures((case_) => processes[case_].count * poolPart),
    probeConnections: figures((case_) => processes[case_].count * probes),
    connections: figures((case_) => processes[case_].count * perInstance),
    arithmetic: figures((case_) => `${processes[case_].text} × ${perText}`) as Record<BudgetMode, string>,
  };
}

type Processes = Record<BudgetMode, { count: number; text: string }>;

function instancesOf(consumer: Exclude<Consumer, { kind: 'other' }>): Processes {
  switch (consumer.kind) {
    case 'kubernetes':
      return podsOf(consumer);
    case 'compose': {
      const replicas = checkCount(`${consumer.name} replicas`, consumer.replicas ?? 1);
      const containers = { count: replicas, text: plural(replicas, 'container') };
      // `docker compose up` stops the old container before starting its replacement.
      return { steady: containers, rollout: containers, strict: containers };
    }
    case 'heroku': {
      const dynos = checkCount(`${consumer.name} dynos`, consumer.dynos);
      const doubled = {
        count: 2 * dynos,
        text: `${plural(2 * dynos, 'dyno')} (${dynos} + ${dynos} ${consumer.preboot ? 'preboot' : 'stopping'})`,
      };
      return {
        steady: { count: dynos, text: plural(dynos, 'dyno') },
        rollout: consumer.preboot ? doubled : { count: dynos, text: `${plural(dynos, 'dyno')} (no preboot)` },
        strict: doubled,
      };
    }
  }
}

type Pods = { count: number; text: string };

function pods(count: number, detail?: string): Pods {
  return { count, text: `${plural(count, 'pod')}${detail === undefined ? '' : ` (${detail})`}` };
}

/** Pods of a Kubernetes workload in each case (see kubernetes-workloads.ts in src/readers for the kinds). */
function podsOf(consumer: KubernetesConsumer): Processes {
  const workload = consumer.workload ?? 'Deployment';
  const replicas = checkCount(`${consumer.name} replicas`, consumer.replicas);
  switch (workload) {
    case 'Pod': {
      const one = pods(replicas);
      return { steady: one, rollout: one, strict: one };
    }
    case 'Job': {
      const run = pods(replicas, `Job parallelism ${replicas}`);
      return { steady: run, rollout: run, strict: run };
    }
    case 'CronJob': {
      const run = pods(replicas, `CronJob parallelism ${replicas}`);
      const overlap =
        consumer.overlappingRuns === true
          ? pods(2 * replicas, `2 overlapping runs × parallelism ${replicas}`)
          : pods(replicas, `parallelism ${replicas}, concurrencyPolicy Forbid`);
      return { steady: run, rollout: overlap, strict: overlap };
    }
    case 'DaemonSet':
      return rollingPods(consumer, replicas, plural(replicas, 'node'), undefined);
    case 'StatefulSet':
    case 'ReplicaSet':
    case 'ReplicationController': {
      const hpa = hpaOf(consumer);
      const desired = hpa ?? replicas;
      const text = hpa === undefined ? plural(desired, 'replica') : `${desired} HPA max`;
      const replaced =
        workload === 'StatefulSet'
          ? `${text}, StatefulSet: replaced one by one`
          : `${text}, ${workload}: no rollout`;
      return {
        steady: pods(desired, hpa === undefined ? undefined : 'HPA max'),
        rollout: pods(desired, replaced),
        strict: pods(desired, replaced),
      };
    }
    case 'Deployment': {
      const hpa = hpaOf(consumer);
      const desired = hpa ?? replicas;
      return rollingPods(
        consumer,
        desired,
        hpa === undefined ? plural(desired, 'replica') : `${desired} HPA max`,
        hpa,
      );
    }
  }
}

function hpaOf(consumer: KubernetesConsumer): number | undefined {
  return consumer.hpaMaxReplicas === undefined
    ? undefined
    : checkCount(`${consumer.name} hpaMaxReplicas`, consumer.hpaMaxReplicas);
}

/**
 * A Deployment or DaemonSet: the desired pods, plus surge during a rollout, plus terminating pods in the
 * strict case.
 */
function rollingPods(
  consumer: KubernetesConsumer,
  desired: number,
  desiredText: string,
  hpa: number | undefined,
): Processes {
  const rollout = resolveRolloutFor(consumer.name, desired, consumer.strategy);
  const steady = pods(desired, hpa === undefined ? undefined : 'HPA max');
  if (rollout.type === 'Recreate') {
    return {
      steady,
      rollout: pods(desired, `${desiredText}, Recreate: no surge`),
      strict: pods(desired, `${desiredText}, Recreate: old pods gone first`),
    };
  }
  const strictCount = Math.max(desired + rollout.surge, 2 * desired);
  const surged = rollout.surge === 0 ? `${desiredText}, no surge` : `${desiredText} + ${rollout.surge} surge`;
  return {
    steady: consumer.workload === 'DaemonSet' ? pods(desired, desiredText) : steady,
    rollout: pods(desired + rollout.surge, surged),
    strict: pods(
      strictCount,
      strictCount === 2 * desired
        ? `${desiredText} + ${desired} terminating`
        : `${desiredText} + ${rollout.surge} surge`,
    ),
  };
}

function resolveRolloutFor(
  name: string,
  replicas: number,
  strategy: RolloutStrategy | undefined,
): ResolvedRollout {
  try {
    return resolveRollout(replicas, strategy);
  } catch (error) {
    throw new Error(`${name} ${(error as Error).message}`, { cause: error });
  }
}

function figures<T>(of: (mode: BudgetMode) => T): Record<BudgetMode, T> {
  return { steady: of('steady'), rollout: of('rollout'), strict: of('strict') };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function checkCount(what: string, value: number, minimum = 0): number {
  if (!Number.isSafeInteger(value) || value < minimum)
    throw new Error(`${what} must be an integer >= ${minimum}, got ${JSON.stringify(value)}`);
  return value;
}
