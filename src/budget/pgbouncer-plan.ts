/**
 * `plan` for a PgBouncer tier: the largest `default_pool_size` whose server
 * side fits `usable`, the `max_client_conn` an app fleet needs, and the
 * largest app fleet that fits behind the bouncers. Pure arithmetic on top of
 * `pgbouncerBudget`, so a plan is always a budget that fits.
 */
import { resolveRollout } from './rollout-surge.js';
import type { RolloutStrategy } from './budget-types.js';
import {
  bouncerServerConnections,
  checkCount,
  pgbouncerBudget,
  PGBOUNCER_DEFAULTS,
  type BouncerFleet,
  type BouncerPools,
  type BudgetClient,
} from './pgbouncer-budget.js';

/** Which client-side bound a plan must meet. */
export type SpreadBound = 'even' | 'strict';

/**
 * The largest `default_pool_size` (≥ 1) for which bouncer instances × per
 * bouncer + direct clients ≤ usable; `undefined` when even 1 does not fit.
 * Pools that set their own size keep it.
 */
export function solveDefaultPoolSize(input: {
  readonly usable: number;
  readonly bouncer: BouncerPools;
  readonly fleet: BouncerFleet;
  readonly direct?: readonly BudgetClient[];
}): number | undefined {
  const fits = (size: number): boolean =>
    pgbouncerBudget({ ...input, bouncer: { ...input.bouncer, defaultPoolSize: size }, behind: [] }).server
      .fits;
  if (!fits(1)) return undefined;
  // Server connections grow with the pool size, so the largest fitting size is found by bisection.
  let low = 1;
  let high = Math.max(1, input.usable);
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** Bouncers counted by a client-side bound: all serving ones (even) or those left during a rollout (strict). */
export function bouncersForBound(fleet: BouncerFleet, bound: SpreadBound): number {
  const serving = fleet.hpaMinReplicas ?? fleet.replicas;
  checkCount('fleet.replicas', serving, 1);
  if (bound === 'even') return serving;
  const down = Math.min(serving, Math.max(1, resolveRollout(serving, fleet.strategy).unavailable));
  return serving - down;
}

/**
 * The smallest `max_client_conn` that carries `demand` client connections
 * under the bound (strict falls back to even for a single bouncer, which
 * cannot lose one and still serve), never below PgBouncer's default of 100.
 */
export function requiredMaxClientConn(
  demand: number,
  fleet: BouncerFleet,
  bound: SpreadBound = 'strict',
): number {
  checkCount('demand', demand, 0);
  const strict = bouncersForBound(fleet, bound);
  const bouncers = strict > 0 ? strict : bouncersForBound(fleet, 'even');
  return Math.max(PGBOUNCER_DEFAULTS.maxClientConn, Math.ceil(demand / bouncers));
}

/** The largest app fleet behind the bouncers. */
export interface LargestFleet {
  /** Replicas (or HPA maxReplicas) of the app Deployment. */
  readonly replicas: number;
  /** With the rollout surge. */
  readonly instances: number;
  /** instances × per_instance + the other clients behind the bouncers. */
  readonly connections: number;
  /** Client connections the bouncers take under the bound. */
  readonly capacity: number;
}

/**
 * The largest app replica count whose instances (with surge) × per_instance,
 * plus `otherBehind` client connections, fit the bouncers' max_client_conn
 * under the bound; `undefined` when not even one replica fits.
 */
export function largestFleetBehind(input: {
  readonly fleet: BouncerFleet;
  readonly maxClientConn?: number;
  readonly perInstance: number;
  readonly appStrategy?: RolloutStrategy;
  readonly otherBehind?: number;
  readonly bound?: SpreadBound;
}): LargestFleet | undefined {
  const maxClientConn = input.maxClientConn ?? PGBOUNCER_DEFAULTS.maxClientConn;
  checkCount('max_client_conn', maxClientConn, 1);
  checkCount('perInstance', input.perInstance, 1);
  const other = input.otherBehind ?? 0;
  checkCount('otherBehind', other, 0);
  const capacity = bouncersForBound(input.fleet, input.bound ?? 'strict') * maxClientConn;
  const connectionsOf = (replicas: number): number =>
    (replicas + resolveRollout(replicas, input.appStrategy).surge) * input.perInstance + other;
  if (connectionsOf(1) > capacity) return undefined;
  let replicas = 1;
  // Connections grow with replicas and each replica adds at least per_instance: bounded by capacity / per_instance.
  while (replicas < capacity && connectionsOf(replicas + 1) <= capacity) replicas += 1;
  const instances = replicas + resolveRollout(replicas, input.appStrategy).surge;
  return { replicas, instances, connections: connectionsOf(replicas), capacity };
}

/** Server connections one bouncer opens at a given default_pool_size (for reports beside a plan). */
export function perBouncerAt(bouncer: BouncerPools, defaultPoolSize: number): number {
  return bouncerServerConnections({ ...bouncer, defaultPoolSize }).perBouncer;
}
