import { describe, expect, it } from 'vitest';
import {
  bouncerServerConnections,
  pgbouncerBudget,
  SPREAD_ASSUMPTION,
  type BouncerPools,
} from '../../src/budget/pgbouncer-budget.js';

const oneDatabase = (users: string[], extra: Partial<BouncerPools> = {}): BouncerPools => ({
  databases: [{ name: 'app', users: users.map((user) => ({ user })) }],
  ...extra,
});

describe('bouncerServerConnections', () => {
  it.each([
    ['PgBouncer defaults: one pool of 20', oneDatabase(['app']), 20, 20],
    ['pool + reserve', oneDatabase(['app'], { defaultPoolSize: 10, reservePoolSize: 2 }), 12, 12],
    ['one pool per user', oneDatabase(['app', 'reports'], { defaultPoolSize: 10 }), 20, 20],
    [
      'max_db_connections caps the database',
      oneDatabase(['a', 'b', 'c'], { defaultPoolSize: 20, maxDbConnections: 25 }),
      25,
      60,
    ],
    [
      'max_db_connections 0 is no cap',
      oneDatabase(['a', 'b'], { defaultPoolSize: 20, maxDbConnections: 0 }),
      40,
      40,
    ],
    [
      'max_user_connections caps a user across databases',
      {
        databases: [
          { name: 'one', users: [{ user: 'app' }] },
          { name: 'two', users: [{ user: 'app' }] },
        ],
        defaultPoolSize: 20,
        maxUserConnections: 30,
      },
      30,
      40,
    ],
    [
      'a [users] cap overrides the global one',
      {
        databases: [{ name: 'one', users: [{ user: 'app' }, { user: 'ops' }] }],
        defaultPoolSize: 20,
        maxUserConnections: 30,
        userMaxConnections: { ops: 5 },
      },
      25,
      40,
    ],
    [
      'a database entry sets its own pool_size, reserve_pool and max_db_connections',
      {
        databases: [
          { name: 'big', users: [{ user: 'app' }], poolSize: 50, reservePoolSize: 5, maxDbConnections: 40 },
          { name: 'small', users: [{ user: 'app' }] },
        ],
        defaultPoolSize: 10,
        reservePoolSize: 1,
      },
      51,
      66,
    ],
    [
      'both caps together: exact (a maximum flow), not the sum of caps',
      {
        databases: [
          { name: 'd1', users: [{ user: 'u1' }, { user: 'u2' }], maxDbConnections: 10 },
          { name: 'd2', users: [{ user: 'u1' }] },
        ],
        defaultPoolSize: 10,
        userMaxConnections: { u1: 10 },
      },
      20,
      30,
    ],
    [
      'a user capped in one database leaves room in the other',
      {
        databases: [
          { name: 'd1', users: [{ user: 'u1' }], maxDbConnections: 4 },
          { name: 'd2', users: [{ user: 'u1' }] },
        ],
        defaultPoolSize: 10,
        userMaxConnections: { u1: 12 },
      },
      12,
      20,
    ],
  ] as const)('%s', (_name, bouncer, perBouncer, uncapped) => {
    const result = bouncerServerConnections(bouncer);
    expect({ perBouncer: result.perBouncer, uncapped: result.uncapped }).toEqual({ perBouncer, uncapped });
  });

  it('fails when a pool size is negative', () => {
    expect(() => bouncerServerConnections(oneDatabase(['app'], { defaultPoolSize: -1 }))).toThrow(
      'default_pool_size must be an integer >= 0, got -1',
    );
  });

  it('fails when max_db_connections is not an integer', () => {
    expect(() => bouncerServerConnections(oneDatabase(['app'], { maxDbConnections: 2.5 }))).toThrow(
      'max_db_connections of app must be an integer >= 0, got 2.5',
    );
  });
});

