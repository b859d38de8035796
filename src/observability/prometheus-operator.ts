/**
 * prometheus-operator objects for one Kubernetes environment: a `PodMonitor`
 * that scrapes `/metrics` of every pod (ready or not: a pod failing readiness
 * because the database is down is exactly the one to watch, which a
 * ServiceMonitor's endpoints may hide), a `PrometheusRule` with the
 * environment's alerts, and the Grafana dashboard as a ConfigMap the Grafana
 * sidecar loads. Plain objects, as the CRDs spell them (monitoring.coreos.com/v1).
 */
import { HEALTH_PATHS, HTTP_PORT_NAME } from 'clientats-runtime/contract';
import { alertRuleGroups, checkNames, type RuleGroup } from './alert-rules.js';
import { connectionPoolDashboard } from './grafana-dashboard.js';
import { DATABASE_LABEL, ENVIRONMENT_LABEL } from './metric-names.js';
import type { AlertThresholds, EnvironmentObservability } from './observability-input.js';
import { PGBOUNCER_EXPORTER_PORT_NAME, PGBOUNCER_LABEL } from './pgbouncer-metric-names.js';

/** Where and how the objects are picked up. */
export interface MonitoringOptions {
  /**
   * Labels the Prometheus' `podMonitorSelector` / `ruleSelector` match (kube-prometheus-stack: `release:
   * <its release>`). @default {}
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Namespace of the objects (the PodMonitor selects pods in its own namespace). @default none: the
   * namespace applied to
   */
  readonly namespace?: string;
  /** Scrape interval. @default '15s' */
  readonly scrapeInterval?: string;
  /**
   * Label of the dashboard ConfigMap that Grafana's sidecar looks for, and its value. @default {
   * grafana_dashboard: '1' }
   */
  readonly dashboardLabels?: Readonly<Record<string, string>>;
  /** Overrides of the alerts' fractions (`DEFAULT_ALERT_THRESHOLDS`). @default none */
  readonly thresholds?: Partial<AlertThresholds>;
}

/** Metadata shared by the objects. */
interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A `monitoring.coreos.com/v1` PodMonitor. */
export interface PodMonitorObject {
  readonly apiVersion: 'monitoring.coreos.com/v1';
  readonly kind: 'PodMonitor';
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly selector: { readonly matchLabels: Readonly<Record<string, string>> };
    readonly podMetricsEndpoints: readonly {
      readonly port: string;
      readonly path: string;
      readonly interval: string;
      readonly relabelings: readonly {
        readonly action: 'replace';
        readonly targetLabel: string;
        readonly replacement: string;
      }[];
    }[];
  };
}

/** A `monitoring.coreos.com/v1` PrometheusRule. */
export interface PrometheusRuleObject {
  readonly apiVersion: 'monitoring.coreos.com/v1';
  readonly kind: 'PrometheusRule';
  readonly metadata: ObjectMeta;
  readonly spec: { readonly groups: readonly RuleGroup[] };
}

/** A v1 ConfigMap holding one dashboard. */
export interface DashboardConfigMapObject {
  readonly apiVersion: 'v1';
  readonly kind: 'ConfigMap';
  readonly metadata: ObjectMeta;
  readonly data: Readonly<Record<string, string>>;
}

/** Name of every object of an environment: `<service>-connection-pool`. */
export function monitoringName(input: Pick<EnvironmentObservability, 'service'>): string {
  return `${input.service}-connection-pool`;
}

/**
 * Scrapes the pods labelled `app: <service>` on the runtime's port, adding the environment and database
 * labels, and for an app behind a PgBouncer tier the `pgbouncer` label naming the tier.
 */
