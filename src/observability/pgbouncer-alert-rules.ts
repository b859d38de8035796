/**
 * Alerting rules of a PgBouncer tier, read from the exporter beside each
 * bouncer (`PGBOUNCER_METRIC`), with thresholds from the two-tier budget:
 * - server tier: the tier's server connections against its budgeted share of
 *   the database (bouncer pods with surge × server connections per bouncer);
 * - client tier: each bouncer's clients against its max_client_conn;
 * - the pool: clients waiting for a server connection, and the longest wait
 *   against query_wait_timeout;
 * - the bouncer itself: the exporter cannot query it, or nothing is scraped.
 * Each description names the tier and the figure its threshold is.
 */
import type { AlertingRule, RuleGroup, Severity } from './alert-rules.js';
import { DATABASE_LABEL, ENVIRONMENT_LABEL } from './metric-names.js';
import {
  resolveThresholds,
  type BouncerObservability,
  type EnvironmentObservability,
} from './observability-input.js';
import { ADMIN_DATABASE, PGBOUNCER_LABEL, PGBOUNCER_METRIC } from './pgbouncer-metric-names.js';

/** The tier's alerts, in the order of the README's runbook. */
export const PGBOUNCER_ALERT_NAMES = [
  'PgbouncerClientsWaiting',
  'PgbouncerMaxWaitNearTimeout',
  'PgbouncerServerConnectionsNearBudget',
  'PgbouncerClientsNearMaxClientConn',
  'PgbouncerClientsAtMaxClientConn',
  'PgbouncerDown',
  'PgbouncerMetricsMissing',
] as const;

/** The name of one bouncer alert. */
export type PgbouncerAlertName = (typeof PGBOUNCER_ALERT_NAMES)[number];

