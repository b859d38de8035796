import { describe, expect, it } from 'vitest';
import type { Consumer, HerokuConsumer } from '../../src/budget/budget-types.js';
import { computeTieredBudget, type TierInput } from '../../src/budget/pgbouncer-tier-budget.js';

const STANDARD_0 = { name: 'heroku-db', maxConnections: 120 };

/** A web process type with preboot behind its dynos' bouncers: 1 × (10 + 5) + 1 = 16 per dyno. */
function web(app: string, dynos: number): HerokuConsumer {
  return {
    kind: 'heroku',
    name: `${app}/web`,
    dynos,
    preboot: true,
    pool: { poolSize: 10, poolCount: 1, maxOverflow: 5 },
    pooler: 'pgbouncer',
  };
}

/** The per-dyno tier the app.json reader builds for `app`. */
function perDyno(app: string, defaultPoolSize = 4): TierInput {
  return {
    name: app,
    source: `heroku/${app}/app.json`,
    pools: {
      databases: [{ name: 'db1', users: [{ user: 'DATABASE_URL' }] }],
      defaultPoolSize,
      reservePoolSize: 1,
      maxClientConn: 100,
    },
    fleet: { replicas: 1, placement: { kind: 'per-instance', unit: 'dyno', serves: [`${app}/web`] } },
  };
}

describe('computeTieredBudget with a bouncer in every dyno', () => {
  it('counts 10 preboot dynos as 20 bouncers × 5 = 100 of 117 where 320 direct would not fit', () => {
    const direct = computeTieredBudget([{ ...web('api', 10), pooler: undefined }], [], STANDARD_0);
    expect(direct.totals.rollout).toBe(320);
    expect(direct.fits).toBe(false);

    const budget = computeTieredBudget([web('api', 10)], [perDyno('api')], STANDARD_0);
    expect(budget.totals).toEqual({ steady: 100, rollout: 100, strict: 100 });
    expect(budget.usable).toBe(117);
    expect(budget.fits).toBe(true);
    expect(budget.consumers.map((consumer) => [consumer.name, consumer.arithmetic.rollout])).toEqual([
      ['pgbouncer api', '100 (PgBouncer, one per dyno: 20 dynos × 5 server connections)'],
    ]);
    expect(budget.pgbouncer![0]!.behind.map((consumer) => consumer.instances)).toEqual([
      { steady: 10, rollout: 20, strict: 20 },
    ]);
  });

  it('counts a release-phase or one-off client directly next to the dynos’ bouncers', () => {
    const release: Consumer = { kind: 'other', name: 'release phase', connections: 17 };
    const budget = computeTieredBudget([web('api', 10), release], [perDyno('api')], STANDARD_0);
    expect(budget.totals.rollout).toBe(117);
    expect(budget.pgbouncer![0]!.budget.server).toMatchObject({ direct: 17, total: 117, fits: true });
    expect(budget.fits).toBe(true);
  });

  it('gives each app its own per-dyno tier when two apps share one database', () => {
    const budget = computeTieredBudget(
      [web('api', 4), web('admin', 2)],
      [perDyno('api'), perDyno('admin', 2)],
      STANDARD_0,
    );
    // api: 8 dynos × 5 = 40; admin: 4 dynos × 3 = 12.
    expect(budget.pgbouncer!.map((tier) => [tier.name, tier.budget.server.bouncerConnections])).toEqual([
      ['api', 40],
      ['admin', 12],
    ]);
    expect(budget.totals.rollout).toBe(52);
  });

  it('fails when one dyno opens more than its bouncer accepts, saying it is per dyno', () => {
    const tier = perDyno('api');
    const budget = computeTieredBudget(
      [web('api', 2)],
      [{ ...tier, pools: { ...tier.pools, maxClientConn: 10 } }],
      STANDARD_0,
    );
    expect(budget.fits).toBe(false);
    expect(budget.violation).toBe(
      "PgBouncer api client side over budget: one dyno opens 16 connections > its own bouncer's max_client_conn 10",
    );
  });

  it('fails when a pooled app is not one the per-dyno bouncer runs in', () => {
    const other: Consumer = {
      kind: 'kubernetes',
      name: 'worker',
      replicas: 1,
      pool: { poolSize: 2, poolCount: 1, maxOverflow: 0 },
      pooler: 'pgbouncer',
    };
    expect(() => computeTieredBudget([web('api', 2), other], [perDyno('api')], STANDARD_0)).toThrow(
      'worker connect through PgBouncer (DATABASE_POOLER=pgbouncer) but the only PgBouncer of database ' +
        '"heroku-db" in the input runs inside other apps (api): pass its ConfigMap and Deployment, ' +
        'or its pgbouncer.ini with --pgbouncer-replicas N',
    );
  });
});