describe('pgbouncerBudget', () => {
  // The guide's 10 pods × (POOL_SIZE 8 + MAX_OVERFLOW 2) on a 100-connection server, + 1 readiness connection each:
  // 13 instances with the 25 % surge × 11 = 143 connections, which cannot fit 97 usable directly.
  const guideFleet = { name: 'api', instances: 13, perInstance: 11 };

  it(
    "fits the guide's 10 pods through two bouncers: 3 bouncer pods × 25 + 2 direct <= 97, " +
      '143 clients <= 2 × 100',
    () => {
      const budget = pgbouncerBudget({
        usable: 97,
        bouncer: oneDatabase(['app'], { defaultPoolSize: 20, reservePoolSize: 5 }),
        fleet: { replicas: 2 },
        behind: [guideFleet],
        direct: [{ name: 'migrations', instances: 1, perInstance: 2 }],
      });
      expect(budget.server).toEqual({
        bouncerInstances: 3,
        bouncerConnections: 75,
        direct: 2,
        total: 77,
        usable: 97,
        fits: true,
      });
      expect(budget.client).toEqual({
        demand: 143,
        maxClientConn: 100,
        servingBouncers: 2,
        downDuringRollout: 1,
        capacity: 200,
        strictCapacity: 100,
        fits: true,
        fitsStrict: false,
        assumption: SPREAD_ASSUMPTION,
      });
      expect(budget.fits).toBe(true);
    },
  );

  it.each([
    // replicas, hpa max, hpa min, strategy, bouncer instances (server side), serving (client side), down during rollout
    [2, undefined, undefined, undefined, 3, 2, 1],
    [4, undefined, undefined, undefined, 5, 4, 1],
    [8, undefined, undefined, undefined, 10, 8, 2],
    [2, 6, 2, undefined, 8, 2, 1],
    [3, undefined, undefined, { type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 1 }, 3, 3, 1],
    [3, undefined, undefined, { type: 'Recreate' }, 3, 3, 3],
  ] as const)(
    'counts %i bouncer replicas (HPA max %s, min %s, strategy %j) like any Deployment',
    (
      replicas,
      hpaMaxReplicas,
      hpaMinReplicas,
      strategy,
      bouncerInstances,
      servingBouncers,
      downDuringRollout,
    ) => {
      const budget = pgbouncerBudget({
        usable: 1000,
        bouncer: oneDatabase(['app'], { defaultPoolSize: 10 }),
        fleet: { replicas, hpaMaxReplicas, hpaMinReplicas, strategy },
        behind: [],
      });
      expect(budget.server.bouncerInstances).toBe(bouncerInstances);
      expect(budget.server.bouncerConnections).toBe(bouncerInstances * 10);
      expect({ serving: budget.client.servingBouncers, down: budget.client.downDuringRollout }).toEqual({
        serving: servingBouncers,
        down: downDuringRollout,
      });
    },
  );

  it('does not fit when the bouncers alone open more than usable', () => {
    const budget = pgbouncerBudget({
      usable: 97,
      bouncer: oneDatabase(['app']),
      fleet: { replicas: 4 },
      behind: [guideFleet],
    });
    expect(budget.server).toMatchObject({ bouncerInstances: 5, total: 100, fits: false });
    expect(budget.fits).toBe(false);
  });

  it('does not fit when the apps open more client connections than the bouncers take', () => {
    const budget = pgbouncerBudget({
      usable: 97,
      bouncer: oneDatabase(['app'], { defaultPoolSize: 10, maxClientConn: 60 }),
      fleet: { replicas: 2 },
      behind: [guideFleet],
    });
    expect(budget.client).toMatchObject({ demand: 143, capacity: 120, fits: false, fitsStrict: false });
    expect(budget.fits).toBe(false);
  });

  it('fails when an HPA maximum is below the replicas', () => {
    expect(() =>
      pgbouncerBudget({
        usable: 97,
        bouncer: oneDatabase(['app']),
        fleet: { replicas: 3, hpaMaxReplicas: 2 },
        behind: [],
      }),
    ).toThrow('fleet.hpaMaxReplicas must be an integer >= 3, got 2');
  });

  it('fails when a client has a fractional instance count', () => {
    expect(() =>
      pgbouncerBudget({
        usable: 97,
        bouncer: oneDatabase(['app']),
        fleet: { replicas: 2 },
        behind: [{ name: 'api', instances: 1.5, perInstance: 11 }],
      }),
    ).toThrow('behind api: instances must be an integer >= 0, got 1.5');
  });
});

describe('pgbouncerBudget with one bouncer per dyno (Heroku pgbouncer buildpack)', () => {
  // Standard-0: 117 usable. 10 web dynos with preboot = 20 during a deploy, 1 × (10 + 5) + 1 = 16 each.
  const perDyno = {
    usable: 117,
    bouncer: {
      databases: [{ name: 'db1', users: [{ user: 'DATABASE_URL' }] }],
      defaultPoolSize: 4,
      reservePoolSize: 1,
      maxClientConn: 100,
    },
    fleet: {
      replicas: 10,
      placement: { kind: 'per-instance', unit: 'dyno', serves: ['clientats/web'] },
    },
    behind: [{ name: 'clientats/web', instances: 20, perInstance: 16 }],
  } as const;

  it('counts one bouncer per dyno behind it on the server side: 20 dynos × (4 + 1) = 100 ≤ 117', () => {
    const budget = pgbouncerBudget(perDyno);
    expect(budget.perBouncer).toBe(5);
    expect(budget.server).toEqual({
      bouncerInstances: 20,
      bouncerConnections: 100,
      direct: 0,
      total: 100,
      usable: 117,
      fits: true,
    });
    expect(budget.perInstance).toEqual({ unit: 'dyno' });
    expect(budget.fits).toBe(true);
  });

  it('checks one dyno against its own bouncer on the client side: 16 ≤ max_client_conn 100', () => {
    expect(pgbouncerBudget(perDyno).client).toEqual({
      demand: 16,
      maxClientConn: 100,
      servingBouncers: 1,
      downDuringRollout: 0,
      capacity: 100,
      strictCapacity: 100,
      fits: true,
      fitsStrict: true,
      assumption:
        "one PgBouncer runs inside every dyno and serves only that dyno's connections, so the client side is per " +
        'dyno; a deploy adds bouncers with the new dynos, counted on the server side',
    });
  });

  it('fails the server side when the dynos outgrow the plan: 24 dynos × 5 + 2 direct = 122 > 117', () => {
    const budget = pgbouncerBudget({
      ...perDyno,
      behind: [{ name: 'clientats/web', instances: 24, perInstance: 16 }],
      direct: [{ name: 'release', instances: 1, perInstance: 2 }],
    });
    expect(budget.server).toMatchObject({
      bouncerInstances: 24,
      bouncerConnections: 120,
      total: 122,
      fits: false,
    });
    expect(budget.fits).toBe(false);
  });

  it('fails the client side when one dyno opens more than max_client_conn: 16 > 15', () => {
    const budget = pgbouncerBudget({ ...perDyno, bouncer: { ...perDyno.bouncer, maxClientConn: 15 } });
    expect(budget.client).toMatchObject({ demand: 16, capacity: 15, fits: false });
    expect(budget.fits).toBe(false);
  });

  it("uses the buildpack's pool only as given: no PgBouncer default of 20 sneaks in", () => {
    const budget = pgbouncerBudget({ ...perDyno, bouncer: { ...perDyno.bouncer, defaultPoolSize: 1 } });
    expect(budget.server.bouncerConnections).toBe(40);
  });
});
