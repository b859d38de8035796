/**
 * The alerts of an app behind PgBouncer and of the PgBouncer tier, proven by
 * `promtool test rules`: synthetic exporter and runtime series in, the
 * expected alerts out (labels and rendered annotations), including the cases
 * that must not fire. Thresholds are those of the generated
 * `kubernetes-pgbouncer` environment (client share 550, tier 550 with one
 * bouncer down, server budget 75, max_client_conn 550, query_wait_timeout 5 s).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { HAS_PROMTOOL, PROMTOOL_SKIP_REASON, promtool } from '../../runtime/test/metrics/promtool.js';
import {
  alertRuleGroups,
  BOUNCED_ALERT_NAMES,
  PGBOUNCER_ALERT_NAMES,
  type AlertName,
} from '../../src/observability/index.js';
import { BOUNCED_ENVIRONMENT } from './observability-fixtures.js';
import { promtoolTestFile, type AlertCase } from './promtool-cases.js';

const rules = alertRuleGroups(BOUNCED_ENVIRONMENT).flatMap((group) => group.rules);
const TIER = 'environment="kubernetes-pgbouncer",pgbouncer="clientats-pgbouncer"';
const APP =
  'environment="kubernetes-pgbouncer",database="clientats-bounced-db",pgbouncer="clientats-pgbouncer"';
const bouncer = (name: string): string => `instance="${name}:9127",pod="${name}"`;
const pool = (name: string, database = 'clientats'): string =>
  `${TIER},${bouncer(name)},database="${database}",user="app"`;
const appPods = (count: number, connections: number): Record<string, string> =>
  Object.fromEntries(
    Array.from({ length: count }, (_, index) => [
      `db_connections_open{${APP},instance="p${index}:4000",pod="p${index}"}`,
      `${connections}x20`,
    ]),
  );

const CASES: readonly AlertCase<AlertName>[] = [
  {
    title: '495 client connections of the app behind the tier (90 % of its share 550): warning',
    series: appPods(5, 99),
    at: '15m',
    alert: 'ClientatsNearBudgetedShare',
    fires: [{ value: '495' }],
  },
  {
    title: '490 client connections: nothing',
    series: appPods(5, 98),
    at: '15m',
    alert: 'ClientatsNearBudgetedShare',
    fires: [],
  },
  {
    title: '495 client connections on the tier (90 % of 550 with one bouncer down): warning',
    series: appPods(5, 99),
    at: '15m',
    alert: 'ClientatsBouncerClientsNearCapacity',
    fires: [{ value: '495' }],
  },
  {
    title: '490 client connections on the tier: nothing',
    series: appPods(5, 98),
    at: '15m',
    alert: 'ClientatsBouncerClientsNearCapacity',
    fires: [],
  },
  {
    title:
      'clients waiting on one bouncer for 5 minutes: warning for it; the admin console pool does not count',
    series: {
      [`pgbouncer_pools_client_waiting_connections{${pool('a')}}`]: '3x10',
      [`pgbouncer_pools_client_waiting_connections{${pool('b')}}`]: '0x10',
      [`pgbouncer_pools_client_waiting_connections{${pool('b', 'pgbouncer')}}`]: '1x10',
    },
    at: '8m',
    alert: 'PgbouncerClientsWaiting',
    fires: [{ labels: { instance: 'a:9127', pod: 'a' }, value: '3' }],
  },
  {
    title: 'clients waiting in bursts, never for 5 minutes on end: nothing',
    series: { [`pgbouncer_pools_client_waiting_connections{${pool('a')}}`]: '2 0 2 0 2 0 2 0 2 0' },
    at: '8m',
    alert: 'PgbouncerClientsWaiting',
    fires: [],
  },
  {
    title: 'a client waiting 4 s of query_wait_timeout 5 s for 5 minutes: warning',
    series: { [`pgbouncer_pools_client_maxwait_seconds{${pool('a')}}`]: '4x10' },
    at: '8m',
    alert: 'PgbouncerMaxWaitNearTimeout',
    fires: [{ labels: { instance: 'a:9127', pod: 'a' }, value: '4' }],
  },
  {
    title: 'waits of 3 s: nothing',
    series: { [`pgbouncer_pools_client_maxwait_seconds{${pool('a')}}`]: '3x10' },
    at: '8m',
    alert: 'PgbouncerMaxWaitNearTimeout',
    fires: [],
  },
  {
    title: '69 server connections of the budgeted 75 (3 pods × 25) for 10 minutes: warning',
    series: Object.fromEntries(
      ['a', 'b', 'c'].map((name) => [`pgbouncer_used_servers{${TIER},${bouncer(name)}}`, '23x20']),
    ),
    at: '15m',
    alert: 'PgbouncerServerConnectionsNearBudget',
    fires: [{ value: '69' }],
  },
  {
    title: '2 bouncers with full pools (50 of 75): nothing',
    series: Object.fromEntries(
      ['a', 'b'].map((name) => [`pgbouncer_used_servers{${TIER},${bouncer(name)}}`, '25x20']),
    ),
    at: '15m',
    alert: 'PgbouncerServerConnectionsNearBudget',
    fires: [],
  },
  {
    title: 'one bouncer at 500 of max_client_conn 550 for 5 minutes: warning for it',
    series: {
      [`pgbouncer_used_clients{${TIER},${bouncer('a')}}`]: '500x10',
      [`pgbouncer_used_clients{${TIER},${bouncer('b')}}`]: '300x10',
    },
    at: '8m',
    alert: 'PgbouncerClientsNearMaxClientConn',
    fires: [{ labels: { instance: 'a:9127', pod: 'a' }, value: '500' }],
  },
  {
    title: '494 clients on a bouncer: nothing',
    series: { [`pgbouncer_used_clients{${TIER},${bouncer('a')}}`]: '494x10' },
    at: '8m',
    alert: 'PgbouncerClientsNearMaxClientConn',
    fires: [],
  },
  {
    title: 'a bouncer at max_client_conn 550 for 2 minutes: page',
    series: { [`pgbouncer_used_clients{${TIER},${bouncer('a')}}`]: '550x10' },
    at: '5m',
    alert: 'PgbouncerClientsAtMaxClientConn',
    fires: [{ labels: { instance: 'a:9127', pod: 'a' }, value: '550' }],
  },
  {
    title: '549 clients, or 550 for one minute: no page',
    series: {
      [`pgbouncer_used_clients{${TIER},${bouncer('a')}}`]: '549x10',
      [`pgbouncer_used_clients{${TIER},${bouncer('b')}}`]: '400x3 550 400x6',
    },
    at: '8m',
    alert: 'PgbouncerClientsAtMaxClientConn',
    fires: [],
  },
  {
    title: 'the exporter of one bouncer cannot query it for 5 minutes: warning for that pod',
    series: {
      [`pgbouncer_up{${TIER},${bouncer('a')}}`]: '0x10',
      [`pgbouncer_up{${TIER},${bouncer('b')}}`]: '1x10',
    },
    at: '8m',
    alert: 'PgbouncerDown',
    fires: [
      {
        labels: {
          instance: 'a:9127',
          pod: 'a',
          environment: 'kubernetes-pgbouncer',
          pgbouncer: 'clientats-pgbouncer',
        },
      },
    ],
  },
  {
    title: 'a bouncer restarting for 2 minutes: nothing',
    series: { [`pgbouncer_up{${TIER},${bouncer('a')}}`]: '1 0 0 1x7' },
    at: '8m',
    alert: 'PgbouncerDown',
    fires: [],
  },
  {
    title: 'no exporter of the tier scraped for 10 minutes: warning',
    series: {
      [`pgbouncer_up{environment="staging",pgbouncer="clientats-pgbouncer",${bouncer('a')}}`]: '1x20',
    },
    at: '12m',
    alert: 'PgbouncerMetricsMissing',
    fires: [{}],
  },
  {
    title: 'the exporters report: nothing missing',
    series: { [`pgbouncer_up{${TIER},${bouncer('a')}}`]: '1x20' },
    at: '12m',
    alert: 'PgbouncerMetricsMissing',
    fires: [],
  },
];

describe.skipIf(!HAS_PROMTOOL)(
  `PgBouncer alert behaviour under promtool test rules${PROMTOOL_SKIP_REASON}`,
  () => {
    const folder = mkdtempSync(join(tmpdir(), 'clientats-pgbouncer-alerts-'));
    afterAll(() => rmSync(folder, { recursive: true, force: true }));
    writeFileSync(
      join(folder, 'rules.yml'),
      stringify({ groups: alertRuleGroups(BOUNCED_ENVIRONMENT) }, { lineWidth: 0 }),
    );

    it(
      'covers every new alert, and the share alert on the client tier, ' +
        'with a case that fires and one that must not',
      () => {
        for (const name of ['ClientatsNearBudgetedShare', ...BOUNCED_ALERT_NAMES, ...PGBOUNCER_ALERT_NAMES]) {
          expect(rules.map((rule) => rule.alert)).toContain(name);
          expect(
            CASES.some((testCase) => testCase.alert === name && testCase.fires.length > 0),
            name,
          ).toBe(true);
          expect(
            CASES.some((testCase) => testCase.alert === name && testCase.fires.length === 0),
            name,
          ).toBe(true);
        }
      },
    );

    it('fires exactly the expected alerts, with their rendered summaries and descriptions', () => {
      writeFileSync(join(folder, 'tests.yml'), promtoolTestFile('rules.yml', rules, CASES));
      const result = promtool(['test', 'rules', join(folder, 'tests.yml')]);
      expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS');
      expect(result.status).toBe(0);
    });

    it('fails when an expectation is wrong (the harness can fail)', () => {
      const atCapacity = CASES.find((testCase) => testCase.alert === 'PgbouncerClientsAtMaxClientConn')!;
      writeFileSync(
        join(folder, 'wrong.yml'),
        promtoolTestFile('rules.yml', rules, [
          { ...atCapacity, fires: [{ ...atCapacity.fires[0]!, value: '549' }] },
        ]),
      );
      const result = promtool(['test', 'rules', join(folder, 'wrong.yml')]);
      expect(result.status).not.toBe(0);
      expect(`${result.stdout}${result.stderr}`).toContain(
        'alertname: PgbouncerClientsAtMaxClientConn, time: 5m',
      );
    });
  },
);
