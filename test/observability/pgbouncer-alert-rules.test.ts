import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { HAS_PROMTOOL, PROMTOOL_SKIP_REASON, promtool } from '../../runtime/test/metrics/promtool.js';
import {
  alertRuleGroups,
  bouncerObservability,
  connectionPoolDashboard,
  environmentBudget,
  PGBOUNCER_ALERT_NAMES,
  PGBOUNCER_METRIC,
  type AlertingRule,
} from '../../src/observability/index.js';
import { computeTieredBudget } from '../../src/budget/pgbouncer-tier-budget.js';
import {
  BOUNCED_DATABASE,
  BOUNCED_ENVIRONMENT,
  BOUNCED_TIER,
  KUBERNETES_ENVIRONMENT,
  RUNBOOK,
} from './observability-fixtures.js';
import { metricNamesOf } from './promql-names.js';

const groups = alertRuleGroups(BOUNCED_ENVIRONMENT);
const rules: AlertingRule[] = groups.flatMap((group) => [...group.rules]);
const ruleOf = (name: string): AlertingRule => rules.find((rule) => rule.alert === name)!;
const TIER = 'environment="kubernetes-pgbouncer",pgbouncer="clientats-pgbouncer"';
const POOLS = `${TIER},database!="pgbouncer"`;

describe('an environment behind PgBouncer', () => {
  it("takes its share and the tier's capacity from the client side of the budget", () => {
    expect(BOUNCED_ENVIRONMENT.budget).toEqual({
      database: 'clientats-bounced-db',
      mode: 'rollout',
      share: 550,
      usable: 97,
      maxConnections: 100,
      unmeasured: 75,
      bounced: true,
      clientTier: {
        name: 'clientats-pgbouncer',
        maxClientConn: 550,
        servingBouncers: 2,
        downDuringRollout: 1,
        capacity: 1100,
        strictCapacity: 550,
      },
    });
    expect(BOUNCED_ENVIRONMENT.perInstance).toBe(11);
  });

  it('alerts on the client tier instead of the database, the other alerts unchanged', () => {
    expect(groups.map((group) => group.name)).toEqual([
      'clientats-kubernetes-pgbouncer-connection-pool',
      'clientats-kubernetes-pgbouncer-pgbouncer',
    ]);
    expect(groups[0]!.rules.map((rule) => rule.alert)).toEqual([
      'ClientatsCheckoutTimeoutsHigh',
      'ClientatsCheckoutTimeouts',
      'ClientatsCheckoutWaitNearTimeout',
      'ClientatsPoolSaturated',
      'ClientatsOverflowMostlyInUse',
      'ClientatsDatabaseUnreachable',
      'ClientatsReadinessFailing',
      'ClientatsConnectionErrors',
      'ClientatsNearBudgetedShare',
      'ClientatsBouncerClientsNearCapacity',
      'ClientatsMetricsMissing',
    ]);
    expect(ruleOf('ClientatsPoolSaturated').expr).toBe(
      'sum by (instance, pod) (db_connections_active{environment="kubernetes-pgbouncer"}) >= 10',
    );
    expect(ruleOf('ClientatsNearBudgetedShare').expr).toBe(
      'sum(db_connections_open{environment="kubernetes-pgbouncer"}) >= 495',
    );
    expect(ruleOf('ClientatsBouncerClientsNearCapacity').expr).toBe(
      'sum(db_connections_open{pgbouncer="clientats-pgbouncer"}) >= 495',
    );
    expect(ruleOf('ClientatsBouncerClientsNearCapacity').labels).toEqual({
      severity: 'warning',
      database: 'clientats-bounced-db',
      pgbouncer: 'clientats-pgbouncer',
    });
  });

  it('says which tier and which figure each budget alert is', () => {
    expect(ruleOf('ClientatsNearBudgetedShare').annotations.description).toBe(
      'kubernetes-pgbouncer holds {{ $value }} client connections to PgBouncer tier ' +
        'clientats-pgbouncer (client tier: ' +
        "they count against the bouncers' max_client_conn 550, not against max_connections of clientats-bounced-db); " +
        'the client-tier budget grants it 550 (the rollout case, 11 per instance). ' +
        'More instances or larger pools than ' +
        'the budget counted take client slots the other apps behind the tier were promised.',
    );
    expect(ruleOf('ClientatsBouncerClientsNearCapacity').annotations.description).toBe(
      'The apps behind PgBouncer tier clientats-pgbouncer hold {{ $value }} client connections ' +
        '(measured by their own ' +
        'pools). Client tier: 550 client connections allowed across 2 bouncers with 1 down ' +
        '(1 × max_client_conn 550; ' +
        '1100 with all 2 serving). Past 550, a bouncer rollout or failure leaves clients refused ' +
        '("no more connections ' +
        'allowed (max_client_conn)").',
    );
    expect(ruleOf('PgbouncerServerConnectionsNearBudget').annotations.description).toBe(
      'PgBouncer tier clientats-pgbouncer holds {{ $value }} server connections to ' +
        'clientats-bounced-db. Server tier: ' +
        'the budget grants it 75 (3 bouncer pods with surge × 25 server connections: default_pool_size 20 + ' +
        'reserve_pool_size 5, capped at max_db_connections 25) of 97 usable of max_connections 100. ' +
        'More bouncer pods ' +
        'than the budget counted take slots other clients were promised.',
    );
    expect(ruleOf('PgbouncerClientsNearMaxClientConn').annotations.description).toContain(
      'at least 495 (90 % of max_client_conn 550); client tier: max_client_conn 550 per bouncer, 550 client ' +
        'connections allowed across 2 bouncers with 1 down, 1100 with all serving.',
    );
  });
});

