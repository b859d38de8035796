import { App, Chart, Duration, Testing, Yaml } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PORT, HEALTH_PATHS, HTTP_PORT_NAME } from 'clientats-runtime/contract';
import type { DatabaseDeclaration } from '../../src/budget/budgeted-workload.js';
import {
  PostgresBackedService,
  type PostgresBackedServiceProps,
} from '../../src/kubernetes/postgres-backed-service.js';
import { readManifests } from '../../src/readers/read-manifests.js';
import { renderApp } from '../../src/synth/render-app.js';
import { validationProblems } from '../../src/synth/synthesize.js';
import { validateKubernetesObject } from '../support/kubernetes-models.js';
import runtimePackage from '../../runtime/package.json' with { type: 'json' };

const DATABASE: DatabaseDeclaration = { name: 'test-db', maxConnections: 100 };

interface KubeObject {
  readonly kind: string;
  readonly metadata: { readonly name: string };
  readonly spec: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function build(props: Partial<PostgresBackedServiceProps> = {}): {
  app: App;
  chart: Chart;
  service: PostgresBackedService;
} {
  const app = Testing.app();
  const chart = new Chart(app, 'test');
  const service = new PostgresBackedService(chart, 'clientats', { database: DATABASE, ...props });
  return { app, chart, service };
}

function synth(props: Partial<PostgresBackedServiceProps> = {}): {
  service: PostgresBackedService;
  objects: KubeObject[];
} {
  const { chart, service } = build(props);
  return { service, objects: Testing.synth(chart) as KubeObject[] };
}

function objectOf(objects: readonly KubeObject[], kind: string): KubeObject {
  const found = objects.find((object) => object.kind === kind);
  if (found === undefined) throw new Error(`no ${kind} synthesized`);
  return found;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function appContainer(objects: readonly KubeObject[]): Record<string, any> {
  return objectOf(objects, 'Deployment').spec.template.spec.containers[0];
}

/** The guide's Kubernetes Deployment example. */
const GUIDE_EXAMPLE: Partial<PostgresBackedServiceProps> = { preset: 'kubernetes', replicas: 3 };

describe('PostgresBackedService', () => {
  it('gives the container the guide readiness probe, without an initial delay behind the startup probe', () => {
    const { objects } = synth(GUIDE_EXAMPLE);
    expect(appContainer(objects).readinessProbe).toEqual({
      httpGet: { path: HEALTH_PATHS.readiness, port: DEFAULT_PORT, scheme: 'HTTP' },
      initialDelaySeconds: 0,
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 3,
    });
  });

  it('gives the container the guide liveness probe, without an initial delay behind the startup probe', () => {
    const { objects } = synth(GUIDE_EXAMPLE);
    expect(appContainer(objects).livenessProbe).toEqual({
      httpGet: { path: HEALTH_PATHS.liveness, port: DEFAULT_PORT, scheme: 'HTTP' },
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 3,
      failureThreshold: 3,
    });
  });

  it('replaces cdk8s-plus default TCP startup probe with an HTTP one of two minutes', () => {
    const { objects } = synth(GUIDE_EXAMPLE);
    expect(appContainer(objects).startupProbe).toEqual({
      httpGet: { path: HEALTH_PATHS.liveness, port: DEFAULT_PORT, scheme: 'HTTP' },
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 24,
    });
  });

  it('sizes the startup probe from startupDeadline', () => {
    const { objects } = synth({ startupDeadline: Duration.minutes(5) });
    expect(appContainer(objects).startupProbe.failureThreshold).toBe(60);
  });

  it('writes the kubernetes preset variables and takes DATABASE_URL from the secret', () => {
    const { objects } = synth(GUIDE_EXAMPLE);
    expect(appContainer(objects).env).toEqual([
      { name: 'NODE_ENV', value: 'production' },
      { name: 'POOL_SIZE', value: '10' },
      { name: 'POOL_COUNT', value: '2' },
      { name: 'MAX_OVERFLOW', value: '3' },
      { name: 'POOL_TIMEOUT', value: '8000' },
      { name: 'DATABASE_SSL', value: 'true' },
      {
        name: 'DATABASE_URL',
        valueFrom: { secretKeyRef: { name: 'clientats-database', key: 'DATABASE_URL' } },
      },
      {
        name: 'HEALTH_CHECK_TOKEN',
        valueFrom: { secretKeyRef: { name: 'clientats-health', key: 'HEALTH_CHECK_TOKEN' } },
      },
    ]);
  });

  it(
    'runs the image runtime/example/Dockerfile builds, tagged with the runtime version, ' +
      'pulled only when missing',
    () => {
      const { objects } = synth();
      expect(appContainer(objects).image).toBe(`clientats-api:${runtimePackage.version}`);
      expect(appContainer(objects).image).toBe('clientats-api:0.1.0');
      expect(appContainer(objects).imagePullPolicy).toBe('IfNotPresent');
    },
  );

  it('connects with verify-full TLS when the preset sets no DATABASE_SSL', () => {
    const { objects } = synth({ preset: 'small' });
    expect(appContainer(objects).env).toContainEqual({ name: 'DATABASE_SSL', value: 'verify-full' });
  });

  it('connects without TLS only with insecureDatabase, whose reason synth prints and the header states', () => {
    const reason = 'the database is a sidecar on localhost';
    const { app, chart, service } = build({
      preset: 'small',
      environment: { DATABASE_SSL: false },
      insecureDatabase: { reason },
    });
    expect(validationProblems(app)).toEqual([]);
    expect(service.synthNotes).toEqual([`note: [test] connects to its database without TLS: ${reason}`]);
    const file = renderApp(app).files.find((rendered) => rendered.path === 'test.k8s.yaml');
    expect(file?.content).toContain(`# note: [test] connects to its database without TLS: ${reason}\n`);
    expect(Testing.synth(chart)).toBeDefined();
  });

  it('names the required Secrets and the commands that create them in the manifest header', () => {
    const { app } = build();
    const file = renderApp(app).files.find((rendered) => rendered.path === 'test.k8s.yaml');
    expect(file?.content.split('\n').slice(0, 6)).toEqual([
      '# Generated by clientats-deploy: edit the cdk8s app that declares it, then synthesize again.',
      '# test: Deployment clientats runs clientats-api:0.1.0.',
      '# REQUIRED before `kubectl apply`: these Secrets; without them no pod starts (CreateContainerConfigError).',
      '#   kubectl create secret generic clientats-database -n <namespace> ' +
        '--from-literal=DATABASE_URL="<the database URL, password included>"',
      '#   kubectl create secret generic clientats-health -n <namespace> ' +
        '--from-literal=HEALTH_CHECK_TOKEN="$(openssl rand -hex 32)"',
      'apiVersion: apps/v1',
    ]);
  });

  it('lets environment values override the preset', () => {
    const { objects, service } = synth({
      preset: 'kubernetes',
      environment: { POOL_SIZE: 7, DATABASE_SSL: 'verify-ca' },
    });
    const env = appContainer(objects).env as { name: string; value?: string }[];
    expect(env.find((variable) => variable.name === 'POOL_SIZE')?.value).toBe('7');
    expect(env.find((variable) => variable.name === 'DATABASE_SSL')?.value).toBe('verify-ca');
    expect(service.pool).toEqual({ poolSize: 7, poolCount: 2, maxOverflow: 3 });
  });

  it('reads DATABASE_URL from the given secret key', () => {
    const { objects } = synth({ databaseUrlSecret: { name: 'prod-postgres', key: 'url' } });
    expect(appContainer(objects).env).toContainEqual({
      name: 'DATABASE_URL',
      valueFrom: { secretKeyRef: { name: 'prod-postgres', key: 'url' } },
    });
  });

  it('reads HEALTH_CHECK_TOKEN from the given secret key', () => {
    const { objects } = synth({ healthCheckTokenSecret: { name: 'clientats-health', key: 'token' } });
    expect(appContainer(objects).env).toContainEqual({
      name: 'HEALTH_CHECK_TOKEN',
      valueFrom: { secretKeyRef: { name: 'clientats-health', key: 'token' } },
    });
  });

  it('takes HEALTH_CHECK_TOKEN from Secret <name>-health by default, as a required key', () => {
    const { objects } = synth();
    expect(appContainer(objects).env).toContainEqual({
      name: 'HEALTH_CHECK_TOKEN',
      valueFrom: { secretKeyRef: { name: 'clientats-health', key: 'HEALTH_CHECK_TOKEN' } },
    });
  });

  it('exposes container port 4000 as http behind a Service on port 80', () => {
    const { objects } = synth(GUIDE_EXAMPLE);
    expect(appContainer(objects).ports).toEqual([{ containerPort: DEFAULT_PORT, name: HTTP_PORT_NAME }]);
    const service = objectOf(objects, 'Service');
    expect(service.metadata.name).toBe('clientats');
    expect(service.spec.ports).toEqual([{ name: HTTP_PORT_NAME, port: 80, targetPort: DEFAULT_PORT }]);
    expect(service.spec.selector).toEqual(objectOf(objects, 'Deployment').spec.selector.matchLabels);
  });

  it('moves port and probes together when PORT is set', () => {
    const { objects } = synth({ environment: { PORT: 8080 } });
    const container = appContainer(objects);
    expect(container.ports).toEqual([{ containerPort: 8080, name: HTTP_PORT_NAME }]);
    expect([
      container.readinessProbe.httpGet.port,
      container.livenessProbe.httpGet.port,
      container.startupProbe.httpGet.port,
    ]).toEqual([8080, 8080, 8080]);
  });

  it('writes the Kubernetes default rolling update out explicitly', () => {
    const { objects, service } = synth(GUIDE_EXAMPLE);
    const deployment = objectOf(objects, 'Deployment');
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
    });
    expect(service.strategy).toEqual({ type: 'RollingUpdate', maxSurge: '25%', maxUnavailable: '25%' });
  });

  it('writes the given rolling update bounds', () => {
    const { objects } = synth({ rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
    expect(objectOf(objects, 'Deployment').spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
    });
  });

  it('adds an autoscaler and leaves the replica count to it', () => {
    const { objects } = synth({ autoscaling: { minReplicas: 3, maxReplicas: 10 } });
    const autoscaler = objectOf(objects, 'HorizontalPodAutoscaler');
    expect(autoscaler.spec.minReplicas).toBe(3);
    expect(autoscaler.spec.maxReplicas).toBe(10);
    expect(autoscaler.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'clientats',
    });
    expect(autoscaler.spec.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      },
    ]);
    expect(objectOf(objects, 'Deployment').spec.replicas).toBeUndefined();
  });

  it('adds no autoscaler unless asked', () => {
    const { objects } = synth();
    expect(objects.map((object) => object.kind)).toEqual(['Deployment', 'Service', 'PodDisruptionBudget']);
  });

  it('limits voluntary disruptions to one pod of the deployment', () => {
    const { objects } = synth(GUIDE_EXAMPLE);
    const budget = objectOf(objects, 'PodDisruptionBudget');
    expect(budget.metadata.name).toBe('clientats');
    expect(budget.spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: objectOf(objects, 'Deployment').spec.selector.matchLabels },
    });
  });

  it('gives pods a grace period covering the shutdown delay and drain plus 5 s', () => {
    const { objects, service } = synth();
    expect(objectOf(objects, 'Deployment').spec.template.spec.terminationGracePeriodSeconds).toBe(5 + 10 + 5);
    expect(service.terminationGracePeriodSeconds).toBe(20);
  });

  it('follows SHUTDOWN_DELAY_MS and SHUTDOWN_DRAIN_MS in the grace period', () => {
    const { service } = synth({ environment: { SHUTDOWN_DELAY_MS: 10_000, SHUTDOWN_DRAIN_MS: 20_500 } });
    expect(service.terminationGracePeriodSeconds).toBe(31 + 5);
  });

  it('exposes the readiness probe timeout for the budget cross-checks', () => {
    expect(build().service.readinessProbeTimeoutSeconds).toBe(3);
  });

  it('runs as a non-root user on a read-only root file system without privilege escalation', () => {
    const { objects } = synth();
    const container = appContainer(objects);
    expect(container.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.volumeMounts).toEqual([{ mountPath: '/tmp', name: 'tmp' }]);
  });

  it('states resources explicitly', () => {
    expect(appContainer(synth().objects).resources).toEqual({
      requests: { cpu: '250m', memory: '256Mi' },
      limits: { memory: '512Mi' },
    });
  });

  it('labels pods app=<name> as the guide kubectl commands expect', () => {
    const { objects } = synth(GUIDE_EXAMPLE);
    expect(objectOf(objects, 'Deployment').spec.template.metadata.labels.app).toBe('clientats');
  });

  it('renders what the budget reads: its pods, HPA max, strategy and pool', () => {
    const { app, service } = build({
      preset: 'kubernetes',
      autoscaling: { minReplicas: 3, maxReplicas: 10 },
      rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
    });
    expect(service.budgetDatabase).toBe(DATABASE);
    const rendered = renderApp(app);
    expect(
      readManifests(rendered.files.map((file) => ({ path: file.path, text: file.content }))).files[0]
        .consumers,
    ).toEqual([
      {
        kind: 'kubernetes',
        name: 'clientats',
        source: 'test.k8s.yaml#1',
        workload: 'Deployment',
        replicas: 1,
        hpaMaxReplicas: 10,
        strategy: { type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 1 },
        pool: { poolSize: 10, poolCount: 2, maxOverflow: 3 },
      },
    ]);
  });

  it('synthesizes objects that kubernetes-models accepts', () => {
    const { objects } = synth({
      ...GUIDE_EXAMPLE,
      replicas: undefined,
      autoscaling: { minReplicas: 2, maxReplicas: 4 },
    });
    expect(objects).toHaveLength(4);
    for (const object of objects) expect(() => validateKubernetesObject(object)).not.toThrow();
  });

  it('synthesizes the guide Kubernetes example', () => {
    const { chart } = build(GUIDE_EXAMPLE);
    expect(Yaml.stringify(...Testing.synth(chart))).toMatchSnapshot();
  });

  it('fails when a variable is outside the contract', () => {
    const { app } = build({ preset: 'small', environment: { POOL_SIZE: 0, DATABASE_SSL: 'maybe' } });
    expect(validationProblems(app)).toEqual([
      '[test] POOL_SIZE must be an integer from 1 to 10000, got "0"',
      '[test] DATABASE_SSL must be one of true, false, 1, 0, disable, require, verify-ca, verify-full, got "maybe"',
    ]);
  });

  it('fails when the name is not a DNS label, before anything renders it', () => {
    const { app } = build({ preset: 'small', name: '' });
    expect(validationProblems(app)).toEqual([
      '[test] name must be a DNS label (lowercase letters, digits and "-", starting with a letter, at most 63), got ""',
    ]);
  });

  it('fails when DATABASE_URL is also given literally', () => {
    const { app } = build({ environment: { DATABASE_URL: 'postgres://app:hunter2@db/clientats' } });
    expect(validationProblems(app)).toEqual([
      '[test] DATABASE_URL comes from key DATABASE_URL of secret clientats-database: ' +
        'remove it from the environment, got "postgres://app:***@db/clientats"',
      '[test] DATABASE_URL must not hold a password in a production environment (use a secret), ' +
        'got "postgres://app:***@db/clientats"',
    ]);
  });

  it('fails when HEALTH_CHECK_TOKEN is given as a literal value, without showing it', () => {
    const { app } = build({ environment: { HEALTH_CHECK_TOKEN: 'tok-literal' } });
    expect(validationProblems(app)).toEqual([
      '[test] HEALTH_CHECK_TOKEN comes from key HEALTH_CHECK_TOKEN of secret clientats-health: ' +
        'remove it from the environment, got "***"',
    ]);
  });

  it('fails when production connects without TLS and gives no reason', () => {
    const { app } = build({ preset: 'small', environment: { DATABASE_SSL: 'disable' } });
    expect(validationProblems(app)).toEqual([
      '[test] DATABASE_SSL must encrypt when NODE_ENV=production (verify-full, ' +
        'or require where certificates do not verify), ' +
        'or set insecureDatabase with a reason, got "disable"',
    ]);
  });

  it('fails when the TLS opt-out reason is empty', () => {
    const { app } = build({ environment: { DATABASE_SSL: false }, insecureDatabase: { reason: ' ' } });
    expect(validationProblems(app)).toEqual([
      '[test] insecureDatabase.reason must say why TLS is off, got ""',
    ]);
  });

  it('fails when the image is :latest or has no tag', () => {
    for (const image of ['clientats:latest', 'registry.example.com:5000/clientats']) {
      const { app } = build({ image });
      expect(validationProblems(app)).toEqual([
        '[test] image must carry a pinned tag or digest (e.g. clientats-api:0.1.0), ' +
          `not latest or none, got ${JSON.stringify(image)}`,
      ]);
    }
  });

  it('fails when both replicas and autoscaling are set', () => {
    const { app } = build({ replicas: 3, autoscaling: { minReplicas: 2, maxReplicas: 4 } });
    expect(validationProblems(app)).toContain(
      '[test] replicas and autoscaling are both set: the autoscaler owns the pod count, ' +
        'so set only one, got replicas 3',
    );
  });

  it('fails when autoscaling.maxReplicas is below minReplicas', () => {
    const { app } = build({ autoscaling: { minReplicas: 4, maxReplicas: 2 } });
    expect(validationProblems(app)).toEqual([
      '[test] autoscaling.maxReplicas must be an integer >= minReplicas (4), got 2',
    ]);
  });

  it('fails when a rolling update bound is neither a count nor a percentage', () => {
    const { app } = build({ rollingUpdate: { maxSurge: 'one' } });
    expect(validationProblems(app)).toEqual([
      '[test] maxSurge must be an integer >= 0 or a percentage like "25%", got "one"',
    ]);
  });

  it('fails when maxSurge and maxUnavailable are both 0', () => {
    const { app } = build({ rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } });
    expect(validationProblems(app)).toEqual([
      '[test] maxSurge and maxUnavailable are both 0: a rollout could never replace a pod, ' +
        'so raise one of them, got 0 and "0%"',
    ]);
  });
});
