/**
 * The upper bound of connections one runtime process can hold, which the
 * connection budget multiplies by instances.
 */
import type { Settings } from './load-settings.js';

/** Connections the readiness check holds outside the pool (its dedicated connection). */
export const READINESS_CONNECTIONS = 1;

/** The pool settings the bound depends on. */
export type PoolShape = Pick<Settings, 'poolSize' | 'poolCount' | 'maxOverflow'>;

/**
 * `POOL_COUNT × (POOL_SIZE + MAX_OVERFLOW) + probe connections`: the most
 * connections one process ever holds.
 */
export function perInstanceConnections(
  settings: PoolShape,
  probeConnections: number = READINESS_CONNECTIONS,
): number {
  return settings.poolCount * (settings.poolSize + settings.maxOverflow) + probeConnections;
}
