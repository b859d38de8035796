/**
 * The Grafana dashboard of one environment, built with Grafana's typed
 * builders (`@grafana/grafana-foundation-sdk`) rather than hand-written JSON:
 * connections by state against the budget share, per instance against
 * `per_instance`, the database against its usable count and max_connections,
 * checkout wait against POOL_TIMEOUT, query duration, waiting callers,
 * timeouts, errors, overflow and readiness. Bounds are drawn as constant
 * series (`vector(N)`) named after what they are.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { checkNames, matcher } from './alert-rules.js';
import { DATABASE_LABEL, ENVIRONMENT_LABEL, METRIC } from './metric-names.js';
import { resolveThresholds, type EnvironmentObservability } from './observability-input.js';
import { PGBOUNCER_LABEL } from './pgbouncer-metric-names.js';

import { pgbouncerRow } from './grafana-pgbouncer-row.js';
import { timeseriesPanel, twoStateTimeline, type PanelSpec } from './grafana-panels.js';

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
