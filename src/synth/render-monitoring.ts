/**
 * The post-budget render phase: what can only be written once the budget is
 * computed. Alert thresholds are the report's own figures (the environment's
 * budgeted share, the database's usable count), so the monitoring of each
 * environment is rendered from the report, never recomputed:
 * - Kubernetes (`PostgresBackedService` with monitoring on): a PodMonitor, a
 *   PrometheusRule and the dashboard ConfigMap, appended to its chart's file;
 *   behind a PgBouncer tier its share is the tier's CLIENT-side figure, and a
 *   monitored `PgBouncer` in the chart adds its exporter's PodMonitor, its
 *   alerts (server-side figures) and a dashboard row;
 * - Compose projects with `NODE_ENV=production` and Heroku apps:
 *   `prometheus/<env>.rules.yml` and `prometheus/<env>.scrape.yml`;
 * - every monitored environment: `grafana/<env>.json`; every synth: `connection-budget.svg`.
 * None of these objects runs a pod, and synth reads the final files back to
 * prove the budget did not change (see `synthesize`).
 */
import { Chart, Yaml } from 'cdk8s';
import type { IConstruct } from 'constructs';
import type { BudgetReport } from '../budget/budget-report.js';
import { ComposeProject, APP_SERVICE } from '../compose/compose-project.js';
import type { GeneratedFile } from '../emit/generated-file.js';
import { HerokuApp } from '../heroku/heroku-app.js';
import { PostgresBackedService } from '../kubernetes/postgres-backed-service.js';
import {
  bouncerObservability,
  environmentObservability,
  type BouncerObservability,
  monitoringObjects,
  observabilityFiles,
  type EnvironmentObservability,
  type MonitoringOptions,
  type ObservedEnvironment,
} from '../observability/index.js';
import { PgBouncer } from '../pgbouncer/pgbouncer.js';
import { integerSetting, type RenderedEnvironment } from '../settings/rendered-environment.js';
import type { RenderedApp } from './render-app.js';

/** Where alerts' `runbook_url` point when synth is given none: the README's runbook, relative to a checkout. */
export const DEFAULT_RUNBOOK_BASE_URL = 'README.md';

/** Options of the monitoring phase. */
export interface MonitoringRenderOptions {
  /** Where the README is read, e.g. `https://github.com/acme/app/blob/main/README.md`. @default 'README.md' */
  readonly runbookBaseUrl?: string;
}

/** The rendered files with the monitoring added. @throws Error when an environment is not in the report. */
export function renderMonitoring(
  rendered: RenderedApp,
  report: BudgetReport,
  options: MonitoringRenderOptions = {},
): GeneratedFile[] {
  const runbookBaseUrl = options.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL;
  const observed: ObservedEnvironment[] = [];
  const appended = new Map<string, unknown[]>();
  for (const { construct, files } of rendered.workloads) {
    const base = (
      environment: string,
      service: string,
      settings: RenderedEnvironment,
      thresholds?: MonitoringOptions['thresholds'],
    ): EnvironmentObservability =>
      observabilityOf(report, construct, { environment, service, settings, runbookBaseUrl, thresholds });
    if (construct instanceof PostgresBackedService) {
      if (construct.monitoring === undefined) continue;
      const environment = construct.node.scopes[1]?.node.id ?? construct.name;
      const direct = base(
        environment,
        construct.name,
        construct.environment,
        construct.monitoring.thresholds,
      );
      const bouncer = monitoredBouncer(report, construct, direct);
      const input = bouncer === undefined ? direct : { ...direct, pgbouncer: bouncer };
      observed.push({ ...input, platform: 'kubernetes' });
      const chart = Chart.of(construct);
      const namespace = construct.monitoring.namespace ?? chart.namespace;
      const objects = monitoringObjects(input, {
        ...construct.monitoring,
        ...(namespace === undefined ? {} : { namespace }),
      }).map((object) => ({
        ...object,
        metadata: { ...object.metadata, labels: { ...chart.labels, ...object.metadata.labels } },
      }));
      const file = files[0];
      if (file !== undefined) appended.set(file, [...(appended.get(file) ?? []), ...objects]);
    } else if (construct instanceof ComposeProject) {
      // The production base sets NODE_ENV=production; a developer's laptop has no Prometheus to load rules into.
      if (construct.environment.NODE_ENV !== 'production') continue;
      const input = base(construct.node.id, APP_SERVICE, construct.environment);
      observed.push({
        ...input,
        platform: 'compose',
        scrape: { dnsName: APP_SERVICE, port: construct.port },
      });
    } else if (construct instanceof HerokuApp && construct.monitoring) {
      const input = base(construct.node.id, construct.appName, construct.environment);
      observed.push({
        ...input,
        platform: 'heroku',
        scrape: { targets: [`${construct.appName}.herokuapp.com`], scheme: 'https' },
      });
    }
  }
  const files = rendered.files.map((file) => {
    const extra = appended.get(file.path);
    return extra === undefined
      ? file
      : { ...file, content: `${file.content}---\n${Yaml.stringify(...extra)}` };
  });
  return [...files, ...observabilityFiles(report.databases, observed)];
}

