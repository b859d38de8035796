/**
 * How many extra pods a Kubernetes Deployment runs during a rollout, resolved
 * exactly as the deployment controller does (`ResolveFenceposts` in
 * kubernetes/pkg/controller/deployment/util): percentages round **up** for
 * `maxSurge` and **down** for `maxUnavailable`; when both resolve to 0,
 * `maxUnavailable` becomes 1. Unset fields default to 25 %. `Recreate` stops
 * every old pod before starting new ones, so it never surges.
 */
import type { RolloutStrategy } from './budget-types.js';

/** The API server's default for both `maxSurge` and `maxUnavailable`. */
export const DEFAULT_ROLLING_PERCENT = '25%';

/** The resolved rollout: pods above and below the desired count. */
export interface ResolvedRollout {
  readonly type: 'RollingUpdate' | 'Recreate';
  /** Pods the controller may run above the desired count. */
  readonly surge: number;
  /** Pods the controller may take down below the desired count. */
  readonly unavailable: number;
}

/**
 * Resolves a strategy against a desired replica count (use HPA maxReplicas when autoscaled).
 * @throws Error naming the field when a value is neither an integer >= 0 nor a percentage.
 */
export function resolveRollout(
  replicas: number,
  strategy: RolloutStrategy = { type: 'RollingUpdate' },
): ResolvedRollout {
  if (strategy.type === 'Recreate') return { type: 'Recreate', surge: 0, unavailable: replicas };
  const surge = scaleIntOrPercent('maxSurge', strategy.maxSurge ?? DEFAULT_ROLLING_PERCENT, replicas, 'up');
  const unavailable = scaleIntOrPercent(
    'maxUnavailable',
    strategy.maxUnavailable ?? DEFAULT_ROLLING_PERCENT,
    replicas,
    'down',
  );
  // Rounding may zero both; the controller then allows one unavailable pod rather than stall.
  if (surge === 0 && unavailable === 0) return { type: 'RollingUpdate', surge: 0, unavailable: 1 };
  return { type: 'RollingUpdate', surge, unavailable };
}

/**
 * Kubernetes IntOrString scaling: an integer is taken as is, `'N%'` is N % of
 * `total` rounded in the given direction.
 */
export function scaleIntOrPercent(
  field: string,
  value: number | string,
  total: number,
  round: 'up' | 'down',
): number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value;
    throw new Error(
      `${field} must be an integer >= 0 or a percentage like "25%", got ${JSON.stringify(value)}`,
    );
  }
  const match = /^(\d+)%$/.exec(value.trim());
  if (match === null || !Number.isSafeInteger(Number(match[1]) * total)) {
    throw new Error(
      `${field} must be an integer >= 0 or a percentage like "25%", got ${JSON.stringify(value)}`,
    );
  }
  const scaled = Number(match[1]) * total;
  // Integer arithmetic: the controller's float ceil/floor of (percent × total / 100).
  return round === 'up' ? Math.ceil(scaled / 100) : Math.floor(scaled / 100);
}
