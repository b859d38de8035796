/**
 * `PostgresBackedService`: the Kubernetes shape of one clientats-runtime
 * service — Deployment, Service, optional HorizontalPodAutoscaler and a
 * PodDisruptionBudget — with the guide's pool variables, its probes, and
 * `DATABASE_URL` and `HEALTH_CHECK_TOKEN` taken from Secrets so no manifest
 * holds a password. The pods start only once both Secrets exist.
 */
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { HEALTH_PATHS, HTTP_PORT_NAME, type PoolShape } from 'clientats-runtime/contract';
import type { RolloutStrategy } from '../budget/budget-types.js';
import type { BudgetedWorkload, DatabaseDeclaration } from '../budget/budgeted-workload.js';
import { DEFAULT_ROLLING_PERCENT, scaleIntOrPercent } from '../budget/rollout-surge.js';
import type { MonitoringOptions } from '../observability/prometheus-operator.js';
import {
  DEFAULT_IMAGE,
  imageProblems,
  insecureDatabaseNote,
  tlsProblems,
  TOKEN_GENERATOR,
} from '../settings/deployment-image.js';
import { presetValues } from '../settings/presets.js';
import {
  LIVENESS_PROBE_TIMING,
  READINESS_PROBE_TIMING,
  shutdownGracePeriod,
  type ProbeTiming,
} from '../settings/probe-timings.js';
import {
  environmentProblems,
  integerSetting,
  renderedPoolShape,
  renderEnvironment,
  type RenderedEnvironment,
} from '../settings/rendered-environment.js';
import { restrictedSecurityContext } from './restricted-security-context.js';

/** Period of the startup probe; its failure threshold follows from `startupDeadline`. */
const STARTUP_PROBE_PERIOD = Duration.seconds(5);

/** The `node` user and group of the official Node.js images, which the runtime image runs as. */
const RUNTIME_USER_ID = 1000;

export type {
  SecretKeyReference,
  Autoscaling,
  RollingUpdateBounds,
  PostgresBackedServiceProps,
} from './postgres-backed-service-props.js';
import type {
  SecretKeyReference,
  Autoscaling,
  RollingUpdateBounds,
  PostgresBackedServiceProps,
} from './postgres-backed-service-props.js';

const DEFAULT_REPLICAS = 2;

/** Initial delay of readiness and liveness: the startup probe already waits for the process (see the constructor). */
const GATED_INITIAL_DELAY = Duration.seconds(0);

function describeSecretKey(reference: SecretKeyReference): string {
  return `key ${reference.key} of secret ${reference.name}`;
}
const DEFAULT_ROLLING_UPDATE = {
  maxSurge: DEFAULT_ROLLING_PERCENT,
  maxUnavailable: DEFAULT_ROLLING_PERCENT,
} as const;
const DEFAULT_TARGET_CPU_PERCENT = 70;

/**
 * One clientats-runtime service on Kubernetes. Probes, port and paths come from
 * the runtime's contract; every variable is checked with the runtime's own
 * validation at synth, and the service presents itself to the connection budget.
 */
export class PostgresBackedService extends Construct implements BudgetedWorkload {
  /** Name of every object it creates. */
  public readonly name: string;
  /** Variables as written into the container (besides `DATABASE_URL`, which comes from the Secret). */
  public readonly environment: RenderedEnvironment;
  /** Where `DATABASE_URL` comes from. */
  public readonly databaseUrlSecret: SecretKeyReference;
  /** Where `HEALTH_CHECK_TOKEN` comes from. */
  public readonly healthCheckTokenSecret: SecretKeyReference;
  /**
   * What the header's `kubectl create secret` command puts into the `DATABASE_URL` Secret;
   * a service behind a PgBouncer sets its bouncer's URL with {@link connectsThrough}.
   */
  private databaseUrlExample = '<the database URL, password included>';
  /** The container image, with its pinned tag. */
  public readonly image: string;
  /** Lines synth prints for this service (e.g. a TLS opt-out and its reason). */
  public readonly synthNotes: readonly string[];
  /** Container port: `PORT` of the environment, by default the contract's 4000. */
  public readonly port: number;
  /** Pod count without autoscaling; `minReplicas` with it. */
  public readonly replicas: number;
  public readonly autoscaling: Autoscaling | undefined;
  /** The Deployment's strategy, as the budget reads it. */
  public readonly strategy: RolloutStrategy & { readonly type: 'RollingUpdate' };
  /** POOL_SIZE / POOL_COUNT / MAX_OVERFLOW of the environment. */
  public readonly pool: PoolShape;
  /** `timeoutSeconds` of the readiness probe: the runtime's `READINESS_TIMEOUT_MS` must stay below it. */
  public readonly readinessProbeTimeoutSeconds: number;
  /** `terminationGracePeriodSeconds` of the pods. */
  public readonly terminationGracePeriodSeconds: number;
  public readonly budgetDatabase: DatabaseDeclaration;
  public readonly deployment: kplus.Deployment;
  public readonly service: kplus.Service;
  public readonly autoscaler: kplus.HorizontalPodAutoscaler | undefined;
  public readonly podDisruptionBudget: kplus.k8s.KubePodDisruptionBudget;
  /** Options of the monitoring objects `synthesize` adds; `undefined` when opted out. */
  public readonly monitoring: MonitoringOptions | undefined;