export function podMonitor(
  input: EnvironmentObservability,
  options: MonitoringOptions = {},
): PodMonitorObject {
  checkNames(input);
  const tier = input.budget.clientTier;
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: metadata(input, options, options.labels),
    spec: {
      selector: { matchLabels: { app: input.service } },
      podMetricsEndpoints: [
        {
          port: HTTP_PORT_NAME,
          path: HEALTH_PATHS.metrics,
          interval: options.scrapeInterval ?? '15s',
          relabelings: [
            { action: 'replace', targetLabel: ENVIRONMENT_LABEL, replacement: input.environment },
            { action: 'replace', targetLabel: DATABASE_LABEL, replacement: input.budget.database },
            ...(tier === undefined
              ? []
              : [{ action: 'replace' as const, targetLabel: PGBOUNCER_LABEL, replacement: tier.name }]),
          ],
        },
      ],
    },
  };
}

/**
 * Scrapes the PgBouncer exporter beside every bouncer pod (`app: <tier>`, port `metrics`), adding the
 * environment and `pgbouncer` labels. No `database` label: the exporter's own `database` label names the
 * bouncer's pool and must stay as it is.
 * @throws Error when the environment has no monitored PgBouncer tier.
 */
export function pgbouncerPodMonitor(
  input: EnvironmentObservability,
  options: MonitoringOptions = {},
): PodMonitorObject {
  checkNames(input);
  const bouncer = input.pgbouncer;
  if (bouncer === undefined) {
    throw new Error(`environment '${input.environment}' has no monitored PgBouncer tier to scrape`);
  }
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: {
      name: `${bouncer.name}-exporter`,
      ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
      labels: { app: bouncer.name, [ENVIRONMENT_LABEL]: input.environment, ...(options.labels ?? {}) },
    },
    spec: {
      selector: { matchLabels: { app: bouncer.name } },
      podMetricsEndpoints: [
        {
          port: PGBOUNCER_EXPORTER_PORT_NAME,
          path: '/metrics',
          interval: options.scrapeInterval ?? '15s',
          relabelings: [
            { action: 'replace', targetLabel: ENVIRONMENT_LABEL, replacement: input.environment },
            { action: 'replace', targetLabel: PGBOUNCER_LABEL, replacement: bouncer.name },
          ],
        },
      ],
    },
  };
}

/** The environment's alerts (see alert-rules.ts). */
export function prometheusRule(
  input: EnvironmentObservability,
  options: MonitoringOptions = {},
): PrometheusRuleObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: metadata(input, options, options.labels),
    spec: { groups: alertRuleGroups(input) },
  };
}

/** The dashboard as a ConfigMap for Grafana's dashboard sidecar (kube-prometheus-stack's default label). */
export function dashboardConfigMap(
  input: EnvironmentObservability,
  options: MonitoringOptions = {},
): DashboardConfigMapObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata(input, options, options.dashboardLabels ?? { grafana_dashboard: '1' }),
    data: {
      [`${monitoringName(input)}.json`]: `${JSON.stringify(connectionPoolDashboard(input), null, 2)}\n`,
    },
  };
}

/**
 * The objects in apply order: the PodMonitor, the PrometheusRule (with the bouncer tier's group when it is
 * monitored), the dashboard ConfigMap, and last the bouncer exporter's PodMonitor when there is one.
 */
export function monitoringObjects(
  input: EnvironmentObservability,
  options: MonitoringOptions = {},
): [PodMonitorObject, PrometheusRuleObject, DashboardConfigMapObject, ...PodMonitorObject[]] {
  return [
    podMonitor(input, options),
    prometheusRule(input, options),
    dashboardConfigMap(input, options),
    ...(input.pgbouncer === undefined ? [] : [pgbouncerPodMonitor(input, options)]),
  ];
}

function metadata(
  input: EnvironmentObservability,
  options: MonitoringOptions,
  labels: Readonly<Record<string, string>> = {},
): ObjectMeta {
  return {
    name: monitoringName(input),
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    labels: { app: input.service, [ENVIRONMENT_LABEL]: input.environment, ...labels },
  };
}
