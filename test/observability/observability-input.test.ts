import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ALERT_THRESHOLDS,
  environmentBudget,
  resolveThresholds,
} from '../../src/observability/index.js';
import { KUBERNETES_DATABASE, SHARED_DATABASE } from './observability-fixtures.js';

describe('environmentBudget', () => {
  it("takes the consumer's figure in the enforced case and the database's usable count", () => {
    expect(environmentBudget(KUBERNETES_DATABASE, 'clientats', 'kubernetes/clientats')).toEqual({
      database: 'clientats-db',
      mode: 'rollout',
      share: 81,
      usable: 97,
      maxConnections: 100,
      unmeasured: 0,
    });
    expect(environmentBudget({ ...SHARED_DATABASE, mode: 'strict' }, 'admin-web')).toMatchObject({
      share: 10,
      unmeasured: 2,
    });
  });

  it("fails when the consumer is not in the database's budget", () => {
    expect(() => environmentBudget(KUBERNETES_DATABASE, 'api')).toThrow(
      "consumer 'api' must appear once in the budget of database 'clientats-db', found 0 among " +
        "[clientats (kubernetes/clientats)]; pass the consumer's source to tell them apart",
    );
  });

  it('fails when two consumers share the name and no source tells them apart', () => {
    const twice = {
      ...KUBERNETES_DATABASE,
      consumers: [
        ...KUBERNETES_DATABASE.consumers,
        { ...KUBERNETES_DATABASE.consumers[0]!, source: 'other/clientats' },
      ],
    };
    expect(() => environmentBudget(twice, 'clientats')).toThrow(
      "consumer 'clientats' must appear once in the budget of database 'clientats-db', found 2",
    );
    expect(environmentBudget(twice, 'clientats', 'other/clientats').share).toBe(81);
  });
});

describe('resolveThresholds', () => {
  it('applies overrides over the defaults', () => {
    expect(resolveThresholds({ ofShare: 0.8 })).toEqual({ ...DEFAULT_ALERT_THRESHOLDS, ofShare: 0.8 });
  });

  it('fails when a fraction is 0 or not a number', () => {
    expect(() => resolveThresholds({ timeoutRatio: 0 })).toThrow(
      "alert threshold 'timeoutRatio' must be a fraction in (0, 1], got 0",
    );
    expect(() => resolveThresholds({ overflowTime: Number.NaN })).toThrow(
      "alert threshold 'overflowTime' must be a fraction in (0, 1], got NaN",
    );
  });
});
