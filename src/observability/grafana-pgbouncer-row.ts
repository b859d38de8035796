/**
 * The PgBouncer row of an environment's dashboard: clients against
 * max_client_conn, server connections against the budget, the longest wait,
 * and whether each bouncer and its exporter are up.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { matcher } from './alert-rules.js';
import { DATABASE_LABEL, ENVIRONMENT_LABEL } from './metric-names.js';
import type { EnvironmentObservability } from './observability-input.js';
import { ADMIN_DATABASE, PGBOUNCER_LABEL, PGBOUNCER_METRIC } from './pgbouncer-metric-names.js';
import { timeseriesPanel, twoStateTimeline } from './grafana-panels.js';

/** The bouncer row: clients against max_client_conn, server connections against the budget, the longest wait. */
export function pgbouncerRow(builder: dashboard.DashboardBuilder, input: EnvironmentObservability): void {
  const bouncer = input.pgbouncer!;
  const selector = `${matcher(ENVIRONMENT_LABEL, input.environment)},${matcher(PGBOUNCER_LABEL, bouncer.name)}`;
  const bouncers = `{${selector}}`;
  const pools = `{${selector},${DATABASE_LABEL}!=${JSON.stringify(ADMIN_DATABASE)}}`;
  const perBouncer = '{{instance}} {{pod}}';
  const { client } = bouncer;
  builder.withRow(new dashboard.RowBuilder(`PgBouncer ${bouncer.name}`));
  builder.withPanel(
    timeseriesPanel({
      title: `Clients per bouncer (max_client_conn ${client.maxClientConn})`,
      description:
        'Client connections each bouncer holds (SHOW LISTS used_clients, ' +
        'what PgBouncer compares with max_client_conn). ' +
        `Client tier: ${client.strictCapacity} allowed across ${client.servingBouncers} bouncers ` +
        `with ${client.downDuringRollout} down. ` +
        'Alerts PgbouncerClientsNearMaxClientConn and PgbouncerClientsAtMaxClientConn.',
      unit: 'short',
      width: 8,
      queries: [
        {
          expr: `sum by (instance, pod) (${PGBOUNCER_METRIC.usedClients.name}${bouncers})`,
          legend: perBouncer,
        },
        {
          expr: `max(${PGBOUNCER_METRIC.maxClientConn.name}${bouncers})`,
          legend: 'max_client_conn the bouncers report',
        },
      ],
      bounds: [{ value: client.maxClientConn, legend: `max_client_conn (${client.maxClientConn})` }],
    }),
  );
  builder.withPanel(
    timeseriesPanel({
      title: 'Clients active and waiting',
      description:
        'Clients linked to a server connection, and clients waiting for one (waiting for minutes: ' +
        'the pool is too small, ' +
        `alert PgbouncerClientsWaiting), summed over the bouncers.`,
      unit: 'short',
      width: 8,
      stacked: true,
      queries: [
        { expr: `sum(${PGBOUNCER_METRIC.clientActive.name}${pools})`, legend: 'active' },
        { expr: `sum(${PGBOUNCER_METRIC.clientWaiting.name}${pools})`, legend: 'waiting' },
      ],
    }),
  );
  builder.withPanel(
    timeseriesPanel({
      title: `Server connections (budget ${bouncer.bouncerConnections}, ${bouncer.perBouncer} per bouncer)`,
      description:
        `Server connections to ${input.budget.database} (SHOW LISTS used_servers). Server tier: ` +
        `${bouncer.bouncerInstances} ` +
        `bouncer pods with surge × ${bouncer.perBouncer} = ${bouncer.bouncerConnections} of ` +
        `${input.budget.usable} usable. ` +
        'Alert PgbouncerServerConnectionsNearBudget.',
      unit: 'short',
      width: 8,
      queries: [
        { expr: `sum(${PGBOUNCER_METRIC.usedServers.name}${bouncers})`, legend: 'all bouncers' },
        {
          expr: `sum by (instance, pod) (${PGBOUNCER_METRIC.usedServers.name}${bouncers})`,
          legend: perBouncer,
        },
      ],
      bounds: [
        { value: bouncer.bouncerConnections, legend: `tier budget (${bouncer.bouncerConnections})` },
        { value: bouncer.perBouncer, legend: `per bouncer (${bouncer.perBouncer})` },
      ],
    }),
  );
  builder.withPanel(
    timeseriesPanel({
      title: `Longest client wait (query_wait_timeout ${bouncer.queryWaitTimeoutSeconds} s)`,
      description:
        'Age of the oldest client waiting for a server connection, whole seconds. At query_wait_timeout PgBouncer ' +
        'cancels it (alert PgbouncerMaxWaitNearTimeout).',
      unit: 's',
      width: 12,
      queries: [
        { expr: `max by (instance, pod) (${PGBOUNCER_METRIC.maxWait.name}${pools})`, legend: perBouncer },
      ],
      bounds: [
        {
          value: bouncer.queryWaitTimeoutSeconds,
          legend: `query_wait_timeout (${bouncer.queryWaitTimeoutSeconds} s)`,
        },
      ],
    }),
  );
  builder.withPanel(
    twoStateTimeline({
      title: 'Bouncers the exporter reaches',
      description: 'pgbouncer_up of each exporter: 0 when it cannot query its bouncer (alert PgbouncerDown).',
      states: ['down', 'up'],
      expr: `max by (instance, pod) (${PGBOUNCER_METRIC.up.name}${bouncers})`,
      legend: perBouncer,
    }),
  );
}
