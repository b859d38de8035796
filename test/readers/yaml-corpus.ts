/**
 * YAML texts for holding the two parsers of `src/readers/yaml-documents.ts`
 * to one meaning: the repository's own YAML (dist/, fixtures, templates), hand
 * picked corners of the core schema, and seeded mutations of windows of both.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every `*.yaml` / `*.yml` under the folders, sorted, as `{ path, text }`. */
export function repositoryYaml(folders: readonly string[]): { path: string; text: string }[] {
  const found: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) found.push(path);
    }
  };
  folders.forEach(walk);
  return found.sort().map((path) => ({ path, text: readFileSync(path, 'utf8') }));
}

/** Where the core schema, the parsers' leniency and the readers' rules differ most easily. */
export const CORNER_CASES: readonly string[] = [
  // Scalars of the core schema and their near misses (YAML 1.1 forms stay strings).
  'a: [0, -0, +1, 007, 0o17, -0o17, 0x1F, +0x1F, 0b101, 1_000, 1e3, -.5, .5, +.5, 1., 1.e2, .inf, -.Inf, .NaN]',
  'a: [true, True, TRUE, tRue, yes, no, on, off, y, n, ~, null, Null, NULL, nULL, ""]',
  'a: [2001-12-14, 12:30:45, 1:20, 0.1.2, 99999999999999999999, 1e400, -1e400]',
  // Quoting, escapes, block scalars and their chomping.
  'a: \'it\'\'s\'\nb: "tab\\tnew\\nline \\u00e9 \\x41"\nc: "\\/"',
  'a: |\n  one\n  two\nb: >\n  folded\n  text\n\n  para\nc: |-\n  strip\nd: |+\n  keep\n\ne: x',
  'a: |2\n    indented\nb: >-\n\n  leading blank',
  // Keys that are not plain strings.
  '1: a\n2.5: b\ntrue: c\n~: d\n"": e',
  '? complex\n: value\n? [a, b]\n: seq key',
  '{a: 1, b: [1, 2, {c: d}]}',
  'a: {b: 1, b: 2}',
  'a: 1\na: 2',
  '__proto__: {polluted: true}\nconstructor: x',
  // Tags, anchors, aliases, merge keys.
  'a: !!str 5\nb: !!int "7"\nc: !!float 1\nd: !!null ""\ne: !!bool true',
  'a: !!binary aGVsbG8=\nb: !!timestamp 2001-12-14\nc: !!set {x, y}',
  'a: !custom 5\nb: ! 7\nc: !<tag:yaml.org,2002:str> 8',
  'base: &b {x: 1}\nuse: *b\nmerged:\n  <<: *b\n  y: 2',
  '<<: {x: 1}\ny: 2',
  'a: &a [1, 2]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c, *c]',
  // Documents, directives, comments and empty ones.
  '---\n---\n# only a comment\n---\nnull\n---\na: 1\n...\n---\nb: 2',
  '%YAML 1.2\n---\na: 1',
  '%YAML 1.1\n---\na: yes',
  '%TAG !e! tag:example.com,2000:\n---\na: !e!x 1',
  '',
  '# nothing',
  '\ufeffa: 1',
  'a: 1\r\nb:\r\n  - 2\r\n',
  // Odd layouts and malformed input.
  'a: %x\nb: [%y]\nc:\n  - %z',
  'a:\n\t- 1',
  'a: b: c',
  'a:\n  - 1\n - 2',
  'a: "unterminated',
  'key with spaces: value with: colon',
  'a: [1, 2',
  '- a\nb: c',
  'a: @reserved',
  'a: `tick',
  'a:    \n  b: 1',
  'a: x # comment\nb: "y" #c\nc: z#notcomment',
  'multi\n line\n key: 1',
  'a:\n  b:\n    c:\n      d: [[[[[[[[[[1]]]]]]]]]]',
  // Templates: quoted actions (Prometheus rules) and unquoted ones (an unrendered chart).
  'summary: \'{{ $labels.pod }} is down\'\ndescription: "{{ $value }}"',
  'metadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}',
  'spec:\n  {{- include "x" . | nindent 2 }}\n  replicas: 1',
];

/** Seeded pseudo-random numbers in [0, 1) (mulberry32): the same mutations on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INSERTED = [
  ':',
  '-',
  ' ',
  '  ',
  '\n',
  '\t',
  '"',
  "'",
  '{',
  '}',
  '[',
  ']',
  ',',
  '#',
  '&a ',
  '*a',
  '!',
  '|',
  '>',
  '?',
  '%',
  '@',
  '0',
  'x',
  '---\n',
  '...\n',
  '<<: ',
  '\r',
  '\\',
  '\u0085',
  '\u2028',
  '\u00a0',
  '\u0000',
  '\u001b',
  '\ufeff',
  'é',
  '\ud83d\ude00',
];

/**
 * `count` mutations of windows (up to 30 lines) of the texts: a character or
 * line deleted, duplicated or indented, or a YAML indicator inserted.
 */
export function mutations(texts: readonly string[], count: number, seed: number): string[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const out: string[] = [];
  for (let index = 0; index < count; index++) {
    const lines = pick(texts).split('\n');
    const start = Math.floor(random() * lines.length);
    const window = lines.slice(start, start + 1 + Math.floor(random() * 30));
    let text = window.join('\n');
    const at = Math.floor(random() * (text.length + 1));
    const line = Math.floor(random() * window.length);
    switch (Math.floor(random() * 5)) {
      case 0:
        text = text.slice(0, at) + text.slice(at + 1);
        break;
      case 1:
        text = text.slice(0, at) + pick(INSERTED) + text.slice(at);
        break;
      case 2:
        window.splice(line, 0, window[line] ?? '');
        text = window.join('\n');
        break;
      case 3:
        window[line] = ` ${window[line] ?? ''}`;
        text = window.join('\n');
        break;
      default:
        window.splice(line, 1);
        text = window.join('\n');
    }
    out.push(text);
  }
  return out;
}
