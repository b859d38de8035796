import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { GENERATED_VALIDATOR, settingsValidatorSource } from '../../scripts/generate-settings-validator.js';
import { SETTINGS_SCHEMA, SETTINGS_SCHEMA_AJV_OPTIONS } from '../../src/contract/settings-schema.js';
import { validate } from '../../src/contract/settings-validator.generated.js';
import { ENVIRONMENT_VARIABLES } from '../../src/contract/environment-variables.js';

/** Values around every bound and enum of the contract, and of the wrong types. */
function candidates(): Record<string, unknown>[] {
  const values: Record<string, unknown>[] = [{}, { UNKNOWN_VARIABLE: 'kept' }];
  for (const variable of ENVIRONMENT_VARIABLES) {
    const schema = variable.schema as { minimum?: number; maximum?: number; enum?: readonly string[] };
    const tries: unknown[] = [
      '',
      ' ',
      'x',
      'postgres://h/db',
      'ecto://h',
      'POSTGRES://h',
      '😀',
      0,
      1,
      -1,
      1.5,
    ];
    tries.push(null, true, [], {}, 'localhost', '::1', 'a'.repeat(254), Number.MAX_SAFE_INTEGER);
    for (const bound of [schema.minimum, schema.maximum]) {
      if (bound !== undefined) tries.push(bound - 1, bound, bound + 1);
    }
    for (const choice of schema.enum ?? []) tries.push(choice, choice.toUpperCase());
    for (const value of tries) values.push({ [variable.name]: value });
  }
  return values;
}

describe('the generated settings validator', () => {
  it('is what the generator writes from SETTINGS_SCHEMA today (run npm run generate:validator if not)', () => {
    expect(readFileSync(GENERATED_VALIDATOR, 'utf8')).toBe(settingsValidatorSource());
  });

  it('accepts and rejects exactly what ajv compiling SETTINGS_SCHEMA at run time does, with the same errors', () => {
    const compiled = new Ajv(SETTINGS_SCHEMA_AJV_OPTIONS).compile(SETTINGS_SCHEMA);
    const all = candidates();
    let rejected = 0;
    for (const data of all) {
      const valid = compiled(data);
      expect({ data, valid: validate(data), errors: validate.errors }).toEqual({
        data,
        valid,
        errors: compiled.errors,
      });
      if (!valid) rejected += 1;
    }
    expect(rejected).toBeGreaterThan(100);
    expect(all.length - rejected).toBeGreaterThan(50);
  });
});
