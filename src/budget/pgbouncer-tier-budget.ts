/**
 * One database's budget with PgBouncer tiers in front of it: the consumers
 * whose env says `DATABASE_POOLER=pgbouncer` count on the CLIENT side of the
 * tier (against the bouncers' `max_client_conn`), the tier counts on the
 * SERVER side (bouncer pods incl. surge × per-bouncer server connections)
 * together with every client that still connects directly. Pure arithmetic.
 */
import type { BudgetMode, Consumer, DatabaseLimits, OtherClient } from './budget-types.js';
import {
  computeBudget,
  type BudgetOptions,
  type ConsumerBudget,
  type DatabaseBudget,
} from './compute-budget.js';
import {
  pgbouncerBudget,
  type BouncerFleet,
  type BouncerPools,
  type PgbouncerBudget,
} from './pgbouncer-budget.js';

/** A PgBouncer tier as a reader found it. */
export interface TierInput {
  readonly name: string;
  /** Where it was read from, for messages. */
  readonly source: string;
  /** The output file holding it (synth only), so `check dist` finds its database. */
  readonly artifact?: string;
  readonly pools: BouncerPools;
  readonly fleet: BouncerFleet;
}

/** A tier's two sides and the consumers behind it, as the report shows them. */
export interface PgbouncerTierBudget {
  readonly name: string;
  readonly source: string;
  readonly artifact?: string;
  /** The consumers behind the bouncers (client side), with their figures. */
  readonly behind: readonly ConsumerBudget[];
  readonly budget: PgbouncerBudget;
}

/** A database budget that may carry PgBouncer tiers. */
export interface TieredDatabaseBudget extends DatabaseBudget {
  /** Set when PgBouncer tiers front the database: their server connections are in `consumers` as one line each. */
  readonly pgbouncer?: readonly PgbouncerTierBudget[];
}

/** The consumers a tier serves when it runs inside their processes; undefined for a shared tier. */
function servedNames(tier: TierInput): readonly string[] | undefined {
  return tier.fleet.placement?.kind === 'per-instance' ? tier.fleet.placement.serves : undefined;
}

/** The report line name of a tier's server connections. */
export function tierConsumerName(tier: string): string {
  return `pgbouncer ${tier}`;
}

/** Whether a consumer connects through a PgBouncer tier (its env says DATABASE_POOLER=pgbouncer). */
function isBehindPgbouncer(consumer: Consumer): boolean {
  return consumer.kind !== 'other' && consumer.pooler === 'pgbouncer';
}

/**
 * The budget of `consumers` against `limits`, with every consumer behind a
 * bouncer moved to the client side of `tiers`.
 * @throws Error when consumers sit behind a bouncer but no tier (or more than one) is given.
 */
export function computeTieredBudget(
  consumers: readonly Consumer[],
  tiers: readonly TierInput[],
  limits: DatabaseLimits,
  options: BudgetOptions = {},
): TieredDatabaseBudget {
  const mode: BudgetMode = options.mode ?? 'rollout';
  const behind = consumers.filter(isBehindPgbouncer);
  const direct = consumers.filter((consumer) => !isBehindPgbouncer(consumer));
  if (tiers.length === 0) {
    if (behind.length > 0) {
      throw new Error(
        `${behind.map((consumer) => consumer.name).join(', ')} connect through PgBouncer (DATABASE_POOLER=pgbouncer) ` +
          `but no PgBouncer tier of database "${limits.name}" is in the input: pass its ConfigMap and Deployment, ` +
          'or its pgbouncer.ini with --pgbouncer-replicas N',
      );
    }
    return computeBudget(consumers, limits, options);
  }
  // A bouncer inside every process of named apps (Heroku's buildpack) serves those apps; a shared tier the rest.
  const servedBy = (consumer: Consumer): TierInput | undefined =>
    tiers.find((tier) => servedNames(tier)?.includes(consumer.name) === true);
  const shared = tiers.filter((tier) => servedNames(tier) === undefined);
  const unclaimed = behind.filter((consumer) => servedBy(consumer) === undefined);
  if (shared.length > 1 && unclaimed.length > 0) {
    throw new Error(
      `${tiers.length} PgBouncer tiers front database "${limits.name}" (` +
        `${tiers.map((tier) => tier.name).join(', ')}): ` +
        'which one each app uses cannot be read from its env, so check one tier at a time',
    );
  }
  if (shared.length === 0 && unclaimed.length > 0) {
    throw new Error(
      `${unclaimed.map((consumer) => consumer.name).join(', ')} connect through PgBouncer ` +
        '(DATABASE_POOLER=pgbouncer) ' +
        `but the only PgBouncer of database "${limits.name}" in the input runs inside other apps ` +
        `(${tiers.map((tier) => tier.name).join(', ')}): pass its ConfigMap and Deployment, ` +
        'or its pgbouncer.ini with --pgbouncer-replicas N',
    );
  }
  const behindOf = (tier: TierInput): Consumer[] =>
    behind.filter((consumer) => (servedBy(consumer) ?? shared[0]) === tier);
  const directOnly = computeBudget(direct, limits, options);
  const tierBudgets = tiers.map((tier): PgbouncerTierBudget => {
    const behindFigures = computeBudget(
      behindOf(tier),
      { name: limits.name, maxConnections: Number.MAX_SAFE_INTEGER },
      options,
    ).consumers;
    const budget = pgbouncerBudget({
      usable: directOnly.usable,
      bouncer: tier.pools,
      fleet: tier.fleet,
      behind: behindFigures.map((consumer) => ({
        name: consumer.name,
        instances: consumer.perInstance === 0 ? 0 : consumer.connections[mode] / consumer.perInstance,
        perInstance: consumer.perInstance,
      })),
      direct: [{ name: 'direct', instances: 1, perInstance: directOnly.totals[mode] }],
    });
    return {
      name: tier.name,
      source: tier.source,
      ...(tier.artifact === undefined ? {} : { artifact: tier.artifact }),
      behind: behindFigures,
      budget,
    };
  });
  const tierClients: OtherClient[] = tierBudgets.map((tier) => ({
    kind: 'other',
    name: tierConsumerName(tier.name),
    source: tier.source,
    connections: tier.budget.server.bouncerConnections,
    description:
      tier.budget.perInstance === undefined
        ? `PgBouncer: ${tier.budget.server.bouncerInstances} pods with surge × ` +
          `${tier.budget.perBouncer} server connections`
        : `PgBouncer, one per ${tier.budget.perInstance.unit}: ${tier.budget.server.bouncerInstances} ` +
          `${tier.budget.perInstance.unit}s × ${tier.budget.perBouncer} server connections`,
  }));
  const server = computeBudget([...direct, ...tierClients], limits, options);
  const clientViolations = tierBudgets
    .filter((tier) => !tier.budget.client.fits)
    .map(({ name, budget }) =>
      budget.perInstance === undefined
        ? `PgBouncer ${name} client side over budget: the apps behind it open ${budget.client.demand} connections > ` +
          `${budget.client.servingBouncers} bouncers × max_client_conn ${budget.client.maxClientConn}` +
          ` = ${budget.client.capacity}`
        : `PgBouncer ${name} client side over budget: one ${budget.perInstance.unit} opens ${budget.client.demand} ` +
          `connections > its own bouncer's max_client_conn ${budget.client.maxClientConn}`,
    );
  const violations = [...(server.violation === undefined ? [] : [server.violation]), ...clientViolations];
  return {
    ...server,
    fits: server.fits && clientViolations.length === 0,
    ...(violations.length === 0 ? {} : { violation: violations.join('; ') }),
    pgbouncer: tierBudgets,
  };
}
