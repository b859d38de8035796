/**
 * The JSON Schema of the parsed environment, derived from the contract's
 * variables. `runtime/scripts/generate-settings-validator.ts` compiles it
 * ahead of time into `settings-validator.generated.ts`, which `loadSettings`
 * runs, so nothing compiles a schema at run time.
 */
import { ENVIRONMENT_VARIABLES } from './environment-variables.js';

/** The JSON Schema of the parsed environment (integers as numbers, SSL modes normalised). */
export const SETTINGS_SCHEMA = {
  $id: 'https://clientats.dev/schemas/runtime-settings.json',
  type: 'object',
  properties: Object.fromEntries(ENVIRONMENT_VARIABLES.map((variable) => [variable.name, variable.schema])),
  additionalProperties: true,
} as const;

/** The ajv options the validator is generated with. */
export const SETTINGS_SCHEMA_AJV_OPTIONS = { allErrors: true, strict: true } as const;
