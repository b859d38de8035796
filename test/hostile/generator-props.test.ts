/**
 * Hostile props for the Kubernetes construct (fast-check): absurd replica
 * counts, autoscaler bounds, surge values, names and pool variables. Each case
 * ends in validation problems (one line each) or a thrown `Error` with a
 * one-line message, or in manifests that are right: every variable passes the
 * runtime's own validation, the requested values are the ones written, the pod
 * is locked down, and the connection budget holds by independent arithmetic.
 */
import { App, Chart } from 'cdk8s';
import fc from 'fast-check';
import { validateEnvironment } from 'clientats-runtime/contract';
import { describe, expect, it } from 'vitest';
import {
  PostgresBackedService,
  type PostgresBackedServiceProps,
} from '../../src/kubernetes/postgres-backed-service.js';
import { PRESETS } from '../../src/settings/presets.js';
import { renderApp } from '../../src/synth/render-app.js';
import { budgetOfRendered } from '../../src/synth/synth-budget.js';
import { validationProblems } from '../../src/synth/synthesize.js';
import { podSecurityViolations, podSpecOf, type KubernetesObject } from './support/pod-security.js';

const RESERVED = 3;

const hostileCount = fc.constantFrom(0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, 10_000);
const hostilePoolValue = fc.constantFrom(-1, 1.5, Number.NaN, 1e12, ' 8 ', 'abc', '', true, '0x10', '1e2');
const hostileSurge = fc.constantFrom('150%', '-25%', 'abc', '%', '', -1, 1.5);

/** Props from plausible values with, at `hostility` weight, an absurd value in any field. */
function propsWith(hostility: number): fc.Arbitrary<PostgresBackedServiceProps> {
  const pick = <T, U>(plausible: fc.Arbitrary<T>, absurd: fc.Arbitrary<U>): fc.Arbitrary<T | U> =>
    hostility === 0
      ? plausible
      : fc.oneof({ arbitrary: plausible, weight: 4 }, { arbitrary: absurd, weight: hostility });
  const count = pick(fc.integer({ min: 1, max: 12 }), hostileCount);
  const poolValue = pick(fc.integer({ min: 1, max: 12 }), hostilePoolValue);
  const surge = pick(
    fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('25%', '0%', '50%', '100%')),
    hostileSurge,
  );
  return fc.record(
    {
      database: fc.record({
        name: fc.constantFrom('db'),
        maxConnections: pick(fc.integer({ min: 50, max: 3000 }), fc.constantFrom(0, -5, 1.5, 3, Number.NaN)),
      }),
      name: pick(
        fc.constantFrom(undefined, 'clientats', 'api-2'),
        fc.constantFrom('Bad_Name', '', 'a'.repeat(300), 'ünï', 'x.y'),
      ),
      preset: fc.constantFrom(undefined, ...(Object.keys(PRESETS) as Array<keyof typeof PRESETS>)),
      environment: fc.record(
        {
          POOL_SIZE: poolValue,
          POOL_COUNT: pick(fc.integer({ min: 1, max: 3 }), hostilePoolValue),
          MAX_OVERFLOW: pick(fc.integer({ min: 0, max: 5 }), hostilePoolValue),
          POOL_TIMEOUT: pick(fc.integer({ min: 1, max: 60_000 }), hostilePoolValue),
          DATABASE_SSL: pick(
            fc.constantFrom(true, false, 'require', 'verify-full'),
            fc.constantFrom('maybe', '', 'TRUE '),
          ),
          PORT: pick(fc.constantFrom(4000, 8080), fc.constantFrom(0, 70_000, 'http')),
        },
        { requiredKeys: [] },
      ),
      replicas: fc.option(count, { nil: undefined }),
      autoscaling: fc.option(fc.record({ minReplicas: count, maxReplicas: count }), {
        nil: undefined,
        freq: 3,
      }),
      rollingUpdate: fc.option(fc.record({ maxSurge: surge, maxUnavailable: surge }, { requiredKeys: [] }), {
        nil: undefined,
      }),
    },
    { requiredKeys: ['database'] },
  );
}

/** Half plausible props (mostly valid manifests to check), half with absurd values mixed in. */
const props = fc.oneof(propsWith(0), propsWith(2));

type Outcome =
  | { thrown: string }
  | { problems: string[] }
  | { objects: KubernetesObject[]; service: PostgresBackedService };

