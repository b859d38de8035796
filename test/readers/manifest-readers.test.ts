import { describe, expect, it } from 'vitest';
import { composeDurationSeconds, readComposeFile } from '../../src/readers/compose-file.js';
import { readHerokuAppJson } from '../../src/readers/heroku-app-json.js';
import { readKubernetesObjects } from '../../src/readers/kubernetes-manifests.js';

function deployment(env: unknown[], spec: Record<string, unknown> = {}): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 2, ...spec, template: { spec: { containers: [{ name: 'app', env }] } } },
  };
}

describe('readKubernetesObjects', () => {
  it('reads POOL_* from env and ConfigMaps, the HPA max and the strategy', () => {
    const findings = readKubernetesObjects([
      {
        source: 'a.yaml#1',
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pool' }, data: { POOL_SIZE: '7' } },
      },
      {
        source: 'a.yaml#2',
        object: deployment(
          [{ name: 'POOL_COUNT', valueFrom: { configMapKeyRef: { name: 'pool', key: 'POOL_SIZE' } } }],
          { strategy: { type: 'Recreate' } },
        ),
      },
      {
        source: 'b.yaml',
        object: {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: 'web-hpa' },
          spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 9 },
        },
      },
    ]);
    expect(findings.consumers).toEqual([
      {
        kind: 'kubernetes',
        name: 'web',
        source: 'a.yaml#2',
        workload: 'Deployment',
        replicas: 2,
        hpaMaxReplicas: 9,
        strategy: { type: 'Recreate' },
        pool: { poolSize: 10, poolCount: 7, maxOverflow: 0 },
      },
    ]);
  });

  it('uses Kubernetes defaults: 1 replica, 25 % / 25 %, 30 s grace, 1 s probe timeout', () => {
    const object = deployment([{ name: 'POOL_SIZE', value: '5' }]) as {
      spec: Record<string, unknown> & { template: { spec: { containers: Record<string, unknown>[] } } };
    };
    delete object.spec.replicas;
    object.spec.template.spec.containers[0].readinessProbe = {
      httpGet: { path: '/health/ready', port: 4000 },
    };
    const findings = readKubernetesObjects([{ source: 'x.yaml', object }]);
    expect(findings.consumers[0]).toMatchObject({ replicas: 1, strategy: { type: 'RollingUpdate' } });
    expect(findings.timing[0]).toMatchObject({ readinessProbeTimeoutSeconds: 1, gracePeriodSeconds: 30 });
  });

  it('gives an HPA to the Deployment in its own file when environments reuse names', () => {
    const hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 8 },
    };
    const findings = readKubernetesObjects([
      { source: 'fixed.k8s.yaml', object: deployment([{ name: 'POOL_SIZE', value: '5' }]) },
      { source: 'autoscaled.k8s.yaml#1', object: deployment([{ name: 'POOL_SIZE', value: '5' }]) },
      { source: 'autoscaled.k8s.yaml#2', object: hpa },
    ]);
    expect(
      findings.consumers.map((consumer) => [
        consumer.source,
        (consumer as { hpaMaxReplicas?: number }).hpaMaxReplicas,
      ]),
    ).toEqual([
      ['fixed.k8s.yaml', undefined],
      ['autoscaled.k8s.yaml#1', 8],
    ]);
  });

  it('skips Deployments that do not talk to the database', () => {
    const findings = readKubernetesObjects([
      { source: 'x.yaml', object: deployment([{ name: 'LOG_LEVEL', value: 'info' }]) },
    ]);
    expect(findings.consumers).toEqual([]);
    expect(findings.notes).toEqual([
      'x.yaml: Deployment "web" sets no POOL_* or DATABASE_URL: not a database client',
    ]);
  });

  it('fails when POOL_SIZE comes from a ConfigMap that is not in the input', () => {
    expect(() =>
      readKubernetesObjects([
        {
          source: 'x.yaml',
          object: deployment([
            { name: 'POOL_SIZE', valueFrom: { configMapKeyRef: { name: 'gone', key: 'size' } } },
          ]),
        },
      ]),
    ).toThrow(
      'x.yaml: Deployment "web" container "app" env POOL_SIZE comes from ' +
        '{"configMapKeyRef":{"name":"gone","key":"size"}}, which is not in the input: ' +
        'the budget needs its value (use a literal value or include the ConfigMap)',
    );
  });

  it('fails when maxSurge is not a count or a percentage', () => {
    expect(() =>
      readKubernetesObjects([
        {
          source: 'x.yaml',
          object: deployment([{ name: 'POOL_SIZE', value: '5' }], {
            strategy: { rollingUpdate: { maxSurge: 'lots' } },
          }),
        },
      ]),
    ).toThrow(
      'x.yaml: Deployment "web" spec.strategy.rollingUpdate.maxSurge must be an integer >= 0 or a ' +
        'percentage like "25%", got "lots"',
    );
  });
});

