import { describe, expect, it } from 'vitest';
import type { Consumer, DatabaseLimits, KubernetesConsumer } from '../../src/budget/budget-types.js';
import { computeBudget, usableSlots } from '../../src/budget/compute-budget.js';

const SERVER_100: DatabaseLimits = { name: 'db', maxConnections: 100 };

/** The guide's "Kubernetes Deployment" example: 3 replicas, POOL_SIZE 10, POOL_COUNT 2, MAX_OVERFLOW 3. */
const GUIDE_KUBERNETES: KubernetesConsumer = {
  kind: 'kubernetes',
  name: 'clientats',
  replicas: 3,
  pool: { poolSize: 10, poolCount: 2, maxOverflow: 3 },
};

/** The guide's scaling plan: "10 pods × (8 + 2) = 100". */
const GUIDE_TEN_PODS: KubernetesConsumer = {
  kind: 'kubernetes',
  name: 'clientats-large',
  replicas: 10,
  pool: { poolSize: 8, poolCount: 1, maxOverflow: 2 },
};

describe("computeBudget: the guide's examples", () => {
  it(
    "counts the Kubernetes example as 78 pool connections steady, not the guide's 39, " +
      'plus one readiness connection per pod',
    () => {
      const budget = computeBudget([GUIDE_KUBERNETES], SERVER_100);
      const [consumer] = budget.consumers;
      expect(consumer.poolConnections.steady).toBe(78);
      expect(consumer.probeConnections.steady).toBe(3);
      expect(consumer.connections.steady).toBe(81);
      expect(consumer.perInstance).toBe(27);
      expect(consumer.arithmetic.steady).toBe('3 pods × (2 pools × (10 + 3) + 1 probe)');
    },
  );

  it('reports the Kubernetes example over a 100-connection server once the rollout surge pod is counted', () => {
    const budget = computeBudget([GUIDE_KUBERNETES], SERVER_100);
    expect(budget.totals).toEqual({ steady: 81, rollout: 108, strict: 162 });
    expect(budget.fits).toBe(false);
    expect(budget.violation).toBe(
      'worst case 108 > 97 usable (max_connections 100 − 3 reserved): 4 pods (3 replicas + 1 surge) ' +
        '× (2 pools × (10 + 3) + 1 probe)',
    );
  });

  it('reports the "10 pods × (8 + 2) = 100" plan over budget on a 100-connection server', () => {
    const budget = computeBudget([GUIDE_TEN_PODS], SERVER_100);
    expect(budget.usable).toBe(97);
    expect(budget.totals).toEqual({ steady: 110, rollout: 143, strict: 220 });
    expect(budget.fits).toBe(false);
    expect(budget.spare).toBe(-46);
    expect(budget.violation).toBe(
      'worst case 143 > 97 usable (max_connections 100 − 3 reserved): ' +
        '13 pods (10 replicas + 3 surge) × (1 pool × (8 + 2) + 1 probe)',
    );
  });

  it('still reports the plan over budget without surge: the reserved slots and probes alone break it', () => {
    const budget = computeBudget([{ ...GUIDE_TEN_PODS, strategy: { type: 'Recreate' } }], SERVER_100);
    expect(budget.totals.rollout).toBe(110);
    expect(budget.fits).toBe(false);
  });
});

