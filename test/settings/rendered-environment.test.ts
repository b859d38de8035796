import { describe, expect, it } from 'vitest';
import {
  environmentProblems,
  integerSetting,
  renderEnvironment,
} from '../../src/settings/rendered-environment.js';

describe('renderEnvironment', () => {
  it('renders values as strings, later layers winning, NODE_ENV first then the contract order', () => {
    expect(
      Object.entries(
        renderEnvironment(
          { POOL_TIMEOUT: 5000, POOL_SIZE: 5 },
          { DATABASE_SSL: true, NODE_ENV: 'production', POOL_SIZE: 8 },
        ),
      ),
    ).toEqual([
      ['NODE_ENV', 'production'],
      ['POOL_SIZE', '8'],
      ['POOL_TIMEOUT', '5000'],
      ['DATABASE_SSL', 'true'],
    ]);
  });

  it('leaves out variables set to undefined', () => {
    expect(renderEnvironment({ POOL_SIZE: 5 }, { POOL_SIZE: undefined })).toEqual({ POOL_SIZE: '5' });
  });
});

describe('environmentProblems', () => {
  it('accepts the guide values', () => {
    expect(
      environmentProblems({
        POOL_SIZE: '10',
        POOL_COUNT: '2',
        MAX_OVERFLOW: '3',
        POOL_TIMEOUT: '8000',
        DATABASE_SSL: 'true',
      }),
    ).toEqual([]);
  });

  it('accepts a production environment whose URL comes from elsewhere', () => {
    expect(
      environmentProblems({ NODE_ENV: 'production' }, { suppliedElsewhere: { DATABASE_URL: 'a secret' } }),
    ).toEqual([]);
  });

  it('fails when a variable is unknown to the runtime', () => {
    expect(environmentProblems({ POOL_SZE: '10' })).toEqual([
      'POOL_SZE is not a variable clientats-runtime reads (see the settings table in the README), got "10"',
    ]);
  });

  it('fails with one line per bad variable, in the contract order', () => {
    expect(environmentProblems({ DATABASE_SSL: 'maybe', POOL_TIMEOUT: 'soon', MAX_OVERFLOW: '-1' })).toEqual([
      'MAX_OVERFLOW must be an integer from 0 to 10000, got "-1"',
      'POOL_TIMEOUT must be an integer from 1 to 2147483647, got "soon"',
      'DATABASE_SSL must be one of true, false, 1, 0, disable, require, verify-ca, verify-full, got "maybe"',
    ]);
  });
});

describe('integerSetting', () => {
  it('reads a set value and falls back to the contract default', () => {
    expect(integerSetting({ POOL_SIZE: '7' }, 'POOL_SIZE')).toBe(7);
    expect(integerSetting({}, 'POOL_SIZE')).toBe(10);
    expect(integerSetting({ POOL_SIZE: 'many' }, 'POOL_SIZE')).toBe(10);
  });
});
