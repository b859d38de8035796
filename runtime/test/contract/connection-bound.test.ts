import { describe, expect, it } from 'vitest';
import { perInstanceConnections } from '../../src/contract/index.js';

describe('perInstanceConnections', () => {
  it('counts every pool with its overflow plus the readiness connection', () => {
    expect(perInstanceConnections({ poolSize: 10, poolCount: 2, maxOverflow: 3 })).toBe(27);
  });

  it('counts no probe connection when told there is none', () => {
    expect(perInstanceConnections({ poolSize: 8, poolCount: 1, maxOverflow: 2 }, 0)).toBe(10);
  });
});
