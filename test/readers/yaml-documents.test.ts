/**
 * The readers' two YAML parsers must mean the same thing: js-yaml reads plain
 * streams (fast), the `yaml` library everything else and every error. Here both
 * read the repository's YAML, corner cases of the core schema and seeded
 * mutations of both; wherever js-yaml takes a text, its values must equal the
 * `yaml` library's, and `parseYamlDocuments` must answer as the reference does.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  parseYamlDocuments,
  parseYamlDocumentsWithYamlLibrary,
  readPlainYaml,
} from '../../src/readers/yaml-documents.js';
import { CORNER_CASES, mutations, repositoryYaml } from './yaml-corpus.js';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const OWN_YAML = repositoryYaml(['dist', 'test', 'templates'].map((folder) => join(REPOSITORY, folder)));
/** Mutated texts per run: about 10 s of parsing on a loaded 2-core machine. */
const MUTATIONS = 2_000;

type Outcome = { values: unknown[] } | { error: string };

function outcome(parse: (file: string, text: string) => unknown[], text: string): Outcome {
  try {
    return { values: parse('in.yaml', text) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe('parseYamlDocuments', () => {
  it("reads every YAML file of the repository with js-yaml, to the yaml library's values", () => {
    expect(OWN_YAML.length).toBeGreaterThan(25);
    const notTaken = OWN_YAML.filter(({ text }) => readPlainYaml(text) === undefined).map(({ path }) => path);
    // The hand-written fixtures that use anchors or tags are the yaml library's, on purpose.
    expect(notTaken.filter((path) => path.includes(`${join(REPOSITORY, 'dist')}`))).toEqual([]);
    for (const { path, text } of OWN_YAML) {
      const plain = readPlainYaml(text);
      if (plain !== undefined) expect(plain, path).toEqual(parseYamlDocumentsWithYamlLibrary(path, text));
    }
  });

  it('answers as the yaml library does on corner cases of the core schema', () => {
    for (const text of CORNER_CASES) {
      expect(outcome(parseYamlDocuments, text), JSON.stringify(text)).toEqual(
        outcome(parseYamlDocumentsWithYamlLibrary, text),
      );
    }
  });

  it(`answers as the yaml library does on ${MUTATIONS} seeded mutations of the repository's YAML`, () => {
    const texts = mutations([...OWN_YAML.map(({ text }) => text), ...CORNER_CASES], MUTATIONS, 20261202);
    let taken = 0;
    for (const text of texts) {
      if (readPlainYaml(text) !== undefined) taken++;
      expect(outcome(parseYamlDocuments, text), JSON.stringify(text)).toEqual(
        outcome(parseYamlDocumentsWithYamlLibrary, text),
      );
    }
    // The comparison means something only where js-yaml took the text (807 of 2,000 with this seed).
    expect(taken).toBeGreaterThan(MUTATIONS / 4);
  });

  it('leaves tags, anchors, aliases, directives and non-string keys to the yaml library', () => {
    for (const text of [
      'a: !!str 5',
      'a: ! 5',
      'a: &x 1\nb: *x',
      '%YAML 1.1\n---\na: yes',
      '~: a',
      '1: a',
      '? [a]\n: b',
      'a:\n\t- 1',
      'a: 1\rb: 2',
      ' ---\na: 1',
      '\n\ufeffa: 1',
      'metadata:\n  name: {{ .Release.Name }}',
    ]) {
      expect(readPlainYaml(text), JSON.stringify(text)).toBeUndefined();
    }
    expect(readPlainYaml("summary: '{{ $labels.pod }} is down'\nn: 1")).toEqual([
      { summary: '{{ $labels.pod }} is down', n: 1 },
    ]);
  });

  it('fails when an alias bomb would expand, with the yaml library message, not a hang', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...['b', 'c', 'd', 'e'].map(
        (name, index) => `${name}: &${name} [${Array(9).fill(`*${'abcd'[index]}`).join(',')}]`,
      ),
      `f: [${Array(9).fill('*e').join(',')}]`,
    ].join('\n');
    expect(() => parseYamlDocuments('bomb.yaml', bomb)).toThrow(
      'bomb.yaml: not usable YAML: Excessive alias count indicates a resource exhaustion attack',
    );
  });

  it('fails with the line and column of the first error, as the yaml library words it', () => {
    expect(() => parseYamlDocuments('bad.yaml', 'a: 1\nb: [1, 2\nc: 3\n')).toThrow(
      /^bad\.yaml: not valid YAML at line \d+, column \d+: /,
    );
    expect(outcome(parseYamlDocuments, 'a: 1\na: 2')).toEqual({
      error: 'in.yaml: not valid YAML at line 2, column 1: Map keys must be unique',
    });
  });
});
