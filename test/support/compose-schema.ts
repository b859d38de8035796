/** The compose-spec JSON Schema (vendored in test/fixtures/compose-spec), compiled with ajv. */
import { Ajv } from 'ajv';
import schema from '../fixtures/compose-spec/compose-spec.schema.json' with { type: 'json' };

// The schema declares draft-07 without the trailing '#' and uses formats ajv does not know.
const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
const validate = ajv.compile(schema);

/** ajv's errors for a Compose document, `[]` when valid. */
export function composeSchemaErrors(document: unknown): string[] {
  return validate(document)
    ? []
    : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
}
