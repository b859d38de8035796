/**
 * The Grafana dashboard of one environment, built with Grafana's typed
 * builders (`@grafana/grafana-foundation-sdk`) rather than hand-written JSON:
 * connections by state against the budget share, per instance against
 * `per_instance`, the database against its usable count and max_connections,
 * checkout wait against POOL_TIMEOUT, query duration, waiting callers,
 * timeouts, errors, overflow and readiness. Bounds are drawn as constant
 * series (`vector(N)`) named after what they are.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { checkNames, matcher } from './alert-rules.js';
import { DATABASE_LABEL, ENVIRONMENT_LABEL, METRIC } from './metric-names.js';
import { resolveThresholds, type EnvironmentObservability } from './observability-input.js';
import { ADMIN_DATABASE, PGBOUNCER_LABEL, PGBOUNCER_METRIC } from './pgbouncer-metric-names.js';

/** The dashboard's data source: a variable, so it works with whichever Prometheus the Grafana has. */
const DATASOURCE: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** A series drawn as a bound: dashed, red, not stacked. */
const BOUND_STYLE: dashboard.DynamicConfigValue[] = [
  { id: 'custom.stacking', value: { mode: 'none', group: 'A' } },
  { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
  { id: 'custom.fillOpacity', value: 0 },
  { id: 'color', value: { mode: 'fixed', fixedColor: 'red' } },
];

/** What a panel draws: queries and the bounds drawn over them. */
interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  readonly queries: readonly { readonly expr: string; readonly legend: string }[];
  readonly bounds?: readonly { readonly value: number; readonly legend: string }[];
  readonly stacked?: boolean;
  readonly width?: number;
}

