/**
 * Alert behaviour, proven by Prometheus itself: `promtool test rules` feeds
 * synthetic series to the generated rules and compares the alerts that fire
 * (labels and rendered annotations) with the expected ones — including the
 * blips that must not fire. Without promtool the suite is reported skipped.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { HAS_PROMTOOL, PROMTOOL_SKIP_REASON, promtool } from '../../runtime/test/metrics/promtool.js';
import { alertRuleGroups, type AlertName } from '../../src/observability/index.js';
import { KUBERNETES_ENVIRONMENT } from './observability-fixtures.js';
import { promtoolTestFile, type AlertCase } from './promtool-cases.js';

const rules = alertRuleGroups(KUBERNETES_ENVIRONMENT)[0]!.rules;
const ENV = 'environment="kubernetes",database="clientats-db"';

const bucket = (le: string): string =>
  `db_client_connection_wait_time_seconds_bucket{${ENV},instance="10.0.0.1:4000",pool="0",le="${le}"}`;
const pod = (name: string): string => `instance="${name}:4000",pod="${name}"`;

const CASES: readonly AlertCase<AlertName>[] = [
  {
    title: 'half the checkouts time out for 10 minutes: page',
    series: {
      [`db_client_connection_timeouts_total{${ENV}}`]: '0+30x20',
      [`db_client_connection_wait_time_seconds_count{${ENV},pool="0"}`]: '0+30x20',
    },
    at: '10m',
    alert: 'ClientatsCheckoutTimeoutsHigh',
    fires: [{ value: '50%' }],
  },
  {
    title: '1 % of checkouts time out: no page',
    series: {
      [`db_client_connection_timeouts_total{${ENV}}`]: '0+1x30',
      [`db_client_connection_wait_time_seconds_count{${ENV},pool="0"}`]: '0+99x30',
    },
    at: '20m',
    alert: 'ClientatsCheckoutTimeoutsHigh',
    fires: [],
  },
  {
    title: 'a timeout every minute for 20 minutes: warning',
    series: {
      [`db_client_connection_timeouts_total{${ENV}}`]: '0+1x30',
      [`db_client_connection_wait_time_seconds_count{${ENV},pool="0"}`]: '0+99x30',
    },
    at: '20m',
    alert: 'ClientatsCheckoutTimeouts',
    fires: [{ value: '16.67m' }],
  },
  {
    title: 'one single timeout: no alert, ever',
    series: { [`db_client_connection_timeouts_total{${ENV}}`]: '0x10 1x30' },
    at: '16m',
    alert: 'ClientatsCheckoutTimeouts',
    fires: [],
  },
  {
    title: 'p99 wait just under POOL_TIMEOUT (5 s) for 10 minutes: warning',
    series: {
      [bucket('0.001')]: '0x30',
      [bucket('2.5')]: '0x30',
      [bucket('5')]: '0+60x30',
      [bucket('+Inf')]: '0+60x30',
    },
    at: '20m',
    alert: 'ClientatsCheckoutWaitNearTimeout',
    fires: [{ value: '4.975s' }],
  },
  {
    title: 'p99 wait half of POOL_TIMEOUT: no alert',
    series: {
      [bucket('0.001')]: '0x30',
      [bucket('2.5')]: '0+60x30',
      [bucket('5')]: '0+60x30',
      [bucket('+Inf')]: '0+60x30',
    },
    at: '20m',
    alert: 'ClientatsCheckoutWaitNearTimeout',
    fires: [],
  },
  {
    title: 'all 26 pool connections of one pod in use for 5 minutes: warning for that pod only',
    series: {
      [`db_connections_active{${ENV},${pod('a')},pool="0"}`]: '13x10',
      [`db_connections_active{${ENV},${pod('a')},pool="1"}`]: '13x10',
      [`db_connections_active{${ENV},${pod('b')},pool="0"}`]: '10x10',
      [`db_connections_active{${ENV},${pod('b')},pool="1"}`]: '10x10',
      [`db_connections_active{${ENV},${pod('c')},pool="0"}`]: '13 13 13 5x7',
      [`db_connections_active{${ENV},${pod('c')},pool="1"}`]: '13x10',
    },
    at: '8m',
    alert: 'ClientatsPoolSaturated',
    fires: [{ labels: { instance: 'a:4000', pod: 'a' } }],
  },
  {
    title: '20 of 26 in use, or all 26 for 2 minutes: nothing',
    series: {
      [`db_connections_active{${ENV},${pod('b')},pool="0"}`]: '10x10',
      [`db_connections_active{${ENV},${pod('b')},pool="1"}`]: '10x10',
      [`db_connections_active{${ENV},${pod('c')},pool="0"}`]: '13 13 13 5x7',
      [`db_connections_active{${ENV},${pod('c')},pool="1"}`]: '13x10',
    },
    at: '8m',
    alert: 'ClientatsPoolSaturated',
    fires: [],
  },
  {
    title:
      'overflow in use all of the last hour: POOL_SIZE too small; an hour mostly below POOL_SIZE: nothing',
    series: {
      [`db_connections_active{${ENV},${pod('a')},pool="0"}`]: '12x120',
      [`db_connections_active{${ENV},${pod('b')},pool="0"}`]: '12x20 8x100',
    },
    at: '100m',
    alert: 'ClientatsOverflowMostlyInUse',
    fires: [{ labels: { instance: 'a:4000', pod: 'a', pool: '0' }, value: '100%' }],
  },
  {
    title: 'overflow in use a third of the hour: nothing',
    series: { [`db_connections_active{${ENV},${pod('b')},pool="0"}`]: '12x20 8x40 12x20 8x40' },
    at: '120m',
    alert: 'ClientatsOverflowMostlyInUse',
    fires: [],
  },
  {
    title: 'no instance reaches the database for 2 minutes: page',
    series: {
      [`db_readiness_healthy{${ENV},${pod('a')}}`]: '0x10',
      [`db_readiness_healthy{${ENV},${pod('b')}}`]: '1 0x9',
    },
    at: '5m',
    alert: 'ClientatsDatabaseUnreachable',
    fires: [{}],
  },
  {
    title: 'one instance of two unready: no page',
    series: {
      [`db_readiness_healthy{${ENV},${pod('a')}}`]: '0x10',
      [`db_readiness_healthy{${ENV},${pod('b')}}`]: '1x10',
    },
    at: '8m',
    alert: 'ClientatsDatabaseUnreachable',
    fires: [],
  },
  {
    title: 'one instance unready for 5 minutes: warning for it; a 2-minute blip on another: nothing',
    series: {
      [`db_readiness_healthy{${ENV},${pod('a')}}`]: '0x10',
      [`db_readiness_healthy{${ENV},${pod('b')}}`]: '1 0 0 1x7',
    },
    at: '8m',
    alert: 'ClientatsReadinessFailing',
    fires: [
      { labels: { instance: 'a:4000', pod: 'a', environment: 'kubernetes', database: 'clientats-db' } },
    ],
  },
  {
    title: 'readiness failing for 2 minutes, then back: nothing',
    series: { [`db_readiness_healthy{${ENV},${pod('b')}}`]: '1 0 0 1x7' },
    at: '8m',
    alert: 'ClientatsReadinessFailing',
    fires: [],
  },
  {
    title: 'connect errors every minute for 20 minutes: warning',
    series: {
      [`db_client_connection_errors_total{${ENV},kind="connect"}`]: '0+1x30',
      [`db_client_connection_errors_total{${ENV},kind="connection"}`]: '0x30',
    },
    at: '20m',
    alert: 'ClientatsConnectionErrors',
    fires: [{ labels: { kind: 'connect' }, value: '5' }],
  },
  {
    title: 'one failed connect: no alert',
    series: { [`db_client_connection_errors_total{${ENV},kind="connect"}`]: '0x5 1x30' },
    at: '18m',
    alert: 'ClientatsConnectionErrors',
    fires: [],
  },
  {
    title: '75 connections of a budgeted 81 for 10 minutes: warning',
    series: Object.fromEntries(
      ['a', 'b', 'c'].map((name) => [`db_connections_open{${ENV},${pod(name)}}`, '25x20']),
    ),
    at: '15m',
    alert: 'ClientatsNearBudgetedShare',
    fires: [{ value: '75' }],
  },
  {
    title: '72 connections of a budgeted 81: nothing',
    series: Object.fromEntries(
      ['a', 'b', 'c'].map((name) => [`db_connections_open{${ENV},${pod(name)}}`, '24x20']),
    ),
    at: '15m',
    alert: 'ClientatsNearBudgetedShare',
    fires: [],
  },
  {
    title: '90 of 97 usable connections on the database: warning',
    series: Object.fromEntries(
      ['a', 'b', 'c'].map((name) => [`db_connections_open{${ENV},${pod(name)}}`, '30x20']),
    ),
    at: '10m',
    alert: 'ClientatsDatabaseNearUsable',
    fires: [{ value: '90' }],
  },
  {
    title: '81 of 97 usable: nothing',
    series: Object.fromEntries(
      ['a', 'b', 'c'].map((name) => [`db_connections_open{${ENV},${pod(name)}}`, '27x20']),
    ),
    at: '10m',
    alert: 'ClientatsDatabaseNearUsable',
    fires: [],
  },
  {
    title: '90 of 97 usable: no page',
    series: Object.fromEntries(
      ['a', 'b', 'c'].map((name) => [`db_connections_open{${ENV},${pod(name)}}`, '30x20']),
    ),
    at: '10m',
    alert: 'ClientatsDatabaseAtUsable',
    fires: [],
  },
  {
    title: '99 connections, every usable one taken, counted across environments: page',
    series: {
      [`db_connections_open{${ENV},${pod('a')}}`]: '33x20',
      [`db_connections_open{${ENV},${pod('b')}}`]: '33x20',
      [`db_connections_open{environment="other",database="clientats-db",${pod('c')}}`]: '33x20',
    },
    at: '10m',
    alert: 'ClientatsDatabaseAtUsable',
    fires: [{ value: '99' }],
  },
  {
    title: 'no series of the environment for 10 minutes: warning',
    series: { [`db_connections_open{environment="staging",database="clientats-db",${pod('a')}}`]: '5x20' },
    at: '12m',
    alert: 'ClientatsMetricsMissing',
    fires: [{}],
  },
  {
    title: 'the environment reports: nothing missing',
    series: { [`db_connections_open{${ENV},${pod('a')}}`]: '5x20' },
    at: '12m',
    alert: 'ClientatsMetricsMissing',
    fires: [],
  },
];

/** The promtool unit test file for `cases` (all by default) against the generated rules. */
const promtoolTests = (ruleFile: string, cases: readonly AlertCase<AlertName>[] = CASES): string =>
  promtoolTestFile(ruleFile, rules, cases);

