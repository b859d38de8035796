import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { isBudgetInput, readManifests } from '../../src/readers/read-manifests.js';
import { ManifestFolder, podTemplate, runCheck } from '../support/run-check.js';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const folder = new ManifestFolder();
afterAll(() => folder.remove());

const HELM_TEMPLATE = [
  'apiVersion: apps/v1',
  'kind: Deployment',
  'metadata:',
  '  name: {{ .Release.Name }}-web',
  '  labels:',
  '    {{- include "chart.labels" . | nindent 4 }}',
  'spec:',
  '  replicas: {{ .Values.replicaCount }}',
  '',
].join('\n');

describe('readManifests', () => {
  it('reads every workload of a file holding several kinds, and a stream named "-"', () => {
    const text = [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: { replicas: 2, template: podTemplate({ POOL_SIZE: '5' }) },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'worker' },
        spec: { replicas: 5, template: podTemplate({ POOL_SIZE: '30' }) },
      },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: {} },
    ]
      .map((object) => stringify(object))
      .join('---\n');
    const inputs = readManifests([{ path: '-', text }]);
    expect(inputs.files).toEqual([
      {
        file: '-',
        consumers: [
          expect.objectContaining({ name: 'web', source: '-#1', workload: 'Deployment', replicas: 2 }),
          expect.objectContaining({ name: 'worker', source: '-#2', workload: 'StatefulSet', replicas: 5 }),
        ],
      },
    ]);
  });

  it('reads an app.json given as a stream by its formation', () => {
    const text = JSON.stringify({
      env: { POOL_SIZE: '4' },
      formation: { web: { quantity: 3 } },
      features: ['preboot'],
    });
    expect(readManifests([{ path: '-', text }]).files[0].consumers).toEqual([
      {
        kind: 'heroku',
        name: 'app/web',
        source: '-',
        dynos: 3,
        preboot: true,
        pool: { poolSize: 4, poolCount: 1, maxOverflow: 0 },
      },
    ]);
  });

  it('skips a found file it cannot read but refuses a named one', () => {
    const text = 'just: a config\n';
    expect(readManifests([{ path: 'conf/settings.yaml', text, named: false }]).files).toEqual([]);
    expect(() => readManifests([{ path: 'settings.yaml', text }])).toThrow(
      'settings.yaml: neither Kubernetes objects (apiVersion and kind) ' +
        'nor a Compose file (services): the budget reads app.json, Kubernetes YAML and Compose files',
    );
  });

  it('reads a rendered PrometheusRule whose {{ }} sit in strings', () => {
    const text = stringify({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'pool' },
      spec: {
        groups: [
          {
            name: 'pool',
            rules: [
              { alert: 'PoolExhausted', annotations: { summary: '{{ $labels.pod }} is out of connections' } },
            ],
          },
        ],
      },
    });
    expect(readManifests([{ path: 'rules.yaml', text, named: false }]).files).toEqual([
      { file: 'rules.yaml', consumers: [] },
    ]);
  });

  it('fails when given a Helm template, naming the first action', () => {
    expect(() => readManifests([{ path: 'templates/deployment.yaml', text: HELM_TEMPLATE }])).toThrow(
      'templates/deployment.yaml: a template, not a manifest ("{{ .Release.Name }}" at line 4): ' +
        'render it first, e.g. helm template … | clientats-deploy check - --max-connections N',
    );
  });
});

describe('isBudgetInput', () => {
  it('reads YAML, PgBouncer ini, Heroku app.json and the synthesized report, at any depth', () => {
    const read = [
      'small.k8s.yaml',
      'docker-compose.dev.yml',
      'pgbouncer/pgbouncer.ini',
      'heroku/clientats-prod/app.json',
      'connection-budget.json',
    ];
    expect(read.filter(isBudgetInput)).toEqual(read);
  });

  it('skips dashboards, pictures, scripts and other JSON', () => {
    const skipped = ['grafana/small.json', 'connection-budget.svg', 'heroku/x/config.sh', 'package.json'];
    expect(skipped.filter(isBudgetInput)).toEqual([]);
  });
});

describe('check through the real bin', () => {
  it('fails when given a Helm template with one line on stderr and no library warning', () => {
    const file = folder.write('helm/deployment.yaml', HELM_TEMPLATE);
    const result = spawnSync(
      process.execPath,
      ['src/cli/bin.mjs', 'check', file, '--max-connections', '100'],
      {
        cwd: REPOSITORY,
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
      status: 2,
      stdout: '',
      stderr:
        `clientats-deploy: ${file}: a template, not a manifest ("{{ .Release.Name }}" at line 4): ` +
        `render it first, e.g. helm template … | clientats-deploy check - --max-connections N\n`,
    });
  });
});

describe('Compose and Heroku inputs', () => {
  it('fails when a global Compose service connects and no node count is given', async () => {
    const file = folder.write(
      'global/docker-compose.yml',
      stringify({
        services: {
          app: { image: 'clientats:latest', environment: { POOL_SIZE: 5 }, deploy: { mode: 'global' } },
        },
      }),
    );
    expect(await runCheck('check', file, '--max-connections', '100')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        `clientats-deploy: ${file}: service "app" runs one container per node (deploy.mode global) ` +
        `and connects to the database: give the node count with --nodes N\n`,
    });
    const counted = await runCheck('check', file, '--max-connections', '100', '--nodes', '3');
    expect(counted.stdout).toContain(
      '  app rollout: 3 containers × (1 pool × (5 + 0) + 1 probe) = 18 (15 pool + 3 probe)\n',
    );
  });

  it(
    'counts a Compose service labelled as not running clientats-runtime without the readiness ' +
      'connection',
    async () => {
      const file = folder.write(
        'ecto/docker-compose.yml',
        stringify({
          services: {
            ecto: {
              image: 'ecto-app',
              environment: { POOL_SIZE: 10 },
              labels: ['dev.clientats.runtime=false'],
            },
          },
        }),
      );
      const result = await runCheck('check', file, '--max-connections', '100');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(
        '  ecto rollout: 1 container × (1 pool × (10 + 0)) = 10 (10 pool + 0 probe), ' +
          'no readiness connection: not clientats-runtime\n',
      );
    },
  );

  it('counts an app.json marked as not running clientats-runtime without the readiness connection', async () => {
    const file = folder.write(
      'plain/app.json',
      JSON.stringify({
        name: 'plain',
        env: { POOL_SIZE: '10' },
        formation: { web: { quantity: 2 } },
        clientats: { runtime: false },
      }),
    );
    const result = await runCheck('check', file, '--max-connections', '100');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '  plain/web rollout: 2 dynos (no preboot) × (1 pool × (10 + 0)) = 20 (20 pool + 0 probe), ' +
        'no readiness connection: not clientats-runtime\n',
    );
  });

  it('fails when the runtime marker is neither true nor false', async () => {
    const file = folder.write(
      'maybe/app.json',
      JSON.stringify({ env: { POOL_SIZE: '10' }, clientats: { runtime: 'maybe' } }),
    );
    expect(await runCheck('check', file, '--max-connections', '100')).toEqual({
      code: 2,
      stdout: '',
      stderr: `clientats-deploy: ${file}: clientats.runtime must be "true" or "false", got "maybe"\n`,
    });
  });
});
