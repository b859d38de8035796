/**
 * `plan --solve pgbouncer-pool-size | pgbouncer-fleet`: the PgBouncer tier's
 * two plans. The pool size is the largest `default_pool_size` whose server
 * side (bouncer pods incl. surge × pools) fits the database's usable slots;
 * the fleet is the largest app replica count whose client connections fit
 * the bouncers' `max_client_conn` with one bouncer down (the strict bound).
 */
import { perInstanceConnections } from 'clientats-runtime/contract';
import { usableSlots } from '../budget/compute-budget.js';
import type { BouncerFleet } from '../budget/pgbouncer-budget.js';
import {
  bouncersForBound,
  largestFleetBehind,
  perBouncerAt,
  solveDefaultPoolSize,
} from '../budget/pgbouncer-plan.js';
import { resolveRollout } from '../budget/rollout-surge.js';
import { asInputError } from '../readers/manifest-input.js';
import { integerOption, UsageError, type ParsedOptions } from './cli-options.js';
import { databaseFromOptions, type LiveOptions } from './command-inputs.js';

/** What a PgBouncer plan found; `value` is undefined when nothing fits. */
export interface PgbouncerPlanResult {
  readonly solve: 'pgbouncer-pool-size' | 'pgbouncer-fleet';
  readonly value: number | undefined;
  readonly summary: string;
}

/** Solves one PgBouncer plan from flags. */
export async function pgbouncerPlan(
  options: ParsedOptions,
  solve: PgbouncerPlanResult['solve'],
  live: LiveOptions = {},
): Promise<PgbouncerPlanResult> {
  const replicas = integerOption(options, 'pgbouncer-replicas', 1);
  if (replicas === undefined)
    throw new UsageError(`--solve ${solve} needs --pgbouncer-replicas N (PgBouncer pods)`);
  const surge = integerOption(options, 'pgbouncer-max-surge', 0) ?? 1;
  const fleet: BouncerFleet = {
    replicas,
    strategy: { type: 'RollingUpdate', maxSurge: surge, maxUnavailable: 0 },
  };
  const reservePoolSize = integerOption(options, 'reserve-pool-size', 0) ?? 0;
  const bouncer = { databases: [{ name: 'app', users: [{ user: 'app' }] }], reservePoolSize };
  if (solve === 'pgbouncer-pool-size') {
    const database = await databaseFromOptions(options, live);
    if (database === undefined)
      throw new UsageError(
        'no database given: pass --max-connections N, --provider NAME or --database-url URL',
      );
    const { usable } = usableSlots(database.target);
    const size = solveDefaultPoolSize({ usable, bouncer, fleet });
    const pods = replicas + surge;
    if (size === undefined) {
      return {
        solve,
        value: undefined,
        summary:
          `no default_pool_size fits: ${pods} bouncer pods × (1 + ${reservePoolSize} reserve) ` +
          `> ${usable} usable: run fewer bouncer pods`,
      };
    }
    const perBouncer = perBouncerAt(bouncer, size);
    return {
      solve,
      value: size,
      summary:
        `default_pool_size ${size} (reserve_pool_size ${reservePoolSize}): ${pods} bouncer pods ` +
        `(${replicas} + ${surge} surge) × ${perBouncer} server connections ` +
        `= ${pods * perBouncer} ≤ ${usable} usable`,
    };
  }
  const maxClientConn = integerOption(options, 'max-client-conn', 1);
  if (maxClientConn === undefined)
    throw new UsageError('--solve pgbouncer-fleet needs --max-client-conn N (per bouncer)');
  const poolSize = integerOption(options, 'pool-size', 1);
  if (poolSize === undefined)
    throw new UsageError("--solve pgbouncer-fleet needs --pool-size N (the apps' POOL_SIZE)");
  const pool = {
    poolSize,
    poolCount: integerOption(options, 'pool-count', 1) ?? 1,
    maxOverflow: integerOption(options, 'max-overflow', 0) ?? 0,
  };
  const perInstance = perInstanceConnections(pool);
  const maxSurge = options.values['max-surge'];
  const appStrategy = {
    type: 'RollingUpdate' as const,
    ...(typeof maxSurge === 'string' ? { maxSurge } : {}),
  };
  const largest = asInputError(() => {
    resolveRollout(1, appStrategy);
    return largestFleetBehind({ fleet, maxClientConn, perInstance, appStrategy, bound: 'strict' });
  });
  const serving = `${bouncersForBound(fleet, 'strict')} serving bouncer(s) × max_client_conn ${maxClientConn}`;
  if (largest === undefined) {
    return {
      solve,
      value: undefined,
      summary:
        `not even one app pod fits: ${perInstance} connections per pod ` +
        `(with surge) > ${serving}: raise --max-client-conn`,
    };
  }
  return {
    solve,
    value: largest.replicas,
    summary:
      `app replicas (or HPA max) ${largest.replicas}: ${largest.instances} pods with surge ` +
      `× ${perInstance} = ${largest.connections} client connections ≤ ${serving} = ${largest.capacity}`,
  };
}
