import { describe, expect, it } from 'vitest';
import { containerEnvironment, type EnvironmentLookup } from '../../src/readers/container-environment.js';
import { readKubernetesObjects } from '../../src/readers/kubernetes-manifests.js';

const nothing: EnvironmentLookup = () => undefined;

function deployment(container: Record<string, unknown>): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api2' },
    spec: { replicas: 20, template: { spec: { containers: [{ name: 'app', ...container }] } } },
  };
}

describe('containerEnvironment', () => {
  it('fails when an envFrom Secret that is not in the input may set the pool', () => {
    expect(() =>
      readKubernetesObjects([
        {
          source: 'envfrom.yaml',
          object: deployment({ envFrom: [{ secretRef: { name: 'clientats-env' } }] }),
        },
      ]),
    ).toThrow(
      'envfrom.yaml: Deployment "api2" container "app" envFrom Secret "clientats-env" is not in the ' +
        'input and may set POOL_SIZE, POOL_COUNT, MAX_OVERFLOW or DATABASE_URL: ' +
        'check it together with the file that defines it, or set POOL_SIZE, ' +
        'POOL_COUNT and MAX_OVERFLOW in env (env wins over envFrom)',
    );
  });

  it('fails when an envFrom ConfigMap that is not in the input may set what env leaves out', () => {
    expect(() =>
      containerEnvironment(
        {
          envFrom: [{ configMapRef: { name: 'pool' } }],
          env: [
            { name: 'POOL_SIZE', value: '5' },
            { name: 'POOL_COUNT', value: '1' },
          ],
        },
        nothing,
        'x.yaml: Deployment "web" container "app"',
      ),
    ).toThrow(
      'x.yaml: Deployment "web" container "app" envFrom ConfigMap "pool" is not in the input and may ' +
        'set MAX_OVERFLOW or DATABASE_URL: check it together with the file that defines it, ' +
        'or set MAX_OVERFLOW in env (env wins over envFrom)',
    );
    // Once env sets every pool variable (env wins), the missing source cannot change the count.
    const environment = containerEnvironment(
      {
        envFrom: [{ secretRef: { name: 'elsewhere' } }],
        env: ['POOL_SIZE', 'POOL_COUNT', 'MAX_OVERFLOW'].map((name) => ({ name, value: '3' })),
      },
      nothing,
      'x',
    );
    expect(environment).toEqual({ POOL_SIZE: '3', POOL_COUNT: '3', MAX_OVERFLOW: '3' });
  });

  it('reads envFrom and secretKeyRef from a Secret in the input (data in base64, stringData as is)', () => {
    const findings = readKubernetesObjects([
      {
        source: 'a.yaml#1',
        object: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'clientats-env' },
          data: { POOL_SIZE: Buffer.from('25').toString('base64') },
          stringData: { DATABASE_URL: 'postgres://app:pw@db/x', MAX_OVERFLOW: '2' },
        },
      },
      {
        source: 'a.yaml#2',
        object: deployment({
          envFrom: [{ secretRef: { name: 'clientats-env' } }],
          env: [
            {
              name: 'POOL_COUNT',
              valueFrom: { secretKeyRef: { name: 'clientats-env', key: 'MAX_OVERFLOW' } },
            },
          ],
        }),
      },
    ]);
    expect(findings.consumers).toMatchObject([
      { name: 'api2', replicas: 20, pool: { poolSize: 25, poolCount: 2, maxOverflow: 2 } },
    ]);
  });

  it('counts without an optional envFrom source that is not in the input, and says so', () => {
    const notes: string[] = [];
    const environment = containerEnvironment(
      {
        envFrom: [{ secretRef: { name: 'extra', optional: true } }],
        env: [{ name: 'POOL_SIZE', value: '4' }],
      },
      nothing,
      'x.yaml: Deployment "web" container "app"',
      notes,
    );
    expect(environment).toEqual({ POOL_SIZE: '4' });
    expect(notes).toEqual([
      'x.yaml: Deployment "web" container "app" envFrom Secret "extra" (optional) ' +
        'is not in the input: counted without it; if it exists and sets POOL_COUNT and MAX_OVERFLOW, ' +
        'the count is off',
    ]);
  });
});