  constructor(scope: Construct, id: string, props: PostgresBackedServiceProps) {
    super(scope, id);
    this.name = props.name ?? id;
    this.budgetDatabase = props.database;
    // TLS by default: the guide's small/medium/large presets set no DATABASE_SSL, and production must encrypt.
    const tls = props.insecureDatabase === undefined ? { DATABASE_SSL: 'verify-full' } : {};
    this.environment = renderEnvironment(
      { NODE_ENV: 'production', ...tls },
      presetValues(props.preset),
      props.environment ?? {},
    );
    this.databaseUrlSecret = props.databaseUrlSecret ?? {
      name: `${this.name}-database`,
      key: 'DATABASE_URL',
    };
    this.healthCheckTokenSecret = props.healthCheckTokenSecret ?? {
      name: `${this.name}-health`,
      key: 'HEALTH_CHECK_TOKEN',
    };
    this.image = props.image ?? DEFAULT_IMAGE;
    const environmentName = this.node.scopes[1]?.node.id ?? id;
    this.synthNotes =
      props.insecureDatabase === undefined
        ? []
        : [insecureDatabaseNote(environmentName, props.insecureDatabase)];
    this.port = integerSetting(this.environment, 'PORT');
    this.autoscaling = props.autoscaling;
    this.replicas = props.autoscaling?.minReplicas ?? props.replicas ?? DEFAULT_REPLICAS;
    const rollingUpdate = {
      maxSurge: props.rollingUpdate?.maxSurge ?? DEFAULT_ROLLING_UPDATE.maxSurge,
      maxUnavailable: props.rollingUpdate?.maxUnavailable ?? DEFAULT_ROLLING_UPDATE.maxUnavailable,
    };
    this.strategy = { type: 'RollingUpdate', ...rollingUpdate };
    this.pool = renderedPoolShape(this.environment);
    this.readinessProbeTimeoutSeconds = READINESS_PROBE_TIMING.timeout.toSeconds();
    const terminationGracePeriod = props.terminationGracePeriod ?? shutdownGracePeriod(this.environment);
    this.terminationGracePeriodSeconds = terminationGracePeriod.toSeconds();
    const startupDeadline = props.startupDeadline ?? Duration.minutes(2);
    // Monitoring: rendered after the budget (src/synth/render-monitoring.ts), as its thresholds are the report's.
    this.monitoring = props.monitoring === false ? undefined : (props.monitoring ?? {});
    const problems = this.propProblems(props);
    this.node.addValidation({
      validate: () => [
        ...environmentProblems(this.environment, {
          suppliedElsewhere: {
            DATABASE_URL: describeSecretKey(this.databaseUrlSecret),
            HEALTH_CHECK_TOKEN: describeSecretKey(this.healthCheckTokenSecret),
          },
        }),
        ...tlsProblems(this.environment, props.insecureDatabase),
        ...imageProblems(this.image),
        ...problems,
      ],
    });

    this.deployment = new kplus.Deployment(this, 'deployment', {
      metadata: { name: this.name },
      replicas: props.autoscaling === undefined ? this.replicas : undefined,
      strategy: rollingUpdateStrategy(rollingUpdate),
      terminationGracePeriod,
      securityContext: { ensureNonRoot: true, user: RUNTIME_USER_ID, group: RUNTIME_USER_ID },
    });
    this.deployment.podMetadata.addLabel('app', this.name);
    const secret = kplus.Secret.fromSecretName(this, 'database-url', this.databaseUrlSecret.name);
    const container = this.deployment.addContainer({
      name: 'app',
      image: this.image,
      // A pinned tag never changes, so the node's copy is the right one.
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      ports: [{ name: HTTP_PORT_NAME, number: this.port }],
      envVariables: {
        ...Object.fromEntries(
          Object.entries(this.environment).map(([name, value]) => [name, kplus.EnvValue.fromValue(value)]),
        ),
        DATABASE_URL: kplus.EnvValue.fromSecretValue({ secret, key: this.databaseUrlSecret.key }),
        HEALTH_CHECK_TOKEN: kplus.EnvValue.fromSecretValue({
          secret: kplus.Secret.fromSecretName(this, 'health-check-token', this.healthCheckTokenSecret.name),
          key: this.healthCheckTokenSecret.key,
        }),
      },
      // The startup probe gates both: Kubernetes runs neither until it succeeds, so the guide's initial
      // delays (10 s, 30 s) would only hold a started pod out of the Service. They are 0 here.
      readiness: kplus.Probe.fromHttpGet(HEALTH_PATHS.readiness, this.probeOptions(READINESS_PROBE_TIMING)),
      liveness: kplus.Probe.fromHttpGet(HEALTH_PATHS.liveness, this.probeOptions(LIVENESS_PROBE_TIMING)),
      // Deliberate: without it cdk8s-plus adds a TCP probe that gives the process 30 s.
      startup: kplus.Probe.fromHttpGet(HEALTH_PATHS.liveness, {
        port: this.port,
        periodSeconds: STARTUP_PROBE_PERIOD,
        timeoutSeconds: READINESS_PROBE_TIMING.timeout,
        failureThreshold: Math.ceil(startupDeadline.toSeconds() / STARTUP_PROBE_PERIOD.toSeconds()),
      }),
      resources: props.resources ?? {
        cpu: { request: kplus.Cpu.millis(250) },
        memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) },
      },
      securityContext: restrictedSecurityContext(RUNTIME_USER_ID, RUNTIME_USER_ID),
    });
    // The root file system is read-only; Node.js and libraries still expect a writable /tmp.
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp'));

    this.service = new kplus.Service(this, 'service', {
      metadata: { name: this.name },
      selector: this.deployment,
      ports: [{ name: HTTP_PORT_NAME, port: 80, targetPort: this.port }],
    });

    // cdk8s-plus throws on min > max; validation reports it instead, and nothing is written.
    const scalable =
      props.autoscaling !== undefined && props.autoscaling.maxReplicas >= props.autoscaling.minReplicas;
    this.autoscaler =
      props.autoscaling === undefined || !scalable
        ? undefined
        : new kplus.HorizontalPodAutoscaler(this, 'autoscaler', {
            metadata: { name: this.name },
            target: this.deployment,
            minReplicas: props.autoscaling.minReplicas,
            maxReplicas: props.autoscaling.maxReplicas,
            metrics: [
              kplus.Metric.resourceCpu(
                kplus.MetricTarget.averageUtilization(
                  props.autoscaling.targetCpuUtilizationPercent ?? DEFAULT_TARGET_CPU_PERCENT,
                ),
              ),
            ],
          });

    this.podDisruptionBudget = new kplus.k8s.KubePodDisruptionBudget(this, 'disruption-budget', {
      metadata: { name: this.name },
      spec: {
        maxUnavailable: kplus.k8s.IntOrString.fromNumber(props.disruptionMaxUnavailable ?? 1),
        selector: { matchLabels: this.deployment.matchLabels },
      },
    });
  }

  /**
   * Says that `DATABASE_URL` names a pooler rather than the database: the header's Secret command then
   * shows `url` (e.g. `PgBouncer.databaseUrlFor('app')`), so nobody points the pods at PostgreSQL directly.
   */
  public connectsThrough(url: string): void {
    this.databaseUrlExample = url;
  }

  /**
   * The manifest's header comment: the Secrets the pods need (a missing one keeps every pod in
   * CreateContainerConfigError) with the commands that create them, and any TLS opt-out.
   */
  public headerComment(): string[] {
    const namespace = this.node.scopes[1]?.node.id ?? this.name;
    const secrets = [
      `kubectl create secret generic ${this.databaseUrlSecret.name} -n <namespace> ` +
        `--from-literal=${this.databaseUrlSecret.key}="${this.databaseUrlExample}"`,
      `kubectl create secret generic ${this.healthCheckTokenSecret.name} -n <namespace> ` +
        `--from-literal=${this.healthCheckTokenSecret.key}="$(${TOKEN_GENERATOR})"`,
    ];
    return [
      `${namespace}: Deployment ${this.name} runs ${this.image}.`,
      'REQUIRED before `kubectl apply`: these Secrets; without them no pod starts (CreateContainerConfigError).',
      ...secrets.map((command) => `  ${command}`),
      ...this.synthNotes,
    ];
  }

  private probeOptions(timing: ProbeTiming): kplus.HttpGetProbeOptions {
    return {
      port: this.port,
      initialDelaySeconds: GATED_INITIAL_DELAY,
      periodSeconds: timing.period,
      timeoutSeconds: timing.timeout,
      failureThreshold: timing.failureThreshold,
    };
  }

  /** Problems with the construct's own props (the environment is checked separately). */
  private propProblems(props: PostgresBackedServiceProps): string[] {
    const problems: string[] = [];
    // The Service's name is the strictest of the objects': an RFC 1035 label.
    if (!/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(this.name)) {
      problems.push(
        'name must be a DNS label (lowercase letters, digits and "-", starting with a letter, ' +
          `at most 63), got ${JSON.stringify(this.name)}`,
      );
    }
    if (props.replicas !== undefined && props.autoscaling !== undefined) {
      problems.push(
        'replicas and autoscaling are both set: the autoscaler owns the pod count, so set only one, ' +
          `got replicas ${props.replicas}`,
      );
    }
    if (!isCount(this.replicas, 1)) problems.push(`replicas must be an integer >= 1, got ${this.replicas}`);
    const autoscaling = props.autoscaling;
    if (
      autoscaling !== undefined &&
      !(isCount(autoscaling.maxReplicas, 1) && autoscaling.maxReplicas >= autoscaling.minReplicas)
    ) {
      problems.push(
        `autoscaling.maxReplicas must be an integer >= minReplicas (${autoscaling.minReplicas}), ` +
          `got ${autoscaling.maxReplicas}`,
      );
    }
    const bounds: number[] = [];
    for (const field of ['maxSurge', 'maxUnavailable'] as const) {
      try {
        bounds.push(scaleIntOrPercent(field, this.strategy[field] ?? 0, Math.max(this.replicas, 1), 'up'));
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    if (bounds.length === 2 && bounds.every((bound) => bound === 0)) {
      const given = `${JSON.stringify(this.strategy.maxSurge)} and ${JSON.stringify(this.strategy.maxUnavailable)}`;
      problems.push(
        'maxSurge and maxUnavailable are both 0: a rollout could never replace a pod, ' +
          `so raise one of them, got ${given}`,
      );
    }
    return problems;
  }
}

function isCount(value: number, minimum: number): boolean {
  return Number.isSafeInteger(value) && value >= minimum;
}

function rollingUpdateStrategy(bounds: Required<RollingUpdateBounds>): kplus.DeploymentStrategy {
  const maxSurge = percentOrAbsolute(bounds.maxSurge);
  const maxUnavailable = percentOrAbsolute(bounds.maxUnavailable);
  // cdk8s-plus throws on 0 / 0; validation reports it instead, and nothing is written.
  if (maxSurge.isZero() && maxUnavailable.isZero()) return kplus.DeploymentStrategy.rollingUpdate();
  return kplus.DeploymentStrategy.rollingUpdate({ maxSurge, maxUnavailable });
}

/** `'25%'` → a percentage, `1` → a pod count; anything else is reported by validation and rendered as given. */
function percentOrAbsolute(value: number | string): kplus.PercentOrAbsolute {
  if (typeof value === 'number') return kplus.PercentOrAbsolute.absolute(value);
  const match = /^(\d+)%$/.exec(value.trim());
  return match === null
    ? kplus.PercentOrAbsolute.absolute(Number.NaN)
    : kplus.PercentOrAbsolute.percent(Number(match[1]));
}
