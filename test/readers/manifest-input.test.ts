import { SettingsError, loadSettings } from 'clientats-runtime/contract';
import { describe, expect, it } from 'vitest';
import { asInputError, InputError } from '../../src/readers/manifest-input.js';
import { thrownBy } from '../support/thrown-by.js';

describe('asInputError', () => {
  it('returns what the read returns', () => {
    expect(asInputError(() => 42)).toBe(42);
  });

  it('fails with a refused value as an InputError that keeps it as cause', () => {
    const refused = new Error('replicas must be an integer >= 0, got -1');
    const error = thrownBy(() =>
      asInputError(() => {
        throw refused;
      }),
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe('replicas must be an integer >= 0, got -1');
    expect((error as InputError).cause).toBe(refused);
  });

  it('fails with a SettingsError as one InputError line that keeps it as cause', () => {
    const refused = thrownBy(() => loadSettings({ POOL_SIZE: '0', POOL_COUNT: '0' }));
    expect(refused).toBeInstanceOf(SettingsError);
    const error = thrownBy(() =>
      asInputError(() => {
        throw refused;
      }),
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe((refused as SettingsError).message.split('\n').join('; '));
    expect((error as InputError).message).not.toContain('\n');
    expect((error as InputError).cause).toBe(refused);
  });

  it('fails with an InputError as it is', () => {
    const refused = new InputError('a.yaml: replicas must be a number, got "x"');
    expect(
      thrownBy(() =>
        asInputError(() => {
          throw refused;
        }),
      ),
    ).toBe(refused);
  });

  it('fails with a TypeError (a bug) as it is, not as bad input', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'spec')");
    expect(
      thrownBy(() =>
        asInputError(() => {
          throw bug;
        }),
      ),
    ).toBe(bug);
  });
});
