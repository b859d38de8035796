/**
 * How generator constructs tell the synth-time budget which database they use.
 * What they hold is not declared here: synth reads it back from what they
 * render, with the same readers as `clientats-deploy check`.
 */
import type { DatabaseLimits, OtherClient } from './budget-types.js';

/**
 * A database as declared in `main.ts`: its limits plus the facts no rendered
 * file holds — clients that are not generated workloads.
 */
export interface DatabaseDeclaration extends DatabaseLimits {
  /** Migration jobs, admin sessions, exporters, poolers… counted against this database. */
  readonly otherClients?: readonly OtherClient[];
}

/** Implemented by every generated workload (Kubernetes service, Compose app, Heroku app). */
export interface BudgetedWorkload {
  /** The database it connects to; workloads naming the same database are summed together. */
  readonly budgetDatabase: DatabaseDeclaration;
}

/** Type guard used when walking the construct tree. */
export function isBudgetedWorkload(value: unknown): value is BudgetedWorkload {
  return (
    typeof value === 'object' &&
    value !== null &&
    'budgetDatabase' in value &&
    typeof (value as { budgetDatabase?: unknown }).budgetDatabase === 'object'
  );
}
