/**
 * The budget's inverse: the largest POOL_SIZE (or HPA maxReplicas) of one
 * service that still fits the database with everything else fixed. Totals grow
 * monotonically with both (surge is a non-decreasing ceil), so a binary search
 * over the contract's range finds it in a bounded number of steps.
 */
import { ENVIRONMENT_VARIABLES } from 'clientats-runtime/contract';
import type { BudgetMode, Consumer, DatabaseLimits, KubernetesConsumer } from './budget-types.js';
import { computeBudget, type DatabaseBudget } from './compute-budget.js';

/** A service whose settings are being solved. */
export type PlannedService = Exclude<Consumer, { kind: 'other' }>;

/** What `plan` solves for. */
export type PlanSolve = 'pool-size' | 'hpa-max';

/** Options of the planners. */
export interface PlanOptions {
  /** Other consumers of the same database, fixed. */
  readonly others?: readonly Consumer[];
  /** The case that must fit. @default 'rollout' */
  readonly mode?: BudgetMode;
}

/** The answer and the arithmetic behind it. */
export interface PlanResult {
  readonly solve: PlanSolve;
  /** The largest value that fits; `undefined` when even the smallest does not. */
  readonly value: number | undefined;
  /** The budget at `value` (or at the smallest value when nothing fits). */
  readonly budget: DatabaseBudget;
  /** The budget one step above `value`, showing why it is the largest; absent at the contract's maximum. */
  readonly next?: DatabaseBudget;
  /** One line: `largest POOL_SIZE that fits: 4 — …`. */
  readonly summary: string;
}

const POOL_SIZE_MAX = maximumOf('POOL_SIZE');
const REPLICAS_MAX = 10_000;

/** The largest POOL_SIZE that fits. */
export function planPoolSize(
  service: PlannedService,
  target: DatabaseLimits,
  options: PlanOptions = {},
): PlanResult {
  const at = (poolSize: number): DatabaseBudget =>
    computeBudget([{ ...service, pool: { ...service.pool, poolSize } }, ...(options.others ?? [])], target, {
      mode: options.mode ?? 'rollout',
    });
  return solve('pool-size', 'POOL_SIZE', 1, POOL_SIZE_MAX, at);
}

/** The largest HPA maxReplicas that fits (Kubernetes services only). */
export function planHpaMax(
  service: KubernetesConsumer,
  target: DatabaseLimits,
  options: PlanOptions = {},
): PlanResult {
  const at = (maxReplicas: number): DatabaseBudget =>
    computeBudget([{ ...service, hpaMaxReplicas: maxReplicas }, ...(options.others ?? [])], target, {
      mode: options.mode ?? 'rollout',
    });
  return solve('hpa-max', 'HPA maxReplicas', 1, REPLICAS_MAX, at);
}

function solve(
  kind: PlanSolve,
  label: string,
  low: number,
  high: number,
  at: (value: number) => DatabaseBudget,
): PlanResult {
  const smallest = at(low);
  if (!smallest.fits) {
    return {
      solve: kind,
      value: undefined,
      budget: smallest,
      summary: `no ${label} fits: even ${label} ${low} needs ${describe(smallest)}`,
    };
  }
  // Invariant: at(low) fits; at(high + 1) does not (or high is the contract's maximum).
  let lo = low;
  let hi = high;
  while (lo < hi) {
    const middle = Math.ceil((lo + hi) / 2);
    if (at(middle).fits) lo = middle;
    else hi = middle - 1;
  }
  const budget = at(lo);
  const next = lo < high ? at(lo + 1) : undefined;
  const nextText =
    next === undefined
      ? ` (${label} cannot exceed ${high})`
      : `; ${label} ${lo + 1} would need ${next.totals[next.mode]} > ${next.usable}`;
  return {
    solve: kind,
    value: lo,
    budget,
    ...(next === undefined ? {} : { next }),
    summary: `largest ${label} that fits: ${lo} — ${describe(budget)}${nextText}`,
  };
}

/** `91 ≤ 97 usable (max_connections 100 − 3 reserved): 13 pods (…) × (…)`. */
function describe(budget: DatabaseBudget): string {
  const total = budget.totals[budget.mode];
  const terms = budget.consumers.map((consumer) => consumer.arithmetic[budget.mode]).join(' + ');
  return (
    `${budget.mode} ${total} ${budget.fits ? '≤' : '>'} ${budget.usable} usable (` +
    `${budget.usableArithmetic}): ${terms}`
  );
}

function maximumOf(name: string): number {
  const variable = ENVIRONMENT_VARIABLES.find((candidate) => candidate.name === name);
  return (variable?.schema as { maximum?: number } | undefined)?.maximum ?? 10_000;
}
