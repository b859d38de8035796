import { describe, expect, it } from 'vitest';
import { checkRuntimeTiming } from '../../src/budget/runtime-timing.js';

describe('checkRuntimeTiming', () => {
  it("passes the guide's 3 s readiness probe and a grace period longer than the default shutdown", () => {
    const checks = checkRuntimeTiming({
      name: 'web',
      environment: {},
      readinessProbeTimeoutSeconds: 3,
      gracePeriodSeconds: 20,
    });
    expect(checks.map((check) => [check.check, check.ok, check.message])).toEqual([
      ['readiness-timeout', true, 'readiness probe timeoutSeconds 3 > READINESS_TIMEOUT_MS 1500 ms'],
      [
        'grace-period',
        true,
        'terminationGracePeriodSeconds 20 s > SHUTDOWN_DELAY_MS 5000 + SHUTDOWN_DRAIN_MS 10000 = 15000 ms',
      ],
    ]);
  });

  it('fails when an environment override makes the readiness check outlast the probe', () => {
    const [check] = checkRuntimeTiming({
      name: 'web',
      environment: { READINESS_TIMEOUT_MS: '3000' },
      readinessProbeTimeoutSeconds: 3,
    });
    expect(check.ok).toBe(false);
    expect(check.message).toBe(
      'readiness probe timeoutSeconds 3 must exceed READINESS_TIMEOUT_MS 3000 ms, ' +
        'or the probe gives up before the runtime answers 503: ' +
        'raise timeoutSeconds to 4 or lower READINESS_TIMEOUT_MS',
    );
  });

  it('fails when the grace period ends before shutdown delay plus drain', () => {
    const [check] = checkRuntimeTiming({
      name: 'app',
      environment: { SHUTDOWN_DRAIN_MS: '20000' },
      gracePeriodSeconds: 25,
      gracePeriodField: 'stop_grace_period',
    });
    expect(check.message).toBe(
      'stop_grace_period 25 s must exceed SHUTDOWN_DELAY_MS 5000 + SHUTDOWN_DRAIN_MS 20000 = 25000 ms, ' +
        'or the process is killed before it drains: raise stop_grace_period to 26 s or lower the shutdown delays',
    );
  });

  it('fails when a timing variable is not valid for the runtime', () => {
    const checks = checkRuntimeTiming({
      name: 'app',
      environment: { SHUTDOWN_DELAY_MS: 'soon' },
      gracePeriodSeconds: 30,
    });
    expect(checks).toEqual([
      {
        name: 'app',
        check: 'settings',
        ok: false,
        message: 'SHUTDOWN_DELAY_MS must be an integer from 0 to 2147483647, got "soon"',
      },
    ]);
  });
});
