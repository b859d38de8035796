/**
 * How generator constructs present themselves to the connection budget: any
 * construct that implements `BudgetedWorkload` is found in the app tree by the
 * synth-time validation, grouped by database name, and summed.
 */
import type { Consumer, DatabaseTarget, OtherClient } from './budget-types.js';

/** A database as declared in `main.ts`: the target plus clients that are not generated workloads. */
export interface DatabaseDeclaration extends DatabaseTarget {
  /** Migration jobs, admin sessions, exporters, poolers… counted against this database. */
  readonly otherClients?: readonly OtherClient[];
}

/** Implemented by every generated workload (Kubernetes service, Compose app, Heroku app). */
export interface BudgetedWorkload {
  /** The database it connects to; workloads naming the same database are summed together. */
  readonly budgetDatabase: DatabaseDeclaration;
  /** What it holds at worst, as budget consumers (usually one). */
  budgetConsumers(): readonly Consumer[];
}

/** Type guard used when walking the construct tree. */
export function isBudgetedWorkload(value: unknown): value is BudgetedWorkload {
  return typeof value === 'object' && value !== null
    && 'budgetDatabase' in value && typeof (value as { budgetConsumers?: unknown }).budgetConsumers === 'function';
}
