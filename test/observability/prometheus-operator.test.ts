import { PodMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { describe, expect, it } from 'vitest';
import {
  dashboardConfigMap,
  monitoringObjects,
  pgbouncerPodMonitor,
  podMonitor,
  prometheusRule,
} from '../../src/observability/index.js';
import { BOUNCED_ENVIRONMENT, KUBERNETES_ENVIRONMENT } from './observability-fixtures.js';

const RELEASE = { labels: { release: 'kube-prometheus-stack' }, namespace: 'clientats' };

describe('prometheus-operator objects', () => {
  it("scrape every pod of the service on the runtime's port and path, labelled with environment and database", () => {
    const monitor = podMonitor(KUBERNETES_ENVIRONMENT, RELEASE);
    expect(monitor.metadata).toEqual({
      name: 'clientats-connection-pool',
      namespace: 'clientats',
      labels: { app: 'clientats', environment: 'kubernetes', release: 'kube-prometheus-stack' },
    });
    expect(monitor.spec).toEqual({
      selector: { matchLabels: { app: 'clientats' } },
      podMetricsEndpoints: [
        {
          port: 'http',
          path: '/metrics',
          interval: '15s',
          relabelings: [
            { action: 'replace', targetLabel: 'environment', replacement: 'kubernetes' },
            { action: 'replace', targetLabel: 'database', replacement: 'clientats-db' },
          ],
        },
      ],
    });
  });

  it('pass the prometheus-operator CRD schemas and the ConfigMap schema (kubernetes-models)', () => {
    const [monitor, rule, configMap] = monitoringObjects(KUBERNETES_ENVIRONMENT, RELEASE);
    expect(() => new PodMonitor(monitor as never).validate()).not.toThrow();
    expect(() => new PrometheusRule(rule as never).validate()).not.toThrow();
    expect(() => new ConfigMap(configMap as never).validate()).not.toThrow();
    expect(rule.spec.groups[0]!.rules.length).toBe(12);
  });

  it('fails validation when a rule lacks its expression (the validator can fail)', () => {
    const rule = prometheusRule(KUBERNETES_ENVIRONMENT);
    const { expr: _expr, ...withoutExpr } = rule.spec.groups[0]!.rules[0]!;
    const broken = { ...rule, spec: { groups: [{ ...rule.spec.groups[0]!, rules: [withoutExpr] }] } };
    expect(() => new PrometheusRule(broken as never).validate()).toThrow(/expr/);
  });

  it("put the dashboard JSON in a ConfigMap labelled for Grafana's sidecar", () => {
    const configMap = dashboardConfigMap(KUBERNETES_ENVIRONMENT);
    expect(configMap.metadata.labels).toEqual({
      app: 'clientats',
      environment: 'kubernetes',
      grafana_dashboard: '1',
    });
    const dashboard = JSON.parse(configMap.data['clientats-connection-pool.json']!) as {
      uid: string;
      title: string;
    };
    expect(dashboard).toMatchObject({
      uid: 'clientats-kubernetes-pool',
      title: 'clientats kubernetes: database connections',
    });
    expect(
      dashboardConfigMap(KUBERNETES_ENVIRONMENT, { dashboardLabels: { custom: 'x' } }).metadata.labels.custom,
    ).toBe('x');
  });

  it('scrape the PgBouncer exporters and label the app behind them with its tier, valid against the CRDs', () => {
    const objects = monitoringObjects(BOUNCED_ENVIRONMENT, RELEASE);
    expect(objects.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual([
      'PodMonitor/clientats-connection-pool',
      'PrometheusRule/clientats-connection-pool',
      'ConfigMap/clientats-connection-pool',
      'PodMonitor/clientats-pgbouncer-exporter',
    ]);
    const [app, rule, configMap, exporter] = objects;
    expect(app.spec.podMetricsEndpoints[0]!.relabelings).toEqual([
      { action: 'replace', targetLabel: 'environment', replacement: 'kubernetes-pgbouncer' },
      { action: 'replace', targetLabel: 'database', replacement: 'clientats-bounced-db' },
      { action: 'replace', targetLabel: 'pgbouncer', replacement: 'clientats-pgbouncer' },
    ]);
    expect(exporter).toEqual({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: {
        name: 'clientats-pgbouncer-exporter',
        namespace: 'clientats',
        labels: {
          app: 'clientats-pgbouncer',
          environment: 'kubernetes-pgbouncer',
          release: 'kube-prometheus-stack',
        },
      },
      spec: {
        selector: { matchLabels: { app: 'clientats-pgbouncer' } },
        podMetricsEndpoints: [
          {
            port: 'metrics',
            path: '/metrics',
            interval: '15s',
            // No `database` target label: the exporter's own `database` label names the bouncer's pool.
            relabelings: [
              { action: 'replace', targetLabel: 'environment', replacement: 'kubernetes-pgbouncer' },
              { action: 'replace', targetLabel: 'pgbouncer', replacement: 'clientats-pgbouncer' },
            ],
          },
        ],
      },
    });
    for (const monitor of [app, exporter!])
      expect(() => new PodMonitor(monitor as never).validate()).not.toThrow();
    expect(() => new PrometheusRule(rule as never).validate()).not.toThrow();
    expect(() => new ConfigMap(configMap as never).validate()).not.toThrow();
    expect(rule.spec.groups.map((group) => group.rules.length)).toEqual([11, 7]);
  });

  it('fails when asked for the exporter PodMonitor of an environment without a monitored tier', () => {
    expect(() => pgbouncerPodMonitor(KUBERNETES_ENVIRONMENT)).toThrow(
      "environment 'kubernetes' has no monitored PgBouncer tier to scrape",
    );
  });
});