describe.skipIf(!HAS_PROMTOOL)(`alert behaviour under promtool test rules${PROMTOOL_SKIP_REASON}`, () => {
  const folder = mkdtempSync(join(tmpdir(), 'clientats-alerts-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  writeFileSync(
    join(folder, 'rules.yml'),
    stringify({ groups: alertRuleGroups(KUBERNETES_ENVIRONMENT) }, { lineWidth: 0 }),
  );

  it('covers every alert with a case that fires and one that must not', () => {
    for (const rule of rules) {
      expect(
        CASES.some((testCase) => testCase.alert === rule.alert && testCase.fires.length > 0),
        rule.alert,
      ).toBe(true);
      expect(
        CASES.some((testCase) => testCase.alert === rule.alert && testCase.fires.length === 0),
        rule.alert,
      ).toBe(true);
    }
  });

  it('fires exactly the expected alerts, with their rendered summaries and descriptions', () => {
    writeFileSync(join(folder, 'tests.yml'), promtoolTests('rules.yml'));
    const result = promtool(['test', 'rules', join(folder, 'tests.yml')]);
    expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('fails when an expectation is wrong (the harness can fail)', () => {
    writeFileSync(
      join(folder, 'wrong.yml'),
      promtoolTests('rules.yml', [{ ...CASES[0]!, fires: [{ value: '49%' }] }]),
    );
    const result = promtool(['test', 'rules', join(folder, 'wrong.yml')]);
    expect(result.status).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toContain(
      'alertname: ClientatsCheckoutTimeoutsHigh, time: 10m',
    );
  });
});
