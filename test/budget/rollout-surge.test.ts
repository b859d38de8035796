import { describe, expect, it } from 'vitest';
import { resolveRollout, scaleIntOrPercent } from '../../src/budget/rollout-surge.js';

describe('resolveRollout', () => {
  it.each([
    // replicas, surge (25 % rounded up), unavailable (25 % rounded down)
    [1, 1, 0],
    [2, 1, 0],
    [3, 1, 0],
    [4, 1, 1],
    [5, 2, 1],
    [10, 3, 2],
    [13, 4, 3],
  ])(
    'rounds the default 25 %% surge up and unavailable down for %i replicas',
    (replicas, surge, unavailable) => {
      expect(resolveRollout(replicas)).toEqual({ type: 'RollingUpdate', surge, unavailable });
    },
  );

  it('takes absolute counts as they are', () => {
    expect(resolveRollout(10, { type: 'RollingUpdate', maxSurge: 2, maxUnavailable: 0 })).toEqual({
      type: 'RollingUpdate',
      surge: 2,
      unavailable: 0,
    });
  });

  it('makes one pod unavailable when both bounds resolve to zero', () => {
    expect(resolveRollout(3, { type: 'RollingUpdate', maxSurge: 0, maxUnavailable: '10%' })).toEqual({
      type: 'RollingUpdate',
      surge: 0,
      unavailable: 1,
    });
  });

  it('never surges with Recreate', () => {
    expect(resolveRollout(10, { type: 'Recreate' })).toEqual({ type: 'Recreate', surge: 0, unavailable: 10 });
  });

  it('allows a surge above 100 %', () => {
    expect(resolveRollout(3, { type: 'RollingUpdate', maxSurge: '150%' }).surge).toBe(5);
  });

  it('fails when a bound is neither a count nor a percentage', () => {
    expect(() => resolveRollout(3, { type: 'RollingUpdate', maxSurge: '2' })).toThrow(
      'maxSurge must be an integer >= 0 or a percentage like "25%", got "2"',
    );
    expect(() => scaleIntOrPercent('maxUnavailable', -1, 3, 'down')).toThrow(
      'maxUnavailable must be an integer >= 0 or a percentage like "25%", got -1',
    );
  });
});
