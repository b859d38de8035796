import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  alertRuleGroups,
  budgetSvg,
  connectionPoolDashboard,
  environmentObservability,
  observabilityFiles,
  type ObservedEnvironment,
} from '../../src/observability/index.js';
import {
  KUBERNETES_DATABASE,
  KUBERNETES_ENVIRONMENT,
  RUNBOOK,
  SHARED_DATABASE,
} from './observability-fixtures.js';

const worker: ObservedEnvironment = {
  ...environmentObservability({
    environment: 'worker-prod',
    service: 'worker',
    pool: { poolSize: 5, poolCount: 1, maxOverflow: 0, poolTimeoutMillis: 5000 },
    database: SHARED_DATABASE,
    consumer: 'worker',
    runbookBaseUrl: RUNBOOK,
  }),
  platform: 'compose',
  scrape: { dnsName: 'worker', port: 4000 },
};

describe('observabilityFiles', () => {
  const files = observabilityFiles(
    [SHARED_DATABASE, KUBERNETES_DATABASE],
    [{ ...KUBERNETES_ENVIRONMENT, platform: 'kubernetes' }, worker],
  );
  const content = (path: string): string => files.find((file) => file.path === path)!.content;

  it('writes the budget picture, a dashboard per environment, and rules and scrape job for Compose and Heroku', () => {
    expect(files.map((file) => file.path)).toEqual([
      'connection-budget.svg',
      'grafana/kubernetes.json',
      'grafana/worker-prod.json',
      'prometheus/worker-prod.rules.yml',
      'prometheus/worker-prod.scrape.yml',
    ]);
    expect(content('connection-budget.svg')).toBe(budgetSvg([SHARED_DATABASE, KUBERNETES_DATABASE]));
    expect(JSON.parse(content('grafana/worker-prod.json'))).toEqual(
      JSON.parse(JSON.stringify(connectionPoolDashboard(worker))),
    );
    expect(parse(content('prometheus/worker-prod.rules.yml'))).toEqual({ groups: alertRuleGroups(worker) });
    expect(parse(content('prometheus/worker-prod.scrape.yml')).scrape_configs[0].dns_sd_configs).toEqual([
      { names: ['worker'], type: 'A', port: 4000 },
    ]);
  });

  it('takes per_instance and the share from the report', () => {
    expect(worker.perInstance).toBe(6);
    expect(worker.budget).toEqual({
      database: 'shared-db',
      mode: 'rollout',
      share: 12,
      usable: 197,
      maxConnections: 200,
      unmeasured: 2,
    });
  });

  it('fails when two environments would write the same file', () => {
    expect(() => observabilityFiles([], [worker, worker])).toThrow(
      "observability file 'grafana/worker-prod.json' would be written twice: environment names must be unique",
    );
  });
});