/** The dashboard JSON model of one environment. */
export function connectionPoolDashboard(input: EnvironmentObservability): dashboard.Dashboard {
  checkNames(input);
  const { environment, pool, budget } = input;
  const env = `{${matcher(ENVIRONMENT_LABEL, environment)}}`;
  const timeoutSeconds = pool.poolTimeoutMillis / 1000;
  const instance = '{{instance}} {{pod}}';
  const quantiles = (bucket: string): PanelSpec['queries'] =>
    [0.5, 0.95, 0.99].map((q) => ({
      expr: `histogram_quantile(${q}, sum by (le) (rate(${bucket}${env}[$__rate_interval])))`,
      legend: `p${q * 100}`,
    }));
  const builder = new dashboard.DashboardBuilder(`clientats ${environment}: database connections`)
    .uid(`clientats-${environment}-pool`.slice(0, 40))
    .description(
      `Connection pool of ${environment} (POOL_SIZE=${pool.poolSize} POOL_COUNT=${pool.poolCount} ` +
        `MAX_OVERFLOW=${pool.maxOverflow} POOL_TIMEOUT=${pool.poolTimeoutMillis}) ` +
        `against its connection budget on ${budget.database}.`,
    )
    .tags(['clientats', 'postgresql', 'connection-pool'])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .withVariable(
      new dashboard.DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'),
    );

  const databasePanel: PanelSpec = {
    title: `Database ${budget.database} (usable ${budget.usable}, max_connections ${budget.maxConnections})`,
    description:
      `Connections of every environment on ${budget.database} that Prometheus scrapes` +
      `${budget.unmeasured > 0 ? `, plus ${budget.unmeasured} declared for clients without metrics` : ''}` +
      '. Beyond usable, PostgreSQL answers "too many clients already".',
    unit: 'short',
    stacked: true,
    queries: [
      {
        // Apps behind a PgBouncer tier hold client connections to the bouncers, not to the database.
        expr:
          `sum by (${ENVIRONMENT_LABEL}) (${METRIC.open}{${matcher(DATABASE_LABEL, budget.database)}` +
          `${budget.bounced === true ? `,${matcher(PGBOUNCER_LABEL, '')}` : ''}})`,
        legend: `{{${ENVIRONMENT_LABEL}}}`,
      },
      ...(budget.unmeasured > 0
        ? [{ expr: `vector(${budget.unmeasured})`, legend: 'declared other clients' }]
        : []),
    ],
    bounds: [
      { value: budget.usable, legend: `usable (${budget.usable})` },
      { value: budget.maxConnections, legend: `max_connections (${budget.maxConnections})` },
    ],
  };
  builder.withRow(new dashboard.RowBuilder('Connections against the budget'));
  for (const spec of [
    {
      title: `In use and idle in ${environment} (budgeted share ${budget.share})`,
      description:
        `Connections every instance of ${environment} holds, stacked by state, ` +
        'against what the connection budget grants ' +
        `the environment in its ${budget.mode} case. Alert ClientatsNearBudgetedShare warns at ` +
        `${Math.round(resolveThresholds(input.thresholds).ofShare * 100)} %.`,
      unit: 'short',
      stacked: true,
      queries: [
        { expr: `sum(${METRIC.active}${env})`, legend: 'in use' },
        { expr: `sum(${METRIC.idle}${env})`, legend: 'idle' },
        {
          expr: `sum(${METRIC.open}${env}) - sum(${METRIC.active}${env}) - sum(${METRIC.idle}${env})`,
          legend: 'readiness and opening',
        },
      ],
      bounds: [{ value: budget.share, legend: `budgeted share (${budget.share})` }],
    },
    {
      title: `Per instance (bound ${input.perInstance})`,
      description:
        'Connections of each process: POOL_COUNT × (POOL_SIZE + MAX_OVERFLOW) ' +
        `+ 1 readiness = ${input.perInstance} at most ` +
        '(the generated bound); "bound the pods report" is what the running pods compute from their own settings.',
      unit: 'short',
      queries: [
        { expr: `sum by (instance, pod) (${METRIC.open}${env})`, legend: instance },
        // What the running pods report: differs from the generated bound when a pod runs other settings.
        { expr: `max(${METRIC.openMax}${env})`, legend: 'bound the pods report' },
      ],
      bounds: [{ value: input.perInstance, legend: `per-instance bound (${input.perInstance})` }],
    },
    budget.clientTier === undefined
      ? databasePanel
      : {
          title:
            `Client tier of PgBouncer ${budget.clientTier.name} (max_client_conn ` +
            `${budget.clientTier.maxClientConn} per bouncer)`,
          description:
            `Client connections of every app behind PgBouncer ${budget.clientTier.name}: ` +
            `they count against the bouncers' ` +
            `max_client_conn, not against max_connections of ${budget.database}. ` +
            `${budget.clientTier.strictCapacity} fit with ` +
            `${budget.clientTier.downDuringRollout} of ${budget.clientTier.servingBouncers} bouncers ` +
            `down, ${budget.clientTier.capacity} with all serving.`,
          unit: 'short',
          stacked: true,
          queries: [
            {
              expr:
                `sum by (${ENVIRONMENT_LABEL}) (${METRIC.open}{` +
                `${matcher(PGBOUNCER_LABEL, budget.clientTier.name)}})`,
              legend: `{{${ENVIRONMENT_LABEL}}}`,
            },
          ],
          bounds: [
            {
              value: budget.clientTier.strictCapacity,
              legend: `${budget.clientTier.downDuringRollout} bouncer(s) down (${budget.clientTier.strictCapacity})`,
            },
            {
              value: budget.clientTier.capacity,
              legend: `all bouncers serving (${budget.clientTier.capacity})`,
            },
          ],
        },
  ] satisfies PanelSpec[])
    builder.withPanel(timeseriesPanel({ width: 8, ...spec }));

  builder.withRow(new dashboard.RowBuilder('Waiting and latency'));
  builder.withPanel(
    timeseriesPanel({
      title: `Checkout wait (POOL_TIMEOUT ${timeoutSeconds} s)`,
      description:
        'How long callers wait to check out a connection. Alert ClientatsCheckoutWaitNearTimeout ' +
        'warns when p99 nears POOL_TIMEOUT.',
      unit: 's',
      width: 8,
      queries: quantiles(METRIC.waitBucket),
      bounds: [{ value: timeoutSeconds, legend: `POOL_TIMEOUT (${timeoutSeconds} s)` }],
    }),
  );
  builder.withPanel(
    timeseriesPanel({
      title: 'Callers waiting for a connection',
      description: 'Checkouts queued because every pool connection is in use (per instance).',
      unit: 'short',
      width: 8,
      queries: [{ expr: `sum by (instance, pod) (${METRIC.pending}${env})`, legend: instance }],
    }),
  );
  builder.withPanel(
    timeseriesPanel({
      title: 'Query duration',
      description: 'Duration of queries run through the pool.',
      unit: 's',
      width: 8,
      queries: quantiles(METRIC.queryBucket),
    }),
  );

  builder.withRow(new dashboard.RowBuilder('Timeouts and errors'));
  builder.withPanel(
    timeseriesPanel({
      title: 'Checkout timeouts',
      description:
        `Checkouts that gave up after POOL_TIMEOUT (${pool.poolTimeoutMillis} ms); ` +
        'each is a failed request.',
      unit: 'reqps',
      width: 8,
      queries: [{ expr: `sum(rate(${METRIC.timeouts}${env}[$__rate_interval]))`, legend: 'timeouts' }],
    }),
  );
  builder.withPanel(
    timeseriesPanel({
      title: 'Connection errors',
      description:
        'kind "connect": opening a connection failed; kind "connection": an open connection broke and was replaced.',
      unit: 'ops',
      width: 8,
      queries: [
        {
          expr: `sum by (kind) (rate(${METRIC.connectionErrors}${env}[$__rate_interval]))`,
          legend: '{{kind}}',
        },
      ],
    }),
  );
  builder.withPanel(
    timeseriesPanel({
      title: 'Failed queries',
      description: 'Queries through the pool that returned an error.',
      unit: 'ops',
      width: 8,
      queries: [
        { expr: `sum(rate(${METRIC.queryErrors}${env}[$__rate_interval]))`, legend: 'failed queries' },
      ],
    }),
  );

  builder.withRow(new dashboard.RowBuilder('Overflow and readiness'));
  builder.withPanel(
    timeseriesPanel({
      title: `Overflow (MAX_OVERFLOW ${pool.maxOverflow} per pool)`,
      description:
        `Overflow connections beyond POOL_SIZE ${pool.poolSize}: open (they linger idle after a burst) and in use. ` +
        'In use most of the time means POOL_SIZE is too small (alert ClientatsOverflowMostlyInUse).',
      unit: 'short',
      width: 12,
      queries: [
        { expr: `sum by (instance, pod) (${METRIC.overflow}${env})`, legend: `open ${instance}` },
        {
          expr: `sum by (instance, pod) (clamp_min(${METRIC.active}${env} - ${pool.poolSize}, 0))`,
          legend: `in use ${instance}`,
        },
      ],
      bounds: [
        {
          value: pool.poolCount * pool.maxOverflow,
          legend: `overflow bound per instance (${pool.poolCount * pool.maxOverflow})`,
        },
      ],
    }),
  );
  builder.withPanel(
    twoStateTimeline({
      title: 'Readiness: database reachable',
      description:
        'The readiness check (SELECT 1 on its own connection) of each instance. ' +
        'Unreachable instances answer 503 on /health/ready.',
      states: ['unreachable', 'ready'],
      expr: `max by (instance, pod) (${METRIC.ready}${env})`,
      legend: instance,
    }),
  );

  if (input.pgbouncer !== undefined) pgbouncerRow(builder, input);
  return builder.build();
}

