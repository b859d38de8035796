import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { HAS_PROMTOOL, PROMTOOL_SKIP_REASON, promtool } from '../../runtime/test/metrics/promtool.js';
import { alertRuleGroups, prometheusYaml, ruleFile, scrapeJob } from '../../src/observability/index.js';
import { SHARED_API_ENVIRONMENT } from './observability-fixtures.js';

describe('Prometheus files for Compose and Heroku', () => {
  it('scrape fixed targets with the environment and database labels the rules select on', () => {
    expect(scrapeJob(SHARED_API_ENVIRONMENT, { targets: ['api.example.test:443'], scheme: 'https' })).toEqual(
      {
        job_name: 'clientats-api-prod',
        metrics_path: '/metrics',
        scrape_interval: '15s',
        scheme: 'https',
        static_configs: [{ targets: ['api.example.test:443'] }],
        relabel_configs: [
          { target_label: 'environment', replacement: 'api-prod' },
          { target_label: 'database', replacement: 'shared-db' },
        ],
      },
    );
  });

  it('find every Compose replica through DNS', () => {
    expect(scrapeJob(SHARED_API_ENVIRONMENT, { dnsName: 'app', port: 4000 }, '30s')).toMatchObject({
      scrape_interval: '30s',
      dns_sd_configs: [{ names: ['app'], type: 'A', port: 4000 }],
    });
  });

  it('write a rule file that reads back as the rule groups, after a header', () => {
    const text = prometheusYaml(
      ruleFile(SHARED_API_ENVIRONMENT),
      'alerts of api-prod\nload with rule_files: in prometheus.yml',
    );
    expect(
      text.startsWith('# alerts of api-prod\n# load with rule_files: in prometheus.yml\ngroups:\n'),
    ).toBe(true);
    expect(parse(text)).toEqual({ groups: alertRuleGroups(SHARED_API_ENVIRONMENT) });
  });

  it('fails when there is no target', () => {
    expect(() => scrapeJob(SHARED_API_ENVIRONMENT, { targets: [] })).toThrow(
      "scrape targets of environment 'api-prod' must list at least one host:port, got none",
    );
  });
});

describe.skipIf(!HAS_PROMTOOL)(`Prometheus files under promtool check config${PROMTOOL_SKIP_REASON}`, () => {
  const folder = mkdtempSync(join(tmpdir(), 'clientats-prometheus-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('load into a prometheus.yml as they are: the scrape job and the rule file', () => {
    writeFileSync(
      join(folder, 'clientats-api-prod.rules.yml'),
      prometheusYaml(ruleFile(SHARED_API_ENVIRONMENT), 'rules'),
    );
    const jobs = [scrapeJob(SHARED_API_ENVIRONMENT, { dnsName: 'app', port: 4000 })];
    writeFileSync(
      join(folder, 'prometheus.yml'),
      prometheusYaml({ scrape_configs: jobs }, 'scrape') + 'rule_files:\n  - clientats-api-prod.rules.yml\n',
    );
    const result = promtool(['check', 'config', join(folder, 'prometheus.yml')]);
    expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS: 12 rules found');
    expect(result.status).toBe(0);
  });
});