describe('readComposeFile', () => {
  it('reads list and map environments, deploy.replicas and ${VAR:-default}', () => {
    const findings = readComposeFile(
      {
        services: {
          app: {
            environment: ['POOL_SIZE=${POOL_SIZE:-15}', 'POOL_COUNT=2'],
            deploy: { replicas: 3 },
            stop_grace_period: '1m30s',
          },
          worker: { environment: { POOL_SIZE: 4, MAX_OVERFLOW: 1 } },
          db: { image: 'postgres:17' },
        },
      },
      'compose.yml',
    );
    expect(findings.consumers).toEqual([
      {
        kind: 'compose',
        name: 'app',
        source: 'compose.yml',
        replicas: 3,
        pool: { poolSize: 15, poolCount: 2, maxOverflow: 0 },
      },
      {
        kind: 'compose',
        name: 'worker',
        source: 'compose.yml',
        replicas: 1,
        pool: { poolSize: 4, poolCount: 1, maxOverflow: 1 },
      },
    ]);
    expect(findings.timing.map((facts) => facts.gracePeriodSeconds)).toEqual([90, 10]);
  });

  it('reads deploy.replicas as Compose casts it: "3" and ${VAR:-3} are 3', () => {
    const findings = readComposeFile(
      {
        services: {
          app: { environment: ['POOL_SIZE=5'], deploy: { replicas: '3' } },
          worker: { environment: ['POOL_SIZE=5'], deploy: { replicas: '${WORKERS:-2}' } },
        },
      },
      'compose.yml',
    );
    expect(findings.consumers.map((consumer) => (consumer as { replicas?: number }).replicas)).toEqual([
      3, 2,
    ]);
    expect(() =>
      readComposeFile(
        { services: { app: { environment: ['POOL_SIZE=5'], deploy: { replicas: 'three' } } } },
        'compose.yml',
      ),
    ).toThrow('compose.yml: service "app" deploy.replicas must be an integer >= 0, got "three"');
  });

  it('fails when a pool value is interpolated without a default', () => {
    expect(() =>
      readComposeFile({ services: { app: { environment: ['POOL_SIZE=${SIZE}'] } } }, 'compose.yml'),
    ).toThrow(
      'compose.yml: service "app" environment POOL_SIZE uses ${SIZE} without a default, ' +
        'got "${SIZE}": write the value or ${SIZE:-value}',
    );
  });

  it('reads Compose durations', () => {
    expect(composeDurationSeconds('500ms', 'x')).toBe(0.5);
    expect(() => composeDurationSeconds('soon', 'app stop_grace_period')).toThrow(
      'app stop_grace_period must be a duration like "30s" or "1m30s", got "soon"',
    );
  });
});

describe('readHerokuAppJson', () => {
  it('reads env, every process type of the formation and preboot from features (web only)', () => {
    const findings = readHerokuAppJson(
      {
        name: 'clientats-prod',
        env: { POOL_SIZE: '12', MAX_OVERFLOW: { value: '4' }, DATABASE_URL: { required: true } },
        formation: { web: { quantity: 2 }, worker: { quantity: 1 } },
        features: ['preboot'],
      },
      'heroku/app.json',
    );
    expect(findings.consumers).toEqual([
      {
        kind: 'heroku',
        name: 'clientats-prod/web',
        source: 'heroku/app.json',
        dynos: 2,
        preboot: true,
        pool: { poolSize: 12, poolCount: 1, maxOverflow: 4 },
      },
      {
        kind: 'heroku',
        name: 'clientats-prod/worker',
        source: 'heroku/app.json',
        dynos: 1,
        preboot: false,
        pool: { poolSize: 12, poolCount: 1, maxOverflow: 4 },
      },
    ]);
  });

  it('takes preboot from the caller and one web dyno when there is no formation', () => {
    const findings = readHerokuAppJson({ env: { POOL_SIZE: '3' } }, 'heroku/clientats-dev/app.json', {
      preboot: true,
    });
    expect(findings.consumers[0]).toMatchObject({ name: 'clientats-dev/web', dynos: 1, preboot: true });
  });
});
