/**
 * The guide's probe timings ("Readiness Probes", "Liveness Probes") and the
 * shutdown grace period. Paths and port come from the runtime's contract
 * (`HEALTH_PATHS`, `PORT`); the numbers live here once, for the Kubernetes
 * probes and the Compose healthcheck and stop period.
 */
import { Duration } from 'cdk8s';
import { integerSetting, type RenderedEnvironment } from './rendered-environment.js';

/** Timing of one HTTP probe. */
export interface ProbeTiming {
  readonly initialDelay: Duration;
  readonly period: Duration;
  readonly timeout: Duration;
  readonly failureThreshold: number;
}

/** Readiness: `GET /health/ready`, 10 s delay, every 5 s, 3 s timeout, 3 failures. */
export const READINESS_PROBE_TIMING: ProbeTiming = {
  initialDelay: Duration.seconds(10),
  period: Duration.seconds(5),
  timeout: Duration.seconds(3),
  failureThreshold: 3,
};

/** Liveness: `GET /health`, 30 s delay, every 10 s, 3 s timeout, 3 failures. */
export const LIVENESS_PROBE_TIMING: ProbeTiming = {
  initialDelay: Duration.seconds(30),
  period: Duration.seconds(10),
  timeout: Duration.seconds(3),
  failureThreshold: 3,
};

/** Added to the runtime's shutdown delay + drain so SIGKILL never cuts the drain short. */
const SHUTDOWN_GRACE_MARGIN = Duration.seconds(5);

/**
 * Time a platform should leave between SIGTERM and SIGKILL for this environment:
 * `SHUTDOWN_DELAY_MS + SHUTDOWN_DRAIN_MS` (contract defaults when unset),
 * rounded up to whole seconds, plus `SHUTDOWN_GRACE_MARGIN`.
 */
export function shutdownGracePeriod(env: RenderedEnvironment): Duration {
  const shutdownMillis = integerSetting(env, 'SHUTDOWN_DELAY_MS') + integerSetting(env, 'SHUTDOWN_DRAIN_MS');
  return Duration.seconds(Math.ceil(shutdownMillis / 1000) + SHUTDOWN_GRACE_MARGIN.toSeconds());
}
