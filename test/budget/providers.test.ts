import { describe, expect, it } from 'vitest';
import { computeBudget } from '../../src/budget/compute-budget.js';
import {
  awsMaxConnections,
  findProvider,
  listProviders,
  providerLimits,
} from '../../src/budget/providers.js';

describe('providers', () => {
  it('knows Aurora instance classes with their 3 superuser + 2 rds reserved slots', () => {
    const preset = findProvider('aws-aurora:db.t3.medium')!;
    expect(preset).toMatchObject({
      maxConnections: 420,
      superuserReserved: 3,
      providerReserved: 2,
      verify: false,
    });
    expect(computeBudget([], providerLimits(preset)).usable).toBe(415);
  });

  it('computes RDS from memory with LEAST(memory / 9531392, 5000) and flags it for verification', () => {
    expect(awsMaxConnections(4 * 1024 ** 3)).toBe(450);
    expect(awsMaxConnections(64 * 1024 ** 3)).toBe(5000);
    expect(findProvider('aws-rds:4gib')).toMatchObject({
      name: 'aws-rds:4gib',
      maxConnections: 450,
      verify: true,
    });
  });

  it('leaves 35 usable on Azure B1ms (15 reserved)', () => {
    expect(computeBudget([], providerLimits(findProvider('azure:b1ms')!)).usable).toBe(35);
  });

  it('leaves 22 usable on a 1 GiB DigitalOcean database (25 per GiB, 3 reserved)', () => {
    expect(computeBudget([], providerLimits(findProvider('digitalocean:1gib')!)).usable).toBe(22);
  });

  it('reserves 7 on Neon', () => {
    expect(computeBudget([], providerLimits(findProvider('neon:1cu')!)).usable).toBe(412);
  });

  it.each([
    ['heroku:standard-0', 120, true],
    ['heroku-advanced:4g', 380, false],
    ['supabase:micro', 60, false],
    ['cloud-sql:db-f1-micro', 25, false],
    ['cloud-sql:6gb-15gb', 400, true],
    ['HEROKU:Essential-0', 20, true],
  ])('finds %s with max_connections %i (verify %s)', (name, maxConnections, verify) => {
    expect(findProvider(name)).toMatchObject({ maxConnections, verify });
  });

  it('returns nothing for an unknown preset', () => {
    expect(findProvider('heroku:standard-99')).toBeUndefined();
    expect(findProvider('aws-rds:0gib')).toBeUndefined();
  });

  it('gives every listed preset a source URL', () => {
    const presets = listProviders();
    expect(presets.length).toBeGreaterThan(50);
    for (const preset of presets) expect(preset.source).toMatch(/\(https:\/\/[^ )]+\)$/);
  });
});
