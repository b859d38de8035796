/** The compose-spec JSON Schema (the copy dclint ships), compiled with ajv. */
import { Ajv } from 'ajv';
import schema from '../../node_modules/dclint/schemas/compose.schema.json' with { type: 'json' };

// The schema declares draft-07 without the trailing '#' and uses formats ajv does not know.
const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
const validate = ajv.compile(schema);

/** ajv's errors for a Compose document, `[]` when valid. */
export function composeSchemaErrors(document: unknown): string[] {
  return validate(document) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
}
