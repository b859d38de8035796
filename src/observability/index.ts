/**
 * Observability artefacts generated per environment from its settings and the
 * connection budget: alert rules, prometheus-operator objects, a Grafana
 * dashboard, Prometheus files for non-Kubernetes hosts, and the budget as an
 * SVG and a Mermaid chart; for an environment behind a monitored PgBouncer
 * tier, the exporter's PodMonitor, the tier's alerts and a dashboard row.
 * Pure functions over plain data; see the README's "Monitoring and alerts".
 */
export * from './observability-input.js';
export { METRIC, ENVIRONMENT_LABEL, DATABASE_LABEL } from './metric-names.js';
export {
  ADMIN_DATABASE,
  DEFAULT_PGBOUNCER_EXPORTER_IMAGE,
  PGBOUNCER_EXPORTER_PORT,
  PGBOUNCER_EXPORTER_PORT_NAME,
  PGBOUNCER_EXPORTER_VERSION,
  PGBOUNCER_LABEL,
  PGBOUNCER_METRIC,
  type ExporterMetricSource,
} from './pgbouncer-metric-names.js';
export { pgbouncerRuleGroup, type PgbouncerAlertName } from './pgbouncer-alert-rules.js';
export {
  ALERT_NAMES,
  BOUNCED_ALERT_NAMES,
  PGBOUNCER_ALERT_NAMES,
  alertRuleGroups,
  runbookAnchor,
  type AlertName,
  type AlertingRule,
  type RuleGroup,
  type Severity,
} from './alert-rules.js';
export {
  dashboardConfigMap,
  monitoringName,
  monitoringObjects,
  pgbouncerPodMonitor,
  podMonitor,
  prometheusRule,
  type DashboardConfigMapObject,
  type MonitoringOptions,
  type PodMonitorObject,
  type PrometheusRuleObject,
} from './prometheus-operator.js';
export { connectionPoolDashboard } from './grafana-dashboard.js';
export {
  prometheusYaml,
  ruleFile,
  scrapeJob,
  type RuleFile,
  type ScrapeJob,
  type ScrapeTargets,
} from './prometheus-files.js';
export { budgetSvg, CONSUMER_COLOURS } from './budget-svg.js';
export { budgetMermaid, cumulativeSeries } from './budget-mermaid.js';
export {
  BUDGET_SVG_FILE,
  observabilityFiles,
  type ObservabilityFile,
  type ObservedEnvironment,
} from './observability-files.js';