/**
 * The monitored PgBouncer tier an environment connects through: the tier of the report it sits behind,
 * with the `PgBouncer` construct of that name in the same chart (its settings: pool sizes,
 * query_wait_timeout). `undefined` when the environment connects directly or the bouncer's monitoring is off.
 * @throws Error when the tier is in the report but no construct in the chart renders it.
 */
function monitoredBouncer(
  report: BudgetReport,
  construct: PostgresBackedService,
  input: EnvironmentObservability,
): BouncerObservability | undefined {
  const tierName = input.budget.clientTier?.name;
  if (tierName === undefined) return undefined;
  const tier = report.databases
    .find((database) => database.database === input.budget.database)
    ?.pgbouncer?.find((candidate) => candidate.name === tierName);
  const bouncer = Chart.of(construct)
    .node.findAll()
    .find(
      (candidate): candidate is PgBouncer => candidate instanceof PgBouncer && candidate.name === tierName,
    );
  if (tier === undefined || bouncer === undefined) {
    throw new Error(
      `monitoring of ${construct.node.path}: it connects through PgBouncer ${tierName}, which is not rendered ` +
        'in its chart, so the bouncer alerts have no settings: ' +
        'render the PgBouncer in the chart of the service it fronts',
    );
  }
  if (bouncer.exporter === undefined) return undefined;
  const settings = bouncer.settings;
  return bouncerObservability(tier, {
    replicas: bouncer.replicas,
    defaultPoolSize: settings.defaultPoolSize,
    reservePoolSize: settings.reservePoolSize,
    maxDbConnections: settings.maxDbConnections,
    queryWaitTimeoutSeconds: settings.queryWaitTimeoutSeconds,
    maxClientConn: settings.maxClientConn,
  });
}

interface Described {
  readonly environment: string;
  readonly service: string;
  readonly settings: RenderedEnvironment;
  readonly runbookBaseUrl: string;
  readonly thresholds: MonitoringOptions['thresholds'];
}

/** The environment's input, its share and its database's usable count taken from the report. */
function observabilityOf(
  report: BudgetReport,
  construct: IConstruct,
  described: Described,
): EnvironmentObservability {
  const source = construct.node.path;
  // An app behind a PgBouncer tier is on the tier's client side, not among the database's consumers.
  const database = report.databases.find((candidate) =>
    [...candidate.consumers, ...(candidate.pgbouncer ?? []).flatMap((tier) => tier.behind)].some(
      (consumer) => consumer.source === source,
    ),
  );
  if (database === undefined) {
    throw new Error(
      `monitoring of ${source}: it is in no database of the connection budget, so alerts have no thresholds;` +
        ' render it from a construct that declares its database',
    );
  }
  const consumer = [...database.consumers, ...(database.pgbouncer ?? []).flatMap((tier) => tier.behind)].find(
    (candidate) => candidate.source === source,
  )!;
  const { settings } = described;
  return environmentObservability({
    environment: described.environment,
    service: described.service,
    pool: {
      poolSize: integerSetting(settings, 'POOL_SIZE'),
      poolCount: integerSetting(settings, 'POOL_COUNT'),
      maxOverflow: integerSetting(settings, 'MAX_OVERFLOW'),
      poolTimeoutMillis: integerSetting(settings, 'POOL_TIMEOUT'),
    },
    database,
    consumer: consumer.name,
    source,
    runbookBaseUrl: described.runbookBaseUrl,
    ...(described.thresholds === undefined ? {} : { thresholds: described.thresholds }),
  });
}
