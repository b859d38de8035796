/**
 * YAML streams to plain values, with the errors the readers report.
 *
 * Two parsers, one meaning. The `yaml` library (YAML 1.2, core schema, merge
 * keys off) is the reference: its errors are the ones users see, it bounds
 * alias expansion, and it recognizes an unrendered Helm template. js-yaml
 * parses the same schema in about a third of the CPU (BENCHMARKS.md, "CLI
 * start-up"), so it reads first, with every alias refused; whatever it does
 * not take (an error, an alias, a tag it does not know, a template) is parsed
 * again by `yaml`, which then decides. `test/readers/yaml-documents.test.ts`
 * holds both to the same values on a corpus and on mutations of it.
 */
import { createRequire } from 'node:module';
import {
  boolCoreTag,
  defineScalarTag,
  constructFromEvents,
  EVENT_ID,
  mapTag,
  type Event,
  NOT_RESOLVED,
  nullCoreTag,
  parseEvents,
  Schema,
  seqTag,
  strTag,
} from 'js-yaml';
import type * as YamlLibrary from 'yaml';
import { InputError } from './manifest-input.js';

/** Aliases a YAML file may expand; manifests use a handful at most. */
const MAX_YAML_ALIASES = 100;

/** Go template actions (`{{ .Values.x }}`), as in an unrendered Helm chart. */
const TEMPLATE_ACTION = /\{\{-?\s*[^}]*\}\}/;
/** What an unquoted template action becomes once parsed as YAML: a key like `{ .Values.x }`. */
const PARSED_ACTION = /^\s*[{]|^\s*-?\s*(\.[A-Z]|\$|(include|template|toYaml|tpl|printf) )/;

const require = createRequire(import.meta.url);

/** `!!int` exactly as the `yaml` library's core schema reads it (no sign on 0o/0x, no 0b). */
const INT_FORMS: readonly (readonly [RegExp, (text: string) => number])[] = [
  [/^0o[0-7]+$/, (text) => parseInt(text.slice(2), 8)],
  [/^[-+]?[0-9]+$/, (text) => parseInt(text, 10)],
  [/^0x[0-9a-fA-F]+$/, (text) => parseInt(text.slice(2), 16)],
];
/** `!!float` exactly as the `yaml` library's core schema reads it (1e400 is Infinity, not a string). */
const FLOAT_FORMS: readonly (readonly [RegExp, (text: string) => number])[] = [
  [
    /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
    (text) =>
      text.endsWith('nan') || text.endsWith('NaN') || text.endsWith('NAN')
        ? NaN
        : text[0] === '-'
          ? -Infinity
          : Infinity,
  ],
  [/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/, (text) => parseFloat(text)],
  [/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/, (text) => parseFloat(text)],
];

function scalarTag(name: string, forms: readonly (readonly [RegExp, (text: string) => number])[]) {
  return defineScalarTag(`tag:yaml.org,2002:${name}`, {
    implicit: true,
    resolve: (text) => {
      const form = forms.find(([pattern]) => pattern.test(text));
      return form === undefined ? NOT_RESOLVED : form[1](text);
    },
    identify: () => false,
  });
}

/**
 * YAML 1.2's core schema as `yaml` reads it into plain objects. A key that is
 * not a string (`~:`, `1:`, `[a]:`) is left to `yaml`, whose keys differ.
 */
const CORE_SCHEMA = new Schema([
  strTag,
  seqTag,
  {
    ...mapTag,
    addPair: (map, key, value) =>
      typeof key === 'string' ? mapTag.addPair(map, key, value) : 'not a string key',
  },
  nullCoreTag,
  boolCoreTag,
  scalarTag('int', INT_FORMS),
  scalarTag('float', FLOAT_FORMS),
]);

/**
 * Text js-yaml takes and `yaml` refuses (the differential test found each): a
 * tab in indentation, a carriage return alone, an indented document marker,
 * `%` (directive indicator) starting a line, a byte order mark after the start.
 */
const LEFT_TO_YAML = /^ *\t|\r(?!\n)|^[ \t]+(?:---|\.\.\.)(?:[ \t\r\n]|$)|^\s*%|[^]\ufeff/m;

/**
 * The `yaml` library, loaded on first use: `check` on well-formed files never
 * needs it, and loading it costs a CLI run about a tenth of its CPU.
 */
export function yamlLibrary(): typeof YamlLibrary {
  return require('yaml') as typeof YamlLibrary;
}

/**
 * Parses a YAML stream into one value per document, empty documents left out;
 * throws `InputError` naming the file, line and column of the first error,
 * or saying the file is a template to render first.
 */
export function parseYamlDocuments(file: string, text: string): unknown[] {
  return readPlainYaml(text) ?? parseYamlDocumentsWithYamlLibrary(file, text);
}

/**
 * js-yaml's read of a stream without tags, anchors, aliases, directives or
 * template actions where keys go, one value per non-empty document; `undefined`
 * for anything else (an error included), which is the `yaml` library's to read.
 */
export function readPlainYaml(text: string): unknown[] | undefined {
  if (LEFT_TO_YAML.test(text)) return undefined;
  let values: unknown[];
  try {
    const events = parseEvents(text, {});
    // Tags, anchors, aliases and directives: `yaml`'s alias bound, tag rules and YAML 1.1 apply.
    if (events.some(hasProperties)) return undefined;
    values = constructFromEvents(events, { source: text, schema: CORE_SCHEMA });
  } catch {
    // Not taken as it is: `yaml` decides, with its own message.
    return undefined;
  }
  // Prometheus rules quote their `{{ }}`; a Helm template leaves actions where keys go.
  if (TEMPLATE_ACTION.test(text) && values.some((value) => hasTemplateKey(value, 0))) return undefined;
  return values.filter(isContent);
}

/**
 * The reference parse, by the `yaml` library alone: what `parseYamlDocuments`
 * returns for every input, and what it does for those js-yaml does not take.
 */
export function parseYamlDocumentsWithYamlLibrary(file: string, text: string): unknown[] {
  // logLevel 'error': the parser's warnings would otherwise reach stderr as `(node:…) Warning` lines.
  const documents = yamlLibrary().parseAllDocuments(text, { logLevel: 'error' });
  const list = Array.isArray(documents) ? documents : [documents];
  const template = TEMPLATE_ACTION.exec(text);
  const refuseTemplate = (): never => {
    const line = text.slice(0, template!.index).split('\n').length;
    throw new InputError(
      `${file}: a template, not a manifest (${JSON.stringify(template![0])} at line ${line}): ` +
        'render it first, e.g. helm template … | clientats-deploy check - --max-connections N',
    );
  };
  if (
    template !== null &&
    list.some((document) => document.errors.length > 0 || document.warnings.length > 0)
  )
    refuseTemplate();
  for (const document of list) {
    const error = document.errors[0];
    if (error !== undefined) {
      const position = error.linePos?.[0];
      const message = oneLine(error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''));
      const at = position === undefined ? '' : ` at line ${position.line}, column ${position.col}`;
      throw new InputError(`${file}: not valid YAML${at}: ${message}`, { cause: error });
    }
  }
  const values = list.map((document) => {
    try {
      // The alias bound stops "billion laughs" documents from expanding without limit.
      return document.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown;
    } catch (error) {
      throw new InputError(`${file}: not usable YAML: ${oneLine((error as Error).message)}`, {
        cause: error,
      });
    }
  });
  // Prometheus rules and config files quote their `{{ }}`; a Helm template leaves actions where keys go.
  if (template !== null && values.some((value) => hasTemplateKey(value, 0))) refuseTemplate();
  return values.filter(isContent);
}

function hasProperties(event: Event): boolean {
  switch (event.type) {
    case EVENT_ID.DOCUMENT:
      return event.directives.length > 0;
    case EVENT_ID.ALIAS:
      return true;
    case EVENT_ID.POP:
      return false;
    default:
      return event.tagStart !== -1 || event.anchorStart !== -1;
  }
}

/** Empty documents (`---` alone, comments only, `null`) hold nothing to read. */
function isContent(value: unknown): boolean {
  return value !== null && value !== undefined;
}

function hasTemplateKey(value: unknown, depth: number): boolean {
  if (depth > 40 || typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some((item) => hasTemplateKey(item, depth + 1));
  return Object.entries(value).some(
    ([key, child]) => PARSED_ACTION.test(key) || hasTemplateKey(child, depth + 1),
  );
}

/** Parser messages quote the input: control characters are escaped so the error stays one line. */
export function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  return message.replace(/[\u0000-\u001f\u007f]/g, (character) => JSON.stringify(character).slice(1, -1));
}
