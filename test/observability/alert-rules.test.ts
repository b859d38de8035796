import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { HAS_PROMTOOL, PROMTOOL_SKIP_REASON, promtool } from '../../runtime/test/metrics/promtool.js';
import {
  ALERT_NAMES,
  alertRuleGroups,
  runbookAnchor,
  type AlertingRule,
} from '../../src/observability/index.js';
import { KUBERNETES_ENVIRONMENT, RUNBOOK, SHARED_API_ENVIRONMENT } from './observability-fixtures.js';

const rulesOf = (input = KUBERNETES_ENVIRONMENT): AlertingRule[] => [...alertRuleGroups(input)[0]!.rules];
const exprOf = (name: string, input = KUBERNETES_ENVIRONMENT): string =>
  rulesOf(input).find((rule) => rule.alert === name)!.expr;

describe('alertRuleGroups', () => {
  it("renders the thresholds from the settings and the budget of the guide's Kubernetes example", () => {
    const env = '{environment="kubernetes"}';
    expect(exprOf('ClientatsPoolSaturated')).toBe(
      `sum by (instance, pod) (db_connections_active${env}) >= 26`,
    );
    expect(exprOf('ClientatsCheckoutWaitNearTimeout')).toBe(
      `histogram_quantile(0.99, sum by (le) (rate(db_client_connection_wait_time_seconds_bucket${env}[5m]))) > 4`,
    );
    expect(exprOf('ClientatsNearBudgetedShare')).toBe(`sum(db_connections_open${env}) >= 73`);
    expect(exprOf('ClientatsDatabaseNearUsable')).toBe(
      'sum(db_connections_open{database="clientats-db"}) >= 88',
    );
    expect(exprOf('ClientatsDatabaseAtUsable')).toBe(
      'sum(db_connections_open{database="clientats-db"}) >= 97',
    );
    expect(exprOf('ClientatsOverflowMostlyInUse')).toBe(
      `max by (instance, pod, pool) (avg_over_time((db_connections_active${env} > bool 10)[1h:1m])) > 0.5`,
    );
    expect(rulesOf().map((rule) => [rule.alert, rule.labels.severity, rule.for])).toEqual([
      ['ClientatsCheckoutTimeoutsHigh', 'critical', '5m'],
      ['ClientatsCheckoutTimeouts', 'warning', '10m'],
      ['ClientatsCheckoutWaitNearTimeout', 'warning', '10m'],
      ['ClientatsPoolSaturated', 'warning', '5m'],
      ['ClientatsOverflowMostlyInUse', 'warning', '30m'],
      ['ClientatsDatabaseUnreachable', 'critical', '2m'],
      ['ClientatsReadinessFailing', 'warning', '5m'],
      ['ClientatsConnectionErrors', 'warning', '15m'],
      ['ClientatsNearBudgetedShare', 'warning', '10m'],
      ['ClientatsDatabaseNearUsable', 'warning', '5m'],
      ['ClientatsDatabaseAtUsable', 'critical', '2m'],
      ['ClientatsMetricsMissing', 'warning', '10m'],
    ]);
  });

  it('says which environment, which bound and what the figures are', () => {
    const saturated = rulesOf().find((rule) => rule.alert === 'ClientatsPoolSaturated')!;
    expect(saturated.annotations.description).toBe(
      'instance {{ $labels.instance }}{{ with $labels.pod }} (pod {{ . }}){{ end }} in kubernetes ' +
        'has had all 26 pool connections checked out (POOL_COUNT 2 × (POOL_SIZE 10 + MAX_OVERFLOW 3)) ' +
        'for 5 minutes; ' +
        'new requests wait up to POOL_TIMEOUT.',
    );
    const share = rulesOf().find((rule) => rule.alert === 'ClientatsNearBudgetedShare')!;
    expect(share.annotations.summary).toBe('kubernetes: {{ $value }} connections of its budgeted 81');
    expect(share.labels).toEqual({
      severity: 'warning',
      environment: 'kubernetes',
      database: 'clientats-db',
    });
    const database = rulesOf().find((rule) => rule.alert === 'ClientatsDatabaseAtUsable')!;
    expect(database.labels).toEqual({ severity: 'critical', database: 'clientats-db' });
  });

  it('adds the connections declared for clients without metrics to the database sum', () => {
    expect(SHARED_API_ENVIRONMENT.budget).toMatchObject({ share: 105, usable: 197, unmeasured: 2 });
    expect(exprOf('ClientatsDatabaseNearUsable', SHARED_API_ENVIRONMENT)).toBe(
      'sum(db_connections_open{database="shared-db"}) + 2 >= 178',
    );
    expect(exprOf('ClientatsNearBudgetedShare', SHARED_API_ENVIRONMENT)).toBe(
      'sum(db_connections_open{environment="api-prod"}) >= 95',
    );
  });

  it('links every alert to its section of the README runbook', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const headings = new Set([...readme.matchAll(/^#{1,6} (.+)$/gm)].map((match) => githubSlug(match[1]!)));
    for (const rule of rulesOf()) {
      expect(rule.annotations.runbook_url).toBe(
        `${RUNBOOK}#${runbookAnchor(rule.alert as (typeof ALERT_NAMES)[number])}`,
      );
      expect(headings.has(runbookAnchor(rule.alert as (typeof ALERT_NAMES)[number])), rule.alert).toBe(true);
      expect(rule.annotations.summary).not.toBe('');
      expect(rule.annotations.description).not.toBe('');
    }
    expect(rulesOf().map((rule) => rule.alert)).toEqual([...ALERT_NAMES]);
  });

  it('has no overflow alert when MAX_OVERFLOW is 0', () => {
    const input = { ...KUBERNETES_ENVIRONMENT, pool: { ...KUBERNETES_ENVIRONMENT.pool, maxOverflow: 0 } };
    expect(rulesOf(input).map((rule) => rule.alert)).not.toContain('ClientatsOverflowMostlyInUse');
    expect(exprOf('ClientatsPoolSaturated', input)).toContain('>= 20');
  });

  it('fails when an environment name is not a DNS label', () => {
    expect(() => alertRuleGroups({ ...KUBERNETES_ENVIRONMENT, environment: 'Prod"}' })).toThrow(
      "observability environment must be a lowercase DNS label (a-z, 0-9, '-', '.'; at most 63), got \"Prod\\\"}\"",
    );
  });

  it('fails when a threshold is not a fraction', () => {
    expect(() => alertRuleGroups({ ...KUBERNETES_ENVIRONMENT, thresholds: { ofShare: 1.5 } })).toThrow(
      "alert threshold 'ofShare' must be a fraction in (0, 1], got 1.5",
    );
  });
});

describe.skipIf(!HAS_PROMTOOL)(`rule files under promtool check rules${PROMTOOL_SKIP_REASON}`, () => {
  const folder = mkdtempSync(join(tmpdir(), 'clientats-rules-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it.each([
    ['kubernetes', KUBERNETES_ENVIRONMENT],
    ['api-prod (shared database)', SHARED_API_ENVIRONMENT],
    ['no overflow', { ...KUBERNETES_ENVIRONMENT, pool: { ...KUBERNETES_ENVIRONMENT.pool, maxOverflow: 0 } }],
  ])('passes for %s', (name, input) => {
    const file = join(folder, `${name.replace(/\W+/g, '-')}.yml`);
    writeFileSync(file, stringify({ groups: alertRuleGroups(input) }, { lineWidth: 0 }));
    const result = promtool(['check', 'rules', file]);
    expect(`${result.stdout}${result.stderr}`).toContain(`SUCCESS: ${rulesOf(input).length} rules found`);
    expect(result.status).toBe(0);
  });

  it('fails when a rule is broken (the check can fail)', () => {
    const [group] = alertRuleGroups(KUBERNETES_ENVIRONMENT);
    const broken = { groups: [{ ...group!, rules: [{ ...group!.rules[0]!, expr: 'sum(rate(x[5m]) >' }] }] };
    const file = join(folder, 'broken.yml');
    writeFileSync(file, stringify(broken));
    expect(promtool(['check', 'rules', file]).status).not.toBe(0);
  });
});

/** GitHub's heading anchor: lowercase, punctuation dropped, spaces to hyphens. */
function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}
