/**
 * The HTTP contract shared by the health server and the generated probes: the
 * paths and port live here once, and both sides import them.
 */

/** Port the health server listens on unless `PORT` says otherwise. */
export const DEFAULT_PORT = 4000;

/** Paths of the health server. */
export const HEALTH_PATHS = {
  /** Liveness: 200 while the process runs; never touches the database. */
  liveness: '/health',
  /** Readiness: answered from the latest background check on a dedicated connection. */
  readiness: '/health/ready',
  /** Diagnostics: bearer-token protected JSON. */
  diagnostics: '/health/diagnostics',
  /** Prometheus text exposition. */
  metrics: '/metrics',
} as const;

/** Name of the container port in generated manifests. */
export const HTTP_PORT_NAME = 'http';