/** The bouncer row: clients against max_client_conn, server connections against the budget, the longest wait. */
function pgbouncerRow(builder: dashboard.DashboardBuilder, input: EnvironmentObservability): void {
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

/** A full-width state timeline of a 0/1 series per instance: `states[0]` in red, `states[1]` in green. */
function twoStateTimeline(spec: {
  readonly title: string;
  readonly description: string;
  readonly states: readonly [string, string];
  readonly expr: string;
  readonly legend: string;
}): statetimeline.PanelBuilder {
  return new statetimeline.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .span(12)
    .height(8)
    .min(0)
    .max(1)
    .mappings([
      {
        type: dashboard.MappingType.ValueToText,
        options: {
          0: { text: spec.states[0], color: 'red', index: 0 },
          1: { text: spec.states[1], color: 'green', index: 1 },
        },
      },
    ])
    .withTarget(new DataqueryBuilder().refId('A').expr(spec.expr).legendFormat(spec.legend));
}

function timeseriesPanel(spec: PanelSpec): cog.Builder<dashboard.Panel> {
  const panel = new timeseries.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .unit(spec.unit)
    .min(0)
    .span(spec.width ?? 12)
    .height(8)
    .fillOpacity(spec.stacked === true ? 40 : 10)
    .lineWidth(1)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    );
  if (spec.stacked === true)
    panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  const queries = [
    ...spec.queries,
    ...(spec.bounds ?? []).map((bound) => ({ expr: `vector(${bound.value})`, legend: bound.legend })),
  ];
  queries.forEach((query, index) => {
    panel.withTarget(
      new DataqueryBuilder()
        .refId(String.fromCharCode(65 + index))
        .expr(query.expr)
        .legendFormat(query.legend),
    );
  });
  for (const bound of spec.bounds ?? []) {
    panel.overrideByName(bound.legend, BOUND_STYLE);
  }
  return panel;
}
