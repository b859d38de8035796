/**
 * Cross-artifact checks: a manifest's probe and grace period against the
 * runtime settings the same manifest sets. The runtime's values are read with
 * the contract's own `loadSettings`, so defaults and overrides count exactly as
 * the runtime would see them.
 * - The readiness probe must wait longer than one readiness check may take
 *   (`timeoutSeconds` > `READINESS_TIMEOUT_MS`), or a slow database turns into
 *   a probe timeout instead of an honest 503.
 * - The grace period must outlast shutdown (`SHUTDOWN_DELAY_MS` +
 *   `SHUTDOWN_DRAIN_MS`), or the pod is killed mid-drain.
 */
import { loadSettings, SettingsError, TIMING_VARIABLES, type Environment } from 'clientats-runtime/contract';

/** The timing facts of one runtime process as a manifest declares them. */
export interface RuntimeTimingFacts {
  /** Workload (and container) name, for the report. */
  readonly name: string;
  readonly source?: string;
  /** The process's environment as written in the manifest (unset variables take the runtime defaults). */
  readonly environment: Environment;
  /** Readiness probe `timeoutSeconds`; `undefined` when there is no readiness probe (check skipped). */
  readonly readinessProbeTimeoutSeconds?: number;
  /** Seconds between SIGTERM and SIGKILL; `undefined` skips the check. */
  readonly gracePeriodSeconds?: number;
  /** How the grace period is spelled on this platform. @default 'terminationGracePeriodSeconds' */
  readonly gracePeriodField?: string;
}

/** The outcome of one check. */
export interface RuntimeCheck {
  readonly name: string;
  readonly source?: string;
  readonly check: 'readiness-timeout' | 'grace-period' | 'settings';
  readonly ok: boolean;
  /** `readiness probe timeoutSeconds 3 > READINESS_TIMEOUT_MS 1500 ms`, or what is wrong and what to do. */
  readonly message: string;
}

/** Runs both checks for one process. */
export function checkRuntimeTiming(facts: RuntimeTimingFacts): RuntimeCheck[] {
  const base = { name: facts.name, ...(facts.source === undefined ? {} : { source: facts.source }) };
  // Only the timing variables: others (the URL, files) are left out so nothing is read from disk.
  const subset: Record<string, string | undefined> = {};
  for (const variable of TIMING_VARIABLES) subset[variable] = facts.environment[variable];
  let settings: ReturnType<typeof loadSettings>;
  try {
    settings = loadSettings(subset);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    return [{ ...base, check: 'settings', ok: false, message: error.message.split('\n').join('; ') }];
  }
  const checks: RuntimeCheck[] = [];
  const probe = facts.readinessProbeTimeoutSeconds;
  if (probe !== undefined) {
    const limit = settings.readinessTimeoutMillis;
    const ok = probe * 1000 > limit;
    checks.push({
      ...base,
      check: 'readiness-timeout',
      ok,
      message: ok
        ? `readiness probe timeoutSeconds ${probe} > READINESS_TIMEOUT_MS ${limit} ms`
        : `readiness probe timeoutSeconds ${probe} must exceed READINESS_TIMEOUT_MS ${limit} ms, ` +
          'or the probe gives up before the runtime answers 503: ' +
          `raise timeoutSeconds to ${Math.floor(limit / 1000) + 1} or lower READINESS_TIMEOUT_MS`,
    });
  }
  const grace = facts.gracePeriodSeconds;
  if (grace !== undefined) {
    const field = facts.gracePeriodField ?? 'terminationGracePeriodSeconds';
    const delay = settings.shutdownDelayMillis;
    const drain = settings.shutdownDrainMillis;
    const ok = grace * 1000 > delay + drain;
    const sum = `SHUTDOWN_DELAY_MS ${delay} + SHUTDOWN_DRAIN_MS ${drain} = ${delay + drain} ms`;
    checks.push({
      ...base,
      check: 'grace-period',
      ok,
      message: ok
        ? `${field} ${grace} s > ${sum}`
        : `${field} ${grace} s must exceed ${sum}, or the process is killed before it drains: ` +
          `raise ${field} to ${Math.floor((delay + drain) / 1000) + 1} s or lower the shutdown delays`,
    });
  }
  return checks;
}