describe('PgBouncer tier alerts', () => {
  it('render their thresholds from the server- and client-tier figures and query_wait_timeout', () => {
    expect(Object.fromEntries(PGBOUNCER_ALERT_NAMES.map((name) => [name, ruleOf(name).expr]))).toEqual({
      PgbouncerClientsWaiting: `sum by (instance, pod) (pgbouncer_pools_client_waiting_connections{${POOLS}}) > 0`,
      PgbouncerMaxWaitNearTimeout: `max by (instance, pod) (pgbouncer_pools_client_maxwait_seconds{${POOLS}}) >= 4`,
      PgbouncerServerConnectionsNearBudget: `sum(pgbouncer_used_servers{${TIER}}) >= 68`,
      PgbouncerClientsNearMaxClientConn: `max by (instance, pod) (pgbouncer_used_clients{${TIER}}) >= 495`,
      PgbouncerClientsAtMaxClientConn: `max by (instance, pod) (pgbouncer_used_clients{${TIER}}) >= 550`,
      PgbouncerDown: `pgbouncer_up{${TIER}} == 0`,
      PgbouncerMetricsMissing: `absent(pgbouncer_up{${TIER}})`,
    });
    expect(
      PGBOUNCER_ALERT_NAMES.map((name) => [name, ruleOf(name).labels.severity, ruleOf(name).for]),
    ).toEqual([
      ['PgbouncerClientsWaiting', 'warning', '5m'],
      ['PgbouncerMaxWaitNearTimeout', 'warning', '5m'],
      ['PgbouncerServerConnectionsNearBudget', 'warning', '10m'],
      ['PgbouncerClientsNearMaxClientConn', 'warning', '5m'],
      ['PgbouncerClientsAtMaxClientConn', 'critical', '2m'],
      ['PgbouncerDown', 'warning', '5m'],
      ['PgbouncerMetricsMissing', 'warning', '10m'],
    ]);
    expect(ruleOf('PgbouncerDown').labels).toEqual({
      severity: 'warning',
      environment: 'kubernetes-pgbouncer',
      database: 'clientats-bounced-db',
      pgbouncer: 'clientats-pgbouncer',
    });
  });

  it('follow the fractions: all of each figure with thresholds 1', () => {
    const exact = alertRuleGroups({
      ...BOUNCED_ENVIRONMENT,
      thresholds: { ofShare: 1, ofUsable: 1, waitOfTimeout: 1 },
    }).flatMap((group) => group.rules);
    const exprOf = (name: string): string => exact.find((rule) => rule.alert === name)!.expr;
    expect(exprOf('PgbouncerServerConnectionsNearBudget')).toMatch(/ >= 75$/);
    expect(exprOf('PgbouncerClientsNearMaxClientConn')).toMatch(/ >= 550$/);
    expect(exprOf('PgbouncerMaxWaitNearTimeout')).toMatch(/ >= 5$/);
    expect(exprOf('ClientatsBouncerClientsNearCapacity')).toMatch(/ >= 550$/);
  });

  it('links every alert to its section of the README runbook', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const headings = new Set([...readme.matchAll(/^#### (\w+)$/gm)].map((match) => match[1]!.toLowerCase()));
    for (const rule of rules) {
      expect(rule.annotations.runbook_url).toBe(`${RUNBOOK}#${rule.alert.toLowerCase()}`);
      expect(headings.has(rule.alert.toLowerCase()), rule.alert).toBe(true);
    }
  });

  it('read only the pinned exporter names, and every one of them is read by a rule or a panel', () => {
    const panels = (connectionPoolDashboard(BOUNCED_ENVIRONMENT).panels ?? []).flatMap((panel) =>
      (('targets' in panel ? panel.targets : undefined) ?? []).map(
        (target) => (target as { expr?: string }).expr ?? '',
      ),
    );
    const used = new Set(
      [...rules.map((rule) => rule.expr), ...panels]
        .flatMap((expr) => metricNamesOf(expr))
        .filter((name) => name.startsWith('pgbouncer_')),
    );
    expect([...used].sort()).toEqual(
      Object.values(PGBOUNCER_METRIC)
        .map((metric) => metric.name)
        .sort(),
    );
  });

  it('are left out when the bouncer is not monitored, and the direct environments are unchanged', () => {
    const { pgbouncer: _omitted, ...unmonitored } = BOUNCED_ENVIRONMENT;
    expect(alertRuleGroups(unmonitored).map((group) => group.name)).toEqual([
      'clientats-kubernetes-pgbouncer-connection-pool',
    ]);
    expect(alertRuleGroups(KUBERNETES_ENVIRONMENT)).toHaveLength(1);
  });

  it('fails when the bouncer runs another max_client_conn than the budget counted', () => {
    expect(() =>
      bouncerObservability(BOUNCED_DATABASE.pgbouncer![0]!, {
        replicas: 2,
        defaultPoolSize: 20,
        reservePoolSize: 5,
        maxDbConnections: 25,
        queryWaitTimeoutSeconds: 5,
        maxClientConn: 600,
      }),
    ).toThrow(
      'monitoring of PgBouncer clientats-pgbouncer: its max_client_conn 600 is not the 550 the connection budget ' +
        'counted; synthesize again from one construct',
    );
  });

  it('leave the apps behind the tier out of the database sum of a directly connected environment', () => {
    const database = computeTieredBudget(
      [
        {
          kind: 'kubernetes',
          name: 'clientats',
          replicas: 4,
          pool: { poolSize: 8, poolCount: 1, maxOverflow: 2 },
          pooler: 'pgbouncer',
        },
        {
          kind: 'kubernetes',
          name: 'worker',
          replicas: 2,
          pool: { poolSize: 5, poolCount: 1, maxOverflow: 0 },
        },
      ],
      [{ ...BOUNCED_TIER, pools: { ...BOUNCED_TIER.pools, maxClientConn: 100 } }],
      { name: 'clientats-bounced-db', maxConnections: 100 },
    );
    const worker = alertRuleGroups({
      ...KUBERNETES_ENVIRONMENT,
      environment: 'worker',
      service: 'worker',
      budget: environmentBudget(database, 'worker'),
    })[0]!.rules;
    // 75 server connections of the tier are declared, measured apps behind it are not counted again.
    expect(worker.find((rule) => rule.alert === 'ClientatsDatabaseAtUsable')!.expr).toBe(
      'sum(db_connections_open{database="clientats-bounced-db",pgbouncer=""}) + 75 >= 97',
    );
  });

  it('fails when the consumer is neither on the database nor behind one of its tiers', () => {
    expect(() => environmentBudget(BOUNCED_DATABASE, 'nobody')).toThrow(
      "consumer 'nobody' must appear once in the budget of database 'clientats-bounced-db', found 0 among " +
        '[pgbouncer clientats-pgbouncer (kubernetes-pgbouncer.k8s.yaml#5), ' +
        'clientats (kubernetes-pgbouncer/clientats)]; ' +
        "pass the consumer's source to tell them apart",
    );
  });
});

describe.skipIf(!HAS_PROMTOOL)(`PgBouncer rules under promtool check rules${PROMTOOL_SKIP_REASON}`, () => {
  const folder = mkdtempSync(join(tmpdir(), 'clientats-pgbouncer-rules-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('passes for the app behind the bouncer and its tier', () => {
    const file = join(folder, 'bounced.yml');
    writeFileSync(file, stringify({ groups }, { lineWidth: 0 }));
    const result = promtool(['check', 'rules', file]);
    expect(`${result.stdout}${result.stderr}`).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(result.status).toBe(0);
  });
});
