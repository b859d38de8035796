/**
 * The props of the `PostgresBackedService` construct and the types it
 * exposes: the Secret keys it reads, its autoscaling and rollout bounds.
 */
import type { Duration } from 'cdk8s';
import type * as kplus from 'cdk8s-plus-28';
import type { DatabaseDeclaration } from '../budget/budgeted-workload.js';
import type { MonitoringOptions } from '../observability/prometheus-operator.js';
import type { InsecureDatabaseOptOut } from '../settings/deployment-image.js';
import type { PresetName } from '../settings/presets.js';
import type { EnvironmentValues } from '../settings/rendered-environment.js';

/** A key of a Kubernetes Secret. */
export interface SecretKeyReference {
  /** Name of the Secret, in the Deployment's namespace. */
  readonly name: string;
  /** Key in the Secret's data. */
  readonly key: string;
}

/** Bounds of a HorizontalPodAutoscaler on CPU. */
export interface Autoscaling {
  /** Fewest pods. */
  readonly minReplicas: number;
  /** Most pods: the connection budget counts this many. */
  readonly maxReplicas: number;
  /** Average CPU utilization the autoscaler aims for, in percent of the request. @default 70 */
  readonly targetCpuUtilizationPercent?: number;
}

/** RollingUpdate bounds, as Kubernetes spells them: a pod count or a percentage such as `'25%'`. */
export interface RollingUpdateBounds {
  /** Pods above the desired count during a rollout; they hold connections too. @default '25%' */
  readonly maxSurge?: number | string;
  /** Pods below the desired count during a rollout. @default '25%' */
  readonly maxUnavailable?: number | string;
}

/** Properties of a `PostgresBackedService`. */
export interface PostgresBackedServiceProps {
  /** The database it connects to, as declared for the connection budget. */
  readonly database: DatabaseDeclaration;
  /** Name of the Deployment, Service, autoscaler and disruption budget. @default the construct id */
  readonly name?: string;
  /**
   * Image running clientats-runtime, with a pinned tag. @default `DEFAULT_IMAGE` (`clientats-api:<runtime
   * version>`)
   */
  readonly image?: string;
  /** The guide's preset the variables start from. @default none: the contract's defaults */
  readonly preset?: PresetName;
  /** Variables set over the preset (strings, numbers or booleans). @default {} */
  readonly environment?: EnvironmentValues;
  /** Secret key holding the database URL. @default key `DATABASE_URL` of Secret `<name>-database` */
  readonly databaseUrlSecret?: SecretKeyReference;
  /**
   * Secret key holding `HEALTH_CHECK_TOKEN` for `/health/diagnostics`. @default key `HEALTH_CHECK_TOKEN` of
   * Secret `<name>-health`
   */
  readonly healthCheckTokenSecret?: SecretKeyReference;
  /**
   * Connect without TLS although `NODE_ENV=production`: the reason is printed by synth and written into the
   * manifest's header. @default none: production must set an encrypting `DATABASE_SSL` (the default is `verify-full`)
   */
  readonly insecureDatabase?: InsecureDatabaseOptOut;
  /** Fixed number of pods; leave unset with `autoscaling`. @default 2 without autoscaling */
  readonly replicas?: number;
  /** A HorizontalPodAutoscaler on CPU. @default no autoscaler */
  readonly autoscaling?: Autoscaling;
  /** RollingUpdate bounds, written out explicitly. @default maxSurge '25%', maxUnavailable '25%' */
  readonly rollingUpdate?: RollingUpdateBounds;
  /** Container resources. @default requests cpu 250m and memory 256Mi, memory limit 512Mi */
  readonly resources?: kplus.ContainerResources;
  /** Time between SIGTERM and SIGKILL. @default SHUTDOWN_DELAY_MS + SHUTDOWN_DRAIN_MS + 5 s, rounded up to seconds */
  readonly terminationGracePeriod?: Duration;
  /** How long a starting pod may take to answer its liveness path before it is restarted. @default 2 minutes */
  readonly startupDeadline?: Duration;
  /** Pods a voluntary disruption (a node drain) may take down at once. @default 1 */
  readonly disruptionMaxUnavailable?: number;
  /**
   * PodMonitor, PrometheusRule (thresholds from the connection budget) and Grafana dashboard ConfigMap,
   * added by `synthesize` once the budget is computed; `false` leaves them out. @default {} (on)
   */
  readonly monitoring?: false | MonitoringOptions;
}
