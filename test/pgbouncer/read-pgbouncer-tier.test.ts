import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { pgbouncerBudget } from '../../src/budget/pgbouncer-budget.js';
import { pgbouncerComposeFragment } from '../../src/pgbouncer/pgbouncer-compose-service.js';
import { PgBouncer } from '../../src/pgbouncer/pgbouncer.js';
import {
  readComposePgbouncerTiers,
  readKubernetesPgbouncerTiers,
} from '../../src/pgbouncer/read-pgbouncer-tier.js';

const GUIDE_BUDGET = {
  usable: 97,
  direct: [{ name: 'migrations', instances: 1, perInstance: 2 }],
  behind: [{ name: 'clientats', instances: 13, perInstance: 11 }],
};

function synthesized(): { bouncer: PgBouncer; objects: { object: unknown; source: string }[] } {
  const chart = new Chart(Testing.app(), 'test');
  const bouncer = new PgBouncer(chart, 'pgbouncer', {
    server: { host: 'db', database: 'app' },
    budget: GUIDE_BUDGET,
  });
  return {
    bouncer,
    objects: Testing.synth(chart).map((object, index) => ({ object, source: `prod.k8s.yaml#${index}` })),
  };
}

describe('readKubernetesPgbouncerTiers', () => {
  it('reads back exactly what the construct counts: same pools, same fleet, same two tiers', () => {
    const { bouncer, objects } = synthesized();
    const [tier, ...others] = readKubernetesPgbouncerTiers(objects);
    expect(others).toEqual([]);
    expect(tier!.name).toBe('pgbouncer');
    expect(tier!.fleet).toEqual({
      replicas: 2,
      strategy: { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 },
    });
    const read = pgbouncerBudget({ ...GUIDE_BUDGET, bouncer: tier!.pools, fleet: tier!.fleet });
    expect(read).toEqual(
      pgbouncerBudget({ ...GUIDE_BUDGET, bouncer: bouncer.bouncerPools(), fleet: bouncer.fleet() }),
    );
  });

  it('counts the HPA maximum of the bouncer Deployment', () => {
    const { objects } = synthesized();
    const hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'pgbouncer' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'pgbouncer' }, minReplicas: 2, maxReplicas: 4 },
    };
    const [tier] = readKubernetesPgbouncerTiers([...objects, { object: hpa, source: 'hpa.yaml' }]);
    expect(tier!.fleet).toMatchObject({ replicas: 2, hpaMaxReplicas: 4 });
  });

  it('fails when the ConfigMap with the ini is missing from the input', () => {
    const { objects } = synthesized();
    const withoutConfigMap = objects.filter(
      ({ object }) => (object as { kind: string }).kind !== 'ConfigMap',
    );
    expect(() => readKubernetesPgbouncerTiers(withoutConfigMap)).toThrow(
      'prod.k8s.yaml#1: Deployment "pgbouncer" runs PgBouncer but its pgbouncer.ini is not in the ' +
        'input (mounted ConfigMaps: pgbouncer): ' +
        'pass the ConfigMap, or the ini file with --pgbouncer-replicas',
    );
  });

  it('fails when no Deployment mounts the ini', () => {
    const { objects } = synthesized();
    const onlyConfigMap = objects.filter(({ object }) => (object as { kind: string }).kind === 'ConfigMap');
    expect(() => readKubernetesPgbouncerTiers(onlyConfigMap)).toThrow(
      'prod.k8s.yaml#0: ConfigMap "pgbouncer" holds a pgbouncer.ini that no Deployment in the input ' +
        'mounts: pass the Deployment too, so its replicas can be counted',
    );
  });
});

describe('readComposePgbouncerTiers', () => {
  const { bouncer } = synthesized();
  const fragment = pgbouncerComposeFragment({
    settings: bouncer.settings,
    userlistEnvironment: 'USERLIST',
    replicas: 2,
  });
  const document = {
    services: { ...fragment.services, app: { image: 'clientats' } },
    configs: fragment.configs,
    secrets: fragment.secrets,
  };

  it('reads the bouncer service, its inline ini and its replicas', () => {
    const [tier, ...others] = readComposePgbouncerTiers(document, 'docker-compose.prod.yml');
    expect(others).toEqual([]);
    expect(tier!.fleet).toEqual({ replicas: 2, strategy: { type: 'Recreate' } });
    expect(tier!.pools).toMatchObject({ defaultPoolSize: 31, maxDbConnections: 31, maxClientConn: 143 });
  });

  it('fails when the ini is a file outside the document', () => {
    const fromFile = { ...document, configs: { 'pgbouncer-ini': { file: './pgbouncer.ini' } } };
    expect(() => readComposePgbouncerTiers(fromFile, 'docker-compose.prod.yml')).toThrow(
      'docker-compose.prod.yml: service "pgbouncer" mounts config "pgbouncer-ini", ' +
        'which has no inline content here (file: ./pgbouncer.ini): ' +
        'pass that pgbouncer.ini to check as well',
    );
  });

  it('fails when a PgBouncer image runs without a mounted ini', () => {
    const envDialect = {
      services: { pgbouncer: { image: 'edoburu/pgbouncer:v1.24.1-p1', environment: { DATABASE_URL: 'x' } } },
    };
    expect(() => readComposePgbouncerTiers(envDialect, 'compose.yml')).toThrow(
      'compose.yml: service "pgbouncer" runs PgBouncer without a config mounted at ' +
        '/etc/pgbouncer/pgbouncer.ini, so its pools cannot be read: ' +
        'mount the ini as a Compose config, or pass the ini file with --pgbouncer-replicas',
    );
  });
});