function synth(input: PostgresBackedServiceProps): Outcome {
  const app = new App({ outdir: 'unused' });
  const chart = new Chart(app, 'env');
  try {
    const service = new PostgresBackedService(chart, 'svc', input);
    const problems = validationProblems(app);
    if (problems.length > 0) return { problems };
    const budget = budgetOfRendered(renderApp(app));
    if (budget.problems.length > 0) return { problems: [...budget.problems] };
    return { objects: chart.toJson() as KubernetesObject[], service };
  } catch (error) {
    if (!(error instanceof Error)) throw new Error(`threw a non-Error: ${String(error)}`);
    return { thrown: error.message };
  }
}

/** The budget by hand: pods (autoscaler max, else replicas) plus surge, times the per-pod bound. */
function expectedRolloutTotal(service: PostgresBackedService, input: PostgresBackedServiceProps): number {
  const pods = input.autoscaling?.maxReplicas ?? service.replicas;
  const maxSurge = service.strategy.maxSurge ?? '25%';
  const surgePods =
    typeof maxSurge === 'number'
      ? maxSurge
      : Math.ceil((pods * Number(String(maxSurge).replace('%', ''))) / 100);
  const { poolCount, poolSize, maxOverflow } = service.pool;
  return (pods + surgePods) * (poolCount * (poolSize + maxOverflow) + 1);
}

describe('PostgresBackedService under hostile props', () => {
  it('ends every set of props in one-line problems or correct, locked-down manifests within the budget', () => {
    let correct = 0;
    fc.assert(
      fc.property(props, (input) => {
        const outcome = synth(input);
        if ('thrown' in outcome) {
          expect(outcome.thrown).not.toContain('\n');
          expect(outcome.thrown.length).toBeGreaterThan(0);
          return;
        }
        if ('problems' in outcome) {
          for (const line of outcome.problems) {
            expect(line).not.toContain('\n');
            expect(line).toMatch(/^\[env\] /);
          }
          return;
        }
        correct += 1;
        const { objects, service } = outcome;
        const workloads = objects.filter((object) => podSpecOf(object) !== undefined);
        expect(workloads).toHaveLength(1);
        expect(workloads.flatMap(podSecurityViolations)).toEqual([]);
        const container = podSpecOf(workloads[0]!)!.containers![0]!;
        const literal = Object.fromEntries(
          (container.env ?? [])
            .filter((variable) => variable.value !== undefined)
            .map((variable) => [variable.name, variable.value!]),
        );
        expect(validateEnvironment({ ...literal, DATABASE_URL: 'postgres://db.internal/app' })).toEqual([]);
        for (const [name, value] of Object.entries(input.environment ?? {})) {
          if (value !== undefined)
            expect({ name, written: literal[name] }).toEqual({ name, written: String(value) });
        }
        const usable = input.database.maxConnections - RESERVED;
        expect(expectedRolloutTotal(service, input)).toBeLessThanOrEqual(usable);
        const autoscaler = objects.find((object) => object.kind === 'HorizontalPodAutoscaler');
        if (input.autoscaling !== undefined)
          expect(autoscaler?.spec).toMatchObject({
            minReplicas: input.autoscaling.minReplicas,
            maxReplicas: input.autoscaling.maxReplicas,
          });
        else expect(workloads[0]!.spec).toMatchObject({ replicas: input.replicas ?? 2 });
      }),
      { numRuns: 200 },
    );
    expect(correct).toBeGreaterThan(20);
  });

  it('fails when a configuration over the budget is given, naming the environment and the arithmetic', () => {
    const outcome = synth({
      database: { name: 'db', maxConnections: 100 },
      replicas: 10,
      environment: { POOL_SIZE: 10, POOL_COUNT: 1, MAX_OVERFLOW: 0 },
    });
    expect(outcome).toHaveProperty('problems');
    if ('problems' in outcome)
      expect(outcome.problems.some((line) => /^\[env\] .*> 97 usable/.test(line))).toBe(true);
  });

  it('never writes HEALTH_CHECK_TOKEN into a manifest as a literal value', () => {
    const outcome = synth({
      database: { name: 'db', maxConnections: 100 },
      replicas: 1,
      environment: { HEALTH_CHECK_TOKEN: 'tok-literal-3f9' },
    });
    if ('objects' in outcome) {
      expect(JSON.stringify(outcome.objects)).not.toContain('tok-literal-3f9');
    } else {
      expect(JSON.stringify(outcome)).toMatch(/HEALTH_CHECK_TOKEN/);
    }
  });
});