/** The rule group of the tier `bouncer` that environment `input` connects through. */
export function pgbouncerRuleGroup(
  input: EnvironmentObservability,
  bouncer: BouncerObservability,
): RuleGroup {
  const thresholds = resolveThresholds(input.thresholds);
  const { environment, budget } = input;
  const tier = bouncer.name;
  const quoted = (label: string, value: string): string => `${label}=${JSON.stringify(value)}`;
  const selector = `${quoted(ENVIRONMENT_LABEL, environment)},${quoted(PGBOUNCER_LABEL, tier)}`;
  const bouncers = `{${selector}}`;
  // SHOW POOLS lists the admin console too: the exporter's own connection is not a client of the database.
  const pools = `{${selector},${ADMIN_DATABASE_MATCHER}}`;
  const where = 'bouncer {{ $labels.instance }}{{ with $labels.pod }} (pod {{ . }}){{ end }}';
  const reserve = bouncer.reservePoolSize > 0 ? ` + reserve_pool_size ${bouncer.reservePoolSize}` : '';
  const cap =
    bouncer.maxDbConnections > 0 ? `, capped at max_db_connections ${bouncer.maxDbConnections}` : '';
  const pool = `default_pool_size ${bouncer.defaultPoolSize}${reserve}${cap}`;
  const timeout = bouncer.queryWaitTimeoutSeconds;
  // The exporter reports `maxwait` in whole seconds: warn once a wait has reached the threshold.
  const waitThreshold = Math.max(1, Math.floor(timeout * thresholds.waitOfTimeout));
  const serverThreshold = Math.ceil(bouncer.bouncerConnections * thresholds.ofShare);
  const client = bouncer.client;
  const clientThreshold = Math.ceil(client.maxClientConn * thresholds.ofUsable);
  const clientTier =
    `client tier: max_client_conn ${client.maxClientConn} per bouncer, ${client.strictCapacity} client connections ` +
    `allowed across ${client.servingBouncers} bouncers with ${client.downDuringRollout} down, ` +
    `${client.capacity} with all serving`;
  const rule = (
    alert: PgbouncerAlertName,
    severity: Severity,
    forDuration: string,
    expr: string,
    summary: string,
    description: string,
  ): AlertingRule => ({
    alert,
    expr,
    for: forDuration,
    labels: {
      severity,
      [ENVIRONMENT_LABEL]: environment,
      [DATABASE_LABEL]: budget.database,
      [PGBOUNCER_LABEL]: tier,
    },
    annotations: { summary, description, runbook_url: `${input.runbookBaseUrl}#${alert.toLowerCase()}` },
  });
  const M = PGBOUNCER_METRIC;
  const rules: AlertingRule[] = [
    rule(
      'PgbouncerClientsWaiting',
      'warning',
      '5m',
      `sum by (instance, pod) (${M.clientWaiting.name}${pools}) > 0`,
      `${environment}: clients queue for a server connection on PgBouncer ${tier}`,
      `On ${where} of PgBouncer tier ${tier}, {{ $value }} clients have waited for a server connection at every ` +
        `evaluation for 5 minutes: every server connection of the pool (${bouncer.perBouncer} per bouncer in the ` +
        `server-tier budget: ${pool}) is busy. Queries queue toward query_wait_timeout ${timeout} s, then fail.`,
    ),
    rule(
      'PgbouncerMaxWaitNearTimeout',
      'warning',
      '5m',
      `max by (instance, pod) (${M.maxWait.name}${pools}) >= ${waitThreshold}`,
      `${environment}: a client of PgBouncer ${tier} has waited {{ $value }} s of query_wait_timeout ${timeout} s`,
      `On ${where} of PgBouncer tier ${tier}, the oldest waiting client has waited {{ $value }} s ` +
        '(whole seconds) for a ' +
        `server connection, at or above ${waitThreshold} s (${percentOf(thresholds.waitOfTimeout)} ` +
        'of query_wait_timeout ' +
        `${timeout} s), for 5 minutes: at ${timeout} s PgBouncer cancels the client with "query_wait_timeout".`,
    ),
    rule(
      'PgbouncerServerConnectionsNearBudget',
      'warning',
      '10m',
      `sum(${M.usedServers.name}${bouncers}) >= ${serverThreshold}`,
      `PgBouncer ${tier}: {{ $value }} server connections of its budgeted ${bouncer.bouncerConnections}`,
      `PgBouncer tier ${tier} holds {{ $value }} server connections to ${budget.database}. ` +
        'Server tier: the budget grants ' +
        `it ${bouncer.bouncerConnections} (${bouncer.bouncerInstances} bouncer pods with surge × ` +
        `${bouncer.perBouncer} ` +
        `server connections: ${pool}) of ${budget.usable} usable of max_connections ${budget.maxConnections}. ` +
        `More bouncer pods than the budget counted take slots other clients were promised.`,
    ),
    rule(
      'PgbouncerClientsNearMaxClientConn',
      'warning',
      '5m',
      `max by (instance, pod) (${M.usedClients.name}${bouncers}) >= ${clientThreshold}`,
      `${environment}: PgBouncer ${tier} holds {{ $value }} of max_client_conn ${client.maxClientConn} clients`,
      `${where} of PgBouncer tier ${tier} holds {{ $value }} client connections, at least ${clientThreshold} ` +
        `(${percentOf(thresholds.ofUsable)} of max_client_conn ${client.maxClientConn}); ${clientTier}. ` +
        'Past max_client_conn it refuses new clients.',
    ),
    rule(
      'PgbouncerClientsAtMaxClientConn',
      'critical',
      '2m',
      `max by (instance, pod) (${M.usedClients.name}${bouncers}) >= ${client.maxClientConn}`,
      `${environment}: PgBouncer ${tier} refuses new clients (max_client_conn ${client.maxClientConn})`,
      `${where} of PgBouncer tier ${tier} holds {{ $value }} client connections, all of max_client_conn ` +
        `${client.maxClientConn}: new connections fail with "no more connections allowed ` +
        `(max_client_conn)"; ${clientTier}.`,
    ),
    rule(
      'PgbouncerDown',
      'warning',
      '5m',
      `${M.up.name}${bouncers} == 0`,
      `${environment}: the exporter cannot query PgBouncer ${tier} on {{ $labels.pod }}`,
      `The exporter beside ${where} of PgBouncer tier ${tier} has failed to query its admin console for 5 minutes: ` +
        'the bouncer is down or restarting, or the stats user cannot log in. The other bouncers carry its clients; ' +
        `the client tier allows ${client.strictCapacity} client connections with ` +
        `${client.downDuringRollout} bouncer(s) down.`,
    ),
    rule(
      'PgbouncerMetricsMissing',
      'warning',
      '10m',
      `absent(${M.up.name}${bouncers})`,
      `${environment}: no PgBouncer ${tier} exporter is scraped`,
      `Prometheus has scraped no exporter of PgBouncer tier ${tier} for 10 minutes: every bouncer pod is down, the ` +
        'exporter container is not running, or the PodMonitor no longer finds it. ' +
        'None of the bouncer alerts can fire meanwhile.',
    ),
  ];
  return { name: `clientats-${environment}-pgbouncer`, rules };
}

/** Leaves out the admin console's pool. */
const ADMIN_DATABASE_MATCHER = `${DATABASE_LABEL}!=${JSON.stringify(ADMIN_DATABASE)}`;

function percentOf(fraction: number): string {
  return `${Math.round(fraction * 100000) / 1000} %`;
}