describe('computeBudget', () => {
  it('passes an exact fit', () => {
    // 4 pods (3 + 1 surge) × (1 × (20 + 3) + 1) = 96 on 99 − 3 = 96 usable.
    const budget = computeBudget(
      [
        {
          kind: 'kubernetes',
          name: 'web',
          replicas: 3,
          pool: { poolSize: 20, poolCount: 1, maxOverflow: 3 },
        },
      ],
      { name: 'db', maxConnections: 99 },
    );
    expect(budget.totals.rollout).toBe(96);
    expect(budget.usable).toBe(96);
    expect(budget.fits).toBe(true);
    expect(budget.spare).toBe(0);
    expect(budget.violation).toBeUndefined();
  });

  it('fails one connection past an exact fit', () => {
    const budget = computeBudget(
      [
        {
          kind: 'kubernetes',
          name: 'web',
          replicas: 3,
          pool: { poolSize: 20, poolCount: 1, maxOverflow: 3 },
        },
      ],
      { name: 'db', maxConnections: 98 },
    );
    expect(budget.fits).toBe(false);
    expect(budget.spare).toBe(-1);
  });

  it.each([
    [1, 2],
    [2, 3],
    [3, 4],
    [4, 5],
    [5, 7],
    [8, 10],
    [10, 13],
    [12, 15],
  ])('adds the rounded-up 25 %% surge to %i replicas: %i pods during a rollout', (replicas, pods) => {
    const budget = computeBudget(
      [{ kind: 'kubernetes', name: 'web', replicas, pool: { poolSize: 1, poolCount: 1, maxOverflow: 0 } }],
      SERVER_100,
    );
    expect(budget.consumers[0].instances.rollout).toBe(pods);
  });

  it('counts HPA maxReplicas instead of replicas when autoscaled', () => {
    const budget = computeBudget([{ ...GUIDE_TEN_PODS, replicas: 3, hpaMaxReplicas: 10 }], SERVER_100);
    expect(budget.consumers[0].instances).toEqual({ steady: 10, rollout: 13, strict: 20 });
    expect(budget.consumers[0].arithmetic.rollout).toBe(
      '13 pods (10 HPA max + 3 surge) × (1 pool × (8 + 2) + 1 probe)',
    );
  });

  it('counts no surge and no terminating pods with Recreate', () => {
    const budget = computeBudget([{ ...GUIDE_TEN_PODS, strategy: { type: 'Recreate' } }], SERVER_100);
    expect(budget.consumers[0].instances).toEqual({ steady: 10, rollout: 10, strict: 10 });
    expect(budget.consumers[0].arithmetic.rollout).toBe(
      '10 pods (10 replicas, Recreate: no surge) × (1 pool × (8 + 2) + 1 probe)',
    );
  });

  it('counts a whole old ReplicaSet still terminating in the strict case', () => {
    const budget = computeBudget([GUIDE_KUBERNETES], SERVER_100, { mode: 'strict' });
    expect(budget.consumers[0].instances.strict).toBe(6);
    expect(budget.violation).toBe(
      'strict worst case (terminating pods connected) 162 > 97 usable (max_connections 100 − 3 ' +
        'reserved): 6 pods (3 replicas + 3 terminating) × (2 pools × (10 + 3) + 1 probe)',
    );
  });

  it('enforces the steady case on request', () => {
    expect(computeBudget([GUIDE_KUBERNETES], SERVER_100, { mode: 'steady' }).fits).toBe(true);
  });

  it('doubles Heroku web dynos while preboot is on', () => {
    const heroku: Consumer = {
      kind: 'heroku',
      name: 'clientats-prod',
      dynos: 2,
      preboot: true,
      pool: { poolSize: 12, poolCount: 1, maxOverflow: 4 },
    };
    const budget = computeBudget([heroku], { name: 'heroku', maxConnections: 120 });
    expect(budget.totals).toEqual({ steady: 34, rollout: 68, strict: 68 });
    expect(budget.consumers[0].arithmetic.rollout).toBe(
      '4 dynos (2 + 2 preboot) × (1 pool × (12 + 4) + 1 probe)',
    );
  });

  it('does not double Heroku dynos during a deploy without preboot, only in the strict case', () => {
    const heroku: Consumer = {
      kind: 'heroku',
      name: 'clientats-prod',
      dynos: 2,
      preboot: false,
      pool: { poolSize: 12, poolCount: 1, maxOverflow: 4 },
    };
    expect(computeBudget([heroku], SERVER_100).totals).toEqual({ steady: 34, rollout: 34, strict: 68 });
  });

  it('counts Compose deploy.replicas, one container when unset', () => {
    const pool = { poolSize: 15, poolCount: 2, maxOverflow: 5 };
    expect(
      computeBudget([{ kind: 'compose', name: 'app', replicas: 2, pool }], SERVER_100).totals.rollout,
    ).toBe(82);
    expect(computeBudget([{ kind: 'compose', name: 'app', pool }], SERVER_100).totals.rollout).toBe(41);
  });

  it('sums several services and other clients on one database and lists each in the violation', () => {
    const budget = computeBudget(
      [
        {
          kind: 'kubernetes',
          name: 'web',
          replicas: 2,
          pool: { poolSize: 10, poolCount: 1, maxOverflow: 0 },
        },
        { kind: 'compose', name: 'worker', replicas: 3, pool: { poolSize: 5, poolCount: 1, maxOverflow: 0 } },
        { kind: 'other', name: 'migrations', connections: 2, description: 'migration job' },
      ],
      { name: 'shared-db', maxConnections: 50 },
    );
    expect(budget.totals.rollout).toBe(33 + 18 + 2);
    expect(budget.violation).toBe(
      'worst case 53 > 47 usable (max_connections 50 − 3 reserved) on database shared-db: ' +
        'web 3 pods (2 replicas + 1 surge) × (1 pool × (10 + 0) + 1 probe) ' +
        '= 33 + worker 3 containers × (1 pool × (5 + 0) + 1 probe) = 18 + migrations 2 (migration job) ' +
        '= 2',
    );
  });

  it.each([
    // [workload, replicas, extra, pods steady / rollout / strict]
    ['Deployment', 4, {}, [4, 5, 8]],
    ['Deployment', 4, { hpaMaxReplicas: 6 }, [6, 8, 12]],
    ['StatefulSet', 4, { hpaMaxReplicas: 6 }, [6, 6, 6]],
    ['ReplicaSet', 4, {}, [4, 4, 4]],
    ['ReplicationController', 4, {}, [4, 4, 4]],
    ['DaemonSet', 4, { strategy: { type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 1 } }, [4, 4, 8]],
    ['DaemonSet', 4, { strategy: { type: 'RollingUpdate', maxSurge: '50%', maxUnavailable: 0 } }, [4, 6, 8]],
    ['Pod', 1, {}, [1, 1, 1]],
    ['Job', 3, {}, [3, 3, 3]],
    ['CronJob', 3, { overlappingRuns: true }, [3, 6, 6]],
    ['CronJob', 3, { overlappingRuns: false }, [3, 3, 3]],
  ] as const)('counts a %s of %i (%o) as %o pods', (workload, replicas, extra, [steady, rollout, strict]) => {
    const budget = computeBudget(
      [
        {
          kind: 'kubernetes',
          name: 'w',
          workload,
          replicas,
          ...extra,
          pool: { poolSize: 1, poolCount: 1, maxOverflow: 0 },
        },
      ],
      { name: 'db', maxConnections: 1000 },
    );
    expect(budget.consumers[0].instances).toEqual({ steady, rollout, strict });
  });

  it('counts a consumer without the readiness connection when it does not run the runtime', () => {
    const budget = computeBudget(
      [
        {
          kind: 'compose',
          name: 'ecto',
          replicas: 2,
          probeConnections: 0,
          pool: { poolSize: 10, poolCount: 1, maxOverflow: 0 },
        },
      ],
      SERVER_100,
    );
    expect(budget.consumers[0]).toMatchObject({
      readiness: false,
      perInstance: 10,
      connections: { steady: 20, rollout: 20, strict: 20 },
    });
    expect(budget.consumers[0].arithmetic.rollout).toBe('2 containers × (1 pool × (10 + 0))');
  });

  it('fails when a strategy bound is malformed, naming the consumer and keeping the cause', () => {
    let caught: unknown;
    try {
      computeBudget(
        [
          {
            kind: 'kubernetes',
            name: 'web',
            replicas: 2,
            strategy: { type: 'RollingUpdate', maxSurge: 'lots' },
            pool: { poolSize: 1, poolCount: 1, maxOverflow: 0 },
          },
        ],
        SERVER_100,
      );
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).message).toBe(
      'web maxSurge must be an integer >= 0 or a percentage like "25%", got "lots"',
    );
    expect((caught as Error).cause).toBeInstanceOf(Error);
  });

  it('fails when a count is not an integer', () => {
    expect(() =>
      computeBudget(
        [
          {
            kind: 'kubernetes',
            name: 'web',
            replicas: 1.5,
            pool: { poolSize: 1, poolCount: 1, maxOverflow: 0 },
          },
        ],
        SERVER_100,
      ),
    ).toThrow('web replicas must be an integer >= 0, got 1.5');
  });
});

describe('usableSlots', () => {
  it('takes every reservation, headroom and already connected clients out of max_connections', () => {
    expect(
      usableSlots({
        name: 'rds',
        maxConnections: 420,
        providerReserved: 2,
        reserved: 1,
        headroom: 10,
        alreadyConnected: 4,
      }),
    ).toEqual({
      usable: 400,
      arithmetic:
        'max_connections 420 − 6 reserved (3 superuser + 1 reserved_connections + 2 provider) ' +
        '− 10 headroom − 4 already connected',
    });
  });
});
