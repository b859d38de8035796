/**
 * Every metric an alert or a dashboard panel reads exists in the runtime's
 * real `/metrics`: a pool against the suite's PostgreSQL, the health server,
 * one scrape, and the names compared.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHealthServer, type HealthServer } from '../../runtime/src/health/health-server.js';
import { createPoolMetrics } from '../../runtime/src/metrics/pool-metrics.js';
import { createPool } from '../../runtime/src/pool/create-pool.js';
import type { ClientAtsPool } from '../../runtime/src/pool/pool-types.js';
import { eventually, testSettings } from '../../runtime/test/support/health-fixture.js';
import { parsePrometheusText } from '../../runtime/test/support/prometheus-text.js';
import { alertRuleGroups, connectionPoolDashboard, METRIC } from '../../src/observability/index.js';
import { KUBERNETES_ENVIRONMENT, SHARED_API_ENVIRONMENT } from './observability-fixtures.js';
import { metricNamesOf } from './promql-names.js';

/** Every expression the generated rules and dashboards query, with where it comes from. */
function queriedExpressions(): { where: string; expr: string }[] {
  const expressions: { where: string; expr: string }[] = [];
  for (const input of [KUBERNETES_ENVIRONMENT, SHARED_API_ENVIRONMENT]) {
    for (const rule of alertRuleGroups(input)[0]!.rules)
      expressions.push({ where: `alert ${rule.alert}`, expr: rule.expr });
    for (const panel of connectionPoolDashboard(input).panels ?? []) {
      const targets = ('targets' in panel ? panel.targets : undefined) ?? [];
      for (const target of targets) {
        const expr = (target as { expr?: string }).expr;
        if (expr !== undefined) expressions.push({ where: `panel ${panel.title ?? ''}`, expr });
      }
    }
  }
  return expressions;
}

describe('metricNamesOf', () => {
  it('finds the metrics and skips functions, labels, ranges, grouping and keywords', () => {
    expect(
      metricNamesOf(
        'histogram_quantile(0.99, sum by (le) (rate(a_bucket{environment="x",le!="1"}[$__rate_interval])))',
      ),
    ).toEqual(['a_bucket']);
    expect(
      metricNamesOf(
        'sum(rate(t_total{e="a b"}[2m])) / (sum(rate(c_count[2m])) + sum(rate(t_total[2m]))) > 0.05',
      ),
    ).toEqual(['c_count', 't_total']);
    expect(
      metricNamesOf('max by (instance, pod, pool) (avg_over_time((m{e="x"} > bool 10)[1h:1m])) > 0.5'),
    ).toEqual(['m']);
    expect(metricNamesOf('absent(up{job="x"}) or vector(1e3) and on (pod) other offset 5m')).toEqual([
      'other',
      'up',
    ]);
  });
});

describe('metrics used by the generated rules and dashboards', () => {
  const settings = testSettings(inject('databaseUrl'), {
    POOL_SIZE: '2',
    POOL_COUNT: '2',
    MAX_OVERFLOW: '1',
  });
  let pool: ClientAtsPool;
  let server: HealthServer;
  let scraped: Set<string>;

  beforeAll(async () => {
    const metrics = createPoolMetrics();
    pool = createPool(settings, { observer: metrics.observer });
    await pool.ready;
    server = await createHealthServer({ pool, settings, metrics, port: 0, host: '127.0.0.1' });
    await eventually(async () => (await server.checkReadiness()).healthy, 20, 100);
    await pool.query('SELECT 1');
    const families = parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
    scraped = new Set(
      [...families.values()].flatMap((family) => family.samples.map((sample) => sample.name)),
    );
  });
  afterAll(async () => {
    await server?.shutdown();
  });

  it('all exist in a real scrape of the runtime', () => {
    const expressions = queriedExpressions();
    expect(expressions.length).toBeGreaterThan(30);
    const missing = expressions.flatMap(({ where, expr }) =>
      metricNamesOf(expr)
        .filter((name) => !scraped.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(missing).toEqual([]);
    const used = new Set(expressions.flatMap(({ expr }) => metricNamesOf(expr)));
    expect([...used].sort()).toEqual(Object.values(METRIC).sort());
  });

  it('fails when a rule reads a metric the runtime does not export (the comparison can fail)', () => {
    expect(
      metricNamesOf('sum(db_connections_in_use{environment="x"}) > 3').filter((name) => !scraped.has(name)),
    ).toEqual(['db_connections_in_use']);
  });
});
