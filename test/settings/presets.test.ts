import { describe, expect, it } from 'vitest';
import { PRESETS, presetValues, type PresetName } from '../../src/settings/presets.js';
import { SynthError } from '../../src/synth/synthesize.js';
import { environmentProblems, renderEnvironment } from '../../src/settings/rendered-environment.js';

describe('PRESETS', () => {
  it('holds the guide recommended settings by deployment size', () => {
    expect(PRESETS).toEqual({
      small: { POOL_SIZE: 5, POOL_COUNT: 1, MAX_OVERFLOW: 0, POOL_TIMEOUT: 5000 },
      medium: { POOL_SIZE: 10, POOL_COUNT: 1, MAX_OVERFLOW: 2, POOL_TIMEOUT: 5000 },
      large: { POOL_SIZE: 20, POOL_COUNT: 2, MAX_OVERFLOW: 10, POOL_TIMEOUT: 10000 },
      kubernetes: { POOL_SIZE: 10, POOL_COUNT: 2, MAX_OVERFLOW: 3, POOL_TIMEOUT: 8000, DATABASE_SSL: true },
    });
  });

  it('passes the runtime validation, every one', () => {
    for (const values of Object.values(PRESETS))
      expect(environmentProblems(renderEnvironment(values))).toEqual([]);
  });

  it('gives no values without a preset', () => {
    expect(presetValues(undefined)).toEqual({});
  });

  it("fails when the preset name is not one of the guide's, with a one-line synth error", () => {
    expect(() => presetValues('huge' as PresetName)).toThrow(SynthError);
    expect(() => presetValues('huge' as PresetName)).toThrow(
      'preset must be one of small, medium, large, kubernetes, got "huge"',
    );
    expect(() => presetValues('toString' as PresetName)).toThrow('got "toString"');
  });
});
