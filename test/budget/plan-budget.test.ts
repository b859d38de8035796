import { describe, expect, it } from 'vitest';
import type { KubernetesConsumer } from '../../src/budget/budget-types.js';
import { planHpaMax, planPoolSize } from '../../src/budget/plan-budget.js';

const TEN_PODS: KubernetesConsumer = {
  kind: 'kubernetes',
  name: 'web',
  replicas: 10,
  pool: { poolSize: 8, poolCount: 1, maxOverflow: 2 },
};

describe('planPoolSize', () => {
  it("finds the largest POOL_SIZE for the guide's 10 pods on a 100-connection server", () => {
    const result = planPoolSize(TEN_PODS, { name: 'db', maxConnections: 100 });
    // 13 pods × (S + 2 + 1) <= 97 ⇒ S = 4 (91); S = 5 needs 104.
    expect(result.value).toBe(4);
    expect(result.budget.totals.rollout).toBe(91);
    expect(result.next?.totals.rollout).toBe(104);
    expect(result.summary).toBe(
      'largest POOL_SIZE that fits: 4 — rollout 91 ≤ 97 usable (max_connections 100 − 3 reserved): ' +
        '13 pods (10 replicas + 3 surge) × (1 pool × (4 + 2) + 1 probe); ' +
        'POOL_SIZE 5 would need 104 > 97',
    );
  });

  it('counts other clients of the database', () => {
    const result = planPoolSize(
      TEN_PODS,
      { name: 'db', maxConnections: 100 },
      { others: [{ kind: 'other', name: 'migrations', connections: 20 }] },
    );
    expect(result.value).toBe(2);
  });

  it('says so when even POOL_SIZE 1 does not fit', () => {
    const result = planPoolSize(TEN_PODS, { name: 'db', maxConnections: 40 });
    expect(result.value).toBeUndefined();
    expect(result.summary).toBe(
      'no POOL_SIZE fits: even POOL_SIZE 1 needs rollout 52 > 37 usable (max_connections 40 − 3 ' +
        'reserved): 13 pods (10 replicas + 3 surge) × (1 pool × (1 + 2) + 1 probe)',
    );
  });
});

describe('planHpaMax', () => {
  it('finds the largest HPA maxReplicas, surge included', () => {
    // per pod 11; M + ceil(M / 4) pods: M = 7 ⇒ 9 pods = 99 > 97; M = 6 ⇒ 8 pods = 88.
    const result = planHpaMax(TEN_PODS, { name: 'db', maxConnections: 100 });
    expect(result.value).toBe(6);
    expect(result.budget.totals.rollout).toBe(88);
    expect(result.next?.totals.rollout).toBe(99);
  });
});
