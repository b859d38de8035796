import { describe, expect, it } from 'vitest';
import { readKubernetesObjects } from '../../src/readers/kubernetes-manifests.js';

function deployment(name: string, namespace?: string): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
    spec: {
      replicas: 5,
      template: { spec: { containers: [{ name: 'app', env: [{ name: 'POOL_SIZE', value: '10' }] }] } },
    },
  };
}

function scaledObject(spec: Record<string, unknown>): unknown {
  return { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'api' }, spec };
}

function hpa(maxReplicas: number, namespace?: string): unknown {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'api', ...(namespace === undefined ? {} : { namespace }) },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' }, maxReplicas },
  };
}

const maxOf = (findings: ReturnType<typeof readKubernetesObjects>): unknown[] =>
  findings.consumers.map((consumer) => (consumer as { hpaMaxReplicas?: number }).hpaMaxReplicas);

describe('autoscalers', () => {
  it("counts a KEDA ScaledObject's maxReplicaCount like an HPA's maxReplicas", () => {
    const findings = readKubernetesObjects([
      { source: 'a.yaml#1', object: deployment('api') },
      { source: 'a.yaml#2', object: scaledObject({ scaleTargetRef: { name: 'api' }, maxReplicaCount: 50 }) },
    ]);
    expect(maxOf(findings)).toEqual([50]);
    expect(findings.notes).toEqual([]);
  });

  it("counts KEDA's default of 100 replicas when maxReplicaCount is unset, and says so", () => {
    const findings = readKubernetesObjects([
      { source: 'a.yaml#1', object: deployment('api') },
      { source: 'a.yaml#2', object: scaledObject({ scaleTargetRef: { name: 'api' } }) },
    ]);
    expect(maxOf(findings)).toEqual([100]);
    expect(findings.notes).toEqual([
      `a.yaml#2: ScaledObject "api" sets no spec.maxReplicaCount: counted at KEDA's default 100 replicas`,
    ]);
  });

  it('fails when an object of another kind scales a counted workload through spec.scaleTargetRef', () => {
    const scaler = {
      apiVersion: 'autoscaling.example.com/v1',
      kind: 'PredictiveScaler',
      metadata: { name: 'api-scaler' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'api' }, ceiling: 40 },
    };
    expect(() =>
      readKubernetesObjects([
        { source: 'a.yaml#1', object: deployment('api') },
        { source: 'a.yaml#2', object: scaler },
      ]),
    ).toThrow(
      'a.yaml#2: PredictiveScaler "api-scaler" ("autoscaling.example.com/v1") ' +
        'spec.scaleTargetRef scales Deployment "api", a database client, ' +
        'and the budget cannot read how far: give its maximum as a HorizontalPodAutoscaler (or KEDA ' +
        'ScaledObject) in the input instead',
    );
  });

  it('gives an HPA without a namespace to the one same-named Deployment, whatever its namespace', () => {
    const findings = readKubernetesObjects([
      { source: 'ns.yaml#1', object: deployment('api', 'prod') },
      { source: 'ns.yaml#2', object: hpa(30) },
    ]);
    expect(maxOf(findings)).toEqual([30]);
    expect(findings.notes).toEqual([]);
    // An HPA of another namespace still targets another Deployment.
    const other = readKubernetesObjects([
      { source: 'a.yaml#1', object: deployment('api', 'prod') },
      { source: 'a.yaml#2', object: hpa(30, 'staging') },
    ]);
    expect(maxOf(other)).toEqual([undefined]);
    expect(other.notes).toEqual([
      'a.yaml#2: HorizontalPodAutoscaler targets Deployment "api", which is not in the input',
    ]);
  });

  it('gives an HPA with a namespace to a same-named Deployment without one', () => {
    const findings = readKubernetesObjects([
      { source: 'a.yaml', object: deployment('api') },
      { source: 'b.yaml', object: hpa(30, 'prod') },
    ]);
    expect(maxOf(findings)).toEqual([30]);
  });

  it('fails when an HPA without a namespace matches Deployments in two namespaces', () => {
    expect(() =>
      readKubernetesObjects([
        { source: 'a.yaml#1', object: deployment('api', 'prod') },
        { source: 'a.yaml#2', object: deployment('api', 'staging') },
        { source: 'a.yaml#3', object: hpa(30) },
      ]),
    ).toThrow(
      'a.yaml#3: HorizontalPodAutoscaler "api" has no metadata.namespace and Deployment "api" is in ' +
        '2 namespaces (prod, staging): set metadata.namespace on the HorizontalPodAutoscaler, ' +
        'or check one namespace at a time',
    );
  });
});
