import { describe, expect, it } from 'vitest';
import { pgbouncerBudget, type BouncerPools } from '../../src/budget/pgbouncer-budget.js';
import {
  bouncersForBound,
  largestFleetBehind,
  perBouncerAt,
  requiredMaxClientConn,
  solveDefaultPoolSize,
} from '../../src/budget/pgbouncer-plan.js';

const app: BouncerPools = { databases: [{ name: 'app', users: [{ user: 'app' }] }] };

describe('solveDefaultPoolSize', () => {
  it.each([
    // usable, replicas, reserve, direct, expected: (usable − direct) / bouncer instances − reserve
    [97, 2, 0, 2, 31],
    [97, 2, 5, 2, 26],
    [97, 4, 0, 0, 19],
    [397, 3, 2, 10, 94],
    [20, 2, 0, 0, 6],
  ])(
    'usable %i, %i bouncers, reserve %i, %i direct: default_pool_size %i',
    (usable, replicas, reserve, direct, expected) => {
      const bouncer = { ...app, reservePoolSize: reserve };
      const fleet = { replicas };
      const directClients = [{ name: 'migrations', instances: 1, perInstance: direct }];
      const size = solveDefaultPoolSize({ usable, bouncer, fleet, direct: directClients });
      expect(size).toBe(expected);
      const at = (pool: number) =>
        pgbouncerBudget({
          usable,
          bouncer: { ...bouncer, defaultPoolSize: pool },
          fleet,
          direct: directClients,
          behind: [],
        });
      expect(at(expected).server.fits).toBe(true);
      expect(at(expected + 1).server.fits).toBe(false);
    },
  );

  it('counts every user pool', () => {
    const twoUsers: BouncerPools = {
      databases: [{ name: 'app', users: [{ user: 'app' }, { user: 'reports' }] }],
    };
    expect(solveDefaultPoolSize({ usable: 97, bouncer: twoUsers, fleet: { replicas: 2 } })).toBe(16);
    expect(perBouncerAt(twoUsers, 16)).toBe(32);
  });

  it('returns undefined when not even a pool of one fits', () => {
    expect(solveDefaultPoolSize({ usable: 2, bouncer: app, fleet: { replicas: 2 } })).toBeUndefined();
  });
});

describe('requiredMaxClientConn', () => {
  it.each([
    [143, 2, 'strict', 143],
    [143, 2, 'even', 100],
    [500, 2, 'even', 250],
    [500, 3, 'strict', 250],
    [500, 1, 'strict', 500],
  ] as const)('%i client connections on %i bouncers (%s): %i', (demand, replicas, bound, expected) => {
    expect(requiredMaxClientConn(demand, { replicas }, bound)).toBe(expected);
  });
});

describe('largestFleetBehind', () => {
  it('finds the largest app fleet, surge included, that fits the bouncers under the strict bound', () => {
    // 3 bouncers, one down in its rollout: 2 × 1000 client connections; (R + ceil(R / 4)) × 11 <= 2000.
    expect(largestFleetBehind({ fleet: { replicas: 3 }, maxClientConn: 1000, perInstance: 11 })).toEqual({
      replicas: 144,
      instances: 180,
      connections: 1980,
      capacity: 2000,
    });
  });

  it('uses every serving bouncer under the even bound and counts other clients behind them', () => {
    expect(
      largestFleetBehind({
        fleet: { replicas: 2 },
        maxClientConn: 100,
        perInstance: 11,
        otherBehind: 2,
        bound: 'even',
      }),
    ).toEqual({ replicas: 14, instances: 18, connections: 200, capacity: 200 });
  });

  it('returns undefined when one replica does not fit', () => {
    expect(
      largestFleetBehind({ fleet: { replicas: 2 }, maxClientConn: 10, perInstance: 11 }),
    ).toBeUndefined();
  });

  it('counts the bouncers a bound leaves serving', () => {
    expect([
      bouncersForBound({ replicas: 2 }, 'strict'),
      bouncersForBound({ replicas: 8 }, 'strict'),
      bouncersForBound({ replicas: 8 }, 'even'),
    ]).toEqual([1, 6, 8]);
  });
});
