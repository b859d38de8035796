import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Chart, Duration, YamlOutputType } from 'cdk8s';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { DOMParser } from '@xmldom/xmldom';
import type { BudgetReport } from '../../src/budget/budget-report.js';
import type { DatabaseDeclaration } from '../../src/budget/budgeted-workload.js';
import type { TieredDatabaseBudget } from '../../src/budget/pgbouncer-tier-budget.js';
import { PgBouncer } from '../../src/pgbouncer/pgbouncer.js';
import { runCli } from '../../src/cli/run-cli.js';
import { ComposeProject } from '../../src/compose/compose-project.js';
import { HerokuApp } from '../../src/heroku/heroku-app.js';
import {
  PostgresBackedService,
  type PostgresBackedServiceProps,
} from '../../src/kubernetes/postgres-backed-service.js';
import { budgetSvg } from '../../src/observability/budget-svg.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { HAS_PROMTOOL, PROMTOOL_SKIP_REASON, promtool } from '../../runtime/test/metrics/promtool.js';
import { validateKubernetesObject } from '../support/kubernetes-models.js';

const DATABASE: DatabaseDeclaration = { name: 'db', maxConnections: 100 };
const HEROKU_DATABASE: DatabaseDeclaration = { name: 'heroku-db', maxConnections: 120 };
const scratch = mkdtempSync(join(tmpdir(), 'clientats-monitoring-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { groups?: { rules: { alert: string; expr: string; annotations: Record<string, string> }[] }[] };
  data?: Record<string, string>;
}

let runs = 0;
/** Synthesizes a small app: one Kubernetes service (props given), a production Compose project and a Heroku app. */
function synthApp(
  monitoring: PostgresBackedServiceProps['monitoring'],
  options: { runbookBaseUrl?: string; namespace?: string } = {},
) {
  runs += 1;
  const app = new App({
    outdir: join(scratch, `out-${runs}`),
    yamlOutputType: YamlOutputType.FILE_PER_CHART,
  });
  new PostgresBackedService(
    new Chart(app, 'web', options.namespace === undefined ? {} : { namespace: options.namespace }),
    'clientats',
    {
      database: DATABASE,
      preset: 'small',
      replicas: 2,
      ...(monitoring === undefined ? {} : { monitoring }),
    },
  );
  new ComposeProject(app, 'prod', {
    database: DATABASE,
    base: 'production',
    databaseUrlSecret: { name: 'database_url', environment: 'CLIENTATS_DATABASE_URL' },
    environment: { POOL_SIZE: 4, MAX_OVERFLOW: 1, DATABASE_SSL: true },
  });
  new HerokuApp(app, 'shop', {
    database: HEROKU_DATABASE,
    environment: { DATABASE_SSL: 'require' },
    dynos: 2,
  });
  const result = synthesize(
    app,
    options.runbookBaseUrl === undefined ? {} : { runbookBaseUrl: options.runbookBaseUrl },
  );
  const read = (path: string): string => readFileSync(join(app.outdir, path), 'utf8');
  const objects = parseAllDocuments(read('web.k8s.yaml')).map((document) => document.toJS() as KubeObject);
  return { ...result, outdir: app.outdir, read, objects };
}

function figures(report: BudgetReport, source: string): { share: number; usable: number } {
  const database = report.databases.find((candidate) =>
    candidate.consumers.some((consumer) => consumer.source === source),
  )!;
  const consumer = database.consumers.find((candidate) => candidate.source === source)!;
  return { share: consumer.connections[database.mode], usable: database.usable };
}

function exprOf(
  groups: readonly { rules: readonly { alert: string; expr: string }[] }[],
  alert: string,
): string {
  return groups.flatMap((group) => group.rules).find((rule) => rule.alert === alert)!.expr;
}

describe('monitoring rendered after the budget', () => {
  it(
    "adds a PodMonitor, a PrometheusRule and a dashboard ConfigMap to the service's chart, " +
      'valid against their schemas',
    () => {
      const { objects } = synthApp(undefined);
      const added = objects.filter((object) =>
        ['PodMonitor', 'PrometheusRule', 'ConfigMap'].includes(object.kind),
      );
      expect(added.map((object) => `${object.apiVersion} ${object.kind}/${object.metadata.name}`)).toEqual([
        'monitoring.coreos.com/v1 PodMonitor/clientats-connection-pool',
        'monitoring.coreos.com/v1 PrometheusRule/clientats-connection-pool',
        'v1 ConfigMap/clientats-connection-pool',
      ]);
      for (const object of objects) expect(() => validateKubernetesObject(object)).not.toThrow();
      expect(added[2]!.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
      expect(Object.keys(added[2]!.data!)).toEqual(['clientats-connection-pool.json']);
    },
  );

  it("renders the budget thresholds from the report's figures, exactly", () => {
    const { objects, report } = synthApp({ thresholds: { ofShare: 1, ofUsable: 1 } });
    const { share, usable } = figures(report, 'web/clientats');
    const rule = objects.find((object) => object.kind === 'PrometheusRule')!;
    expect(exprOf(rule.spec!.groups!, 'ClientatsNearBudgetedShare')).toBe(
      `sum(db_connections_open{environment="web"}) >= ${share}`,
    );
    expect(exprOf(rule.spec!.groups!, 'ClientatsDatabaseNearUsable')).toBe(
      `sum(db_connections_open{database="db"}) >= ${usable}`,
    );
    // The report's figures: 3 pods (2 replicas + 1 surge) × (1 pool × (5 + 0) + 1 probe); 100 − 3 reserved.
    expect([share, usable]).toEqual([18, 97]);
  });

  it("warns at 90 % of the report's share and usable count by default, in Kubernetes, Compose and Heroku alike", () => {
    const { objects, report, read } = synthApp(undefined);
    const kubernetes = objects.find((object) => object.kind === 'PrometheusRule')!.spec!.groups!;
    const compose = parse(read('prometheus/prod.rules.yml')).groups;
    const heroku = parse(read('prometheus/shop.rules.yml')).groups;
    for (const [groups, environment, source, database] of [
      [kubernetes, 'web', 'web/clientats', 'db'],
      [compose, 'prod', 'prod', 'db'],
      [heroku, 'shop', 'shop', 'heroku-db'],
    ] as const) {
      const { share, usable } = figures(report, source);
      expect(exprOf(groups, 'ClientatsNearBudgetedShare')).toBe(
        `sum(db_connections_open{environment="${environment}"}) >= ${Math.ceil(share * 0.9)}`,
      );
      expect(exprOf(groups, 'ClientatsDatabaseNearUsable')).toBe(
        `sum(db_connections_open{database="${database}"}) >= ${Math.ceil(usable * 0.9)}`,
      );
    }
    // 4 dynos (2 + 2 preboot) × (1 pool × (10 + 0) + 1 probe); 120 − 3 reserved: thresholds 40 and 106.
    expect(figures(report, 'shop')).toEqual({ share: 44, usable: 117 });
    expect(exprOf(heroku, 'ClientatsNearBudgetedShare')).toMatch(/ >= 40$/);
    expect(exprOf(heroku, 'ClientatsDatabaseNearUsable')).toMatch(/ >= 106$/);
  });

  it('points runbook_url at the README by default, or at the base URL given', () => {
    const relative = synthApp(undefined).objects.find((object) => object.kind === 'PrometheusRule')!;
    expect(relative.spec!.groups![0]!.rules[0]!.annotations.runbook_url).toBe(
      'README.md#clientatscheckouttimeoutshigh',
    );
    const base = 'https://github.com/acme/app/blob/main/README.md';
    const absolute = synthApp(undefined, { runbookBaseUrl: base }).objects.find(
      (object) => object.kind === 'PrometheusRule',
    )!;
    expect(absolute.spec!.groups![0]!.rules[0]!.annotations.runbook_url).toBe(
      `${base}#clientatscheckouttimeoutshigh`,
    );
  });

  it("puts the objects in the chart's namespace", () => {
    const { objects } = synthApp(undefined, { namespace: 'shop' });
    const added = objects.filter((object) =>
      ['PodMonitor', 'PrometheusRule', 'ConfigMap'].includes(object.kind),
    );
    expect(added.map((object) => object.metadata.namespace)).toEqual(['shop', 'shop', 'shop']);
  });

  it('leaves the objects and the dashboard out when monitoring is false', () => {
    const { objects, files } = synthApp(false);
    expect(objects.map((object) => object.kind).sort()).toEqual([
      'Deployment',
      'PodDisruptionBudget',
      'Service',
    ]);
    expect(files.filter((file) => file.startsWith('grafana/'))).toEqual([
      'grafana/prod.json',
      'grafana/shop.json',
    ]);
  });

  it('writes the budget picture, dashboards, and rule and scrape files for Compose production and Heroku', () => {
    const { files, read, report } = synthApp(undefined);
    expect(files).toEqual([
      'connection-budget.json',
      'connection-budget.md',
      'connection-budget.svg',
      'docker-compose.prod.yml',
      'grafana/prod.json',
      'grafana/shop.json',
      'grafana/web.json',
      'heroku/shop/Procfile',
      'heroku/shop/app.json',
      'heroku/shop/config.sh',
      'prometheus/prod.rules.yml',
      'prometheus/prod.scrape.yml',
      'prometheus/shop.rules.yml',
      'prometheus/shop.scrape.yml',
      'web.k8s.yaml',
    ]);
    expect(read('connection-budget.svg')).toBe(budgetSvg(report.databases));
    expect(
      new DOMParser().parseFromString(read('connection-budget.svg'), 'image/svg+xml').documentElement
        ?.nodeName,
    ).toBe('svg');
    expect(parse(read('prometheus/prod.scrape.yml')).scrape_configs[0].dns_sd_configs).toEqual([
      { names: ['app'], type: 'A', port: 4000 },
    ]);
    expect(parse(read('prometheus/shop.scrape.yml')).scrape_configs[0].static_configs).toEqual([
      { targets: ['shop.herokuapp.com'] },
    ]);
    expect(read('connection-budget.md').match(/```mermaid/g)).toHaveLength(report.databases.length);
  });

  it('leaves a development Compose project without rules (no Prometheus on a laptop)', () => {
    const app = new App({ outdir: join(scratch, 'dev'), yamlOutputType: YamlOutputType.FILE_PER_CHART });
    new ComposeProject(app, 'dev', {
      database: DATABASE,
      base: 'development',
      environment: { DATABASE_URL: 'postgres://u:p@db/x' },
    });
    expect(synthesize(app).files).toEqual([
      'connection-budget.json',
      'connection-budget.md',
      'connection-budget.svg',
      'docker-compose.dev.yml',
    ]);
  });

  it('still checks the written directory to the same budget', async () => {
    const { outdir, report } = synthApp(undefined);
    const stdout: string[] = [];
    const code = await runCli(['check', '--json', outdir], {
      stdout: { write: (text: string) => stdout.push(text) },
      stderr: { write: () => true },
    });
    expect(code).toBe(0);
    expect(
      (JSON.parse(stdout.join('')) as BudgetReport).databases.map((database) => database.totals),
    ).toEqual(report.databases.map((database) => database.totals));
  });

  it('prints a Mermaid chart per database with check --markdown', async () => {
    const { outdir, report } = synthApp(undefined);
    const stdout: string[] = [];
    await runCli(['check', '--markdown', outdir], {
      stdout: { write: (text: string) => stdout.push(text) },
      stderr: { write: () => true },
    });
    const charts = stdout.join('').match(/```mermaid\n[\s\S]*?```/g) ?? [];
    expect(charts).toHaveLength(report.databases.length);
    expect(charts[0]).toContain(
      `bar [${(['steady', 'rollout', 'strict'] as const).map((mode) => report.databases[0]!.totals[mode]).join(', ')}]`,
    );
  });
});

/** Synthesizes the app behind a PgBouncer (as src/main.ts's PgBouncer block), its bouncer monitored or not. */
function synthBounced(bouncerMonitoring?: false) {
  runs += 1;
  const app = new App({
    outdir: join(scratch, `bounced-${runs}`),
    yamlOutputType: YamlOutputType.FILE_PER_CHART,
  });
  const database: DatabaseDeclaration = { name: 'bounced-db', maxConnections: 100 };
  const chart = new Chart(app, 'bounced');
  const service = new PostgresBackedService(chart, 'clientats', {
    database,
    preset: 'kubernetes',
    environment: {
      POOL_SIZE: 8,
      POOL_COUNT: 1,
      MAX_OVERFLOW: 2,
      DATABASE_POOLER: 'pgbouncer',
      DATABASE_SSL: false,
    },
    insecureDatabase: { reason: 'plain TCP to its PgBouncer inside the cluster' },
    autoscaling: { minReplicas: 10, maxReplicas: 40 },
  });
  new PgBouncer(chart, 'pgbouncer', {
    name: 'clientats-pgbouncer',
    server: { host: 'bounced-db', database: 'clientats' },
    defaultPoolSize: 20,
    reservePoolSize: 5,
    poolTimeout: Duration.seconds(4),
    budget: { usable: 97, behind: [{ name: service.name, instances: 50, perInstance: 11 }] },
    ...(bouncerMonitoring === undefined ? {} : { monitoring: bouncerMonitoring }),
  });
  const result = synthesize(app);
  const read = (path: string): string => readFileSync(join(app.outdir, path), 'utf8');
  const objects = parseAllDocuments(read('bounced.k8s.yaml')).map(
    (document) => document.toJS() as KubeObject,
  );
  return { ...result, outdir: app.outdir, read, objects };
}

describe('monitoring of an app behind PgBouncer and of its bouncers', () => {
  it("renders client-tier and server-tier thresholds from the report's figures, exactly", () => {
    const { objects, report } = synthBounced();
    const tier = (report.databases as TieredDatabaseBudget[]).find(
      (database) => database.database === 'bounced-db',
    )!.pgbouncer![0]!;
    const { client, server } = tier.budget;
    const share = tier.behind[0]!.connections.rollout;
    // 50 pods (40 HPA max + 10 surge) × 11 = 550 on 2 bouncers of max_client_conn 550; 3 bouncer pods × 25 = 75.
    expect([
      share,
      client.maxClientConn,
      client.strictCapacity,
      client.capacity,
      server.bouncerConnections,
    ]).toEqual([550, 550, 550, 1100, 75]);
    const rule = objects.find((object) => object.kind === 'PrometheusRule')!;
    const groups = rule.spec!.groups!;
    expect(exprOf(groups, 'ClientatsNearBudgetedShare')).toBe(
      `sum(db_connections_open{environment="bounced"}) >= ${Math.ceil(share * 0.9)}`,
    );
    expect(exprOf(groups, 'ClientatsBouncerClientsNearCapacity')).toBe(
      `sum(db_connections_open{pgbouncer="clientats-pgbouncer"}) >= ${Math.ceil(client.strictCapacity * 0.9)}`,
    );
    const tierSelector = 'environment="bounced",pgbouncer="clientats-pgbouncer"';
    expect(exprOf(groups, 'PgbouncerServerConnectionsNearBudget')).toBe(
      `sum(pgbouncer_used_servers{${tierSelector}}) >= ${Math.ceil(server.bouncerConnections * 0.9)}`,
    );
    expect(exprOf(groups, 'PgbouncerClientsAtMaxClientConn')).toBe(
      `max by (instance, pod) (pgbouncer_used_clients{${tierSelector}}) >= ${client.maxClientConn}`,
    );
    // query_wait_timeout 4 s (the bouncer's poolTimeout): warns from 3 whole seconds.
    expect(exprOf(groups, 'PgbouncerMaxWaitNearTimeout')).toMatch(/ >= 3$/);
    expect([Math.ceil(share * 0.9), Math.ceil(server.bouncerConnections * 0.9)]).toEqual([495, 68]);
    expect(groups.flatMap((group) => group.rules).map((entry) => entry.alert)).not.toContain(
      'ClientatsDatabaseNearUsable',
    );
  });

  it('adds the exporter PodMonitor and the dashboard row; every object passes its schema', () => {
    const { objects, read } = synthBounced();
    const monitors = objects
      .filter((object) => object.kind === 'PodMonitor')
      .map((object) => object.metadata.name);
    expect(monitors).toEqual(['clientats-connection-pool', 'clientats-pgbouncer-exporter']);
    for (const object of objects) expect(() => validateKubernetesObject(object)).not.toThrow();
    const dashboard = JSON.parse(read('grafana/bounced.json')) as { panels: { title?: string }[] };
    expect(dashboard.panels.map((panel) => panel.title)).toContain('PgBouncer clientats-pgbouncer');
  });

  it('leaves the bouncer objects out when the PgBouncer opts out, keeping the client-tier alerts', () => {
    const { objects } = synthBounced(false);
    expect(
      objects.filter((object) => object.kind === 'PodMonitor').map((object) => object.metadata.name),
    ).toEqual(['clientats-connection-pool']);
    const groups = objects.find((object) => object.kind === 'PrometheusRule')!.spec!.groups!;
    expect(groups).toHaveLength(1);
    expect(exprOf(groups, 'ClientatsBouncerClientsNearCapacity')).toMatch(/ >= 495$/);
  });
});

describe.skipIf(!HAS_PROMTOOL)(
  `synthesized rule files under promtool check rules${PROMTOOL_SKIP_REASON}`,
  () => {
    it('accepts the PrometheusRule of an app behind PgBouncer with its bouncer alerts', () => {
      const { outdir, objects } = synthBounced();
      const rule = objects.find((object) => object.kind === 'PrometheusRule')!;
      writeFileSync(join(outdir, 'bounced.rules.yml'), JSON.stringify({ groups: rule.spec!.groups }));
      const result = promtool(['check', 'rules', join(outdir, 'bounced.rules.yml')]);
      expect(result.stdout).toContain('SUCCESS: 18 rules found');
      expect(result.status).toBe(0);
    });

    it("accepts every rule file and the PrometheusRule's groups", () => {
      const { outdir, files, objects } = synthApp(undefined);
      const rules = files.filter((file) => file.endsWith('.rules.yml')).map((file) => join(outdir, file));
      const rule = objects.find((object) => object.kind === 'PrometheusRule')!;
      writeFileSync(join(outdir, 'kubernetes.rules.yml'), JSON.stringify({ groups: rule.spec!.groups }));
      const result = promtool(['check', 'rules', ...rules, join(outdir, 'kubernetes.rules.yml')]);
      expect(result.stderr + result.stdout).not.toContain('FAILED');
      expect(result.status).toBe(0);
    });
  },
);
