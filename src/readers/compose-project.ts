/**
 * Compose files as Compose itself loads them, so the budget counts the
 * services that would run:
 * - files named together (`check a.yml b.yml`) are one project, merged in
 *   order as `docker compose -f a.yml -f b.yml` merges them;
 * - in a folder walked, `compose.yaml` / `docker-compose.yml` (the first of
 *   Compose's default names found) is merged with the override file Compose
 *   loads automatically next to it (`compose.override.yaml`,
 *   `docker-compose.override.yml`…); any other Compose file found is a
 *   project of its own;
 * - `extends` (same file, or `file:` among the files read) is resolved before
 *   merging; a file outside what was read is refused.
 *
 * Merge rules (https://docs.docker.com/reference/compose-file/merge/):
 * mappings merge by key, `environment` and `labels` by variable in list or
 * map form, sequences append, `ports`/`volumes`/`secrets`/`configs` keep one
 * entry per target, `command`/`entrypoint`/`healthcheck.test` are replaced.
 */
import { basename, dirname, resolve } from 'node:path';
import { InputError, objectAt, show } from './manifest-input.js';

/** A parsed Compose file among the inputs. */
export interface ComposeInput {
  readonly file: string;
  readonly document: unknown;
  /** Named on the command line rather than found in a folder. */
  readonly named: boolean;
}

/** The files Compose loads together, in merge order. */
export type ComposeProjectFiles = readonly ComposeInput[];

/** One project, merged. */
export interface ComposeProject {
  /** The first file: where messages and consumers point, and whose folder holds the `.env`. */
  readonly file: string;
  readonly files: readonly string[];
  readonly document: Record<string, unknown>;
  readonly notes: readonly string[];
}

/** Compose's default file names, in its order of preference. */
const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];
/** The override files Compose loads with a default file, in its order of preference. */
const OVERRIDE_FILES = [
  'compose.override.yml',
  'compose.override.yaml',
  'docker-compose.override.yml',
  'docker-compose.override.yaml',
];
const MAX_EXTENDS_DEPTH = 10;

/** Groups the Compose inputs into projects, each in merge order; projects in order of their first file. */
export function composeProjects(inputs: readonly ComposeInput[]): ComposeProjectFiles[] {
  const projects: ComposeInput[][] = [];
  const named = inputs.filter((input) => input.named);
  if (named.length > 0) projects.push(named);
  const found = inputs.filter((input) => !input.named);
  const taken = new Set<ComposeInput>();
  for (const input of found) {
    if (taken.has(input)) continue;
    const siblings = found.filter((other) => dirname(other.file) === dirname(input.file));
    const base = firstNamed(siblings, DEFAULT_FILES);
    const override = firstNamed(siblings, OVERRIDE_FILES);
    if (base !== undefined && override !== undefined && (input === base || input === override)) {
      projects.push([base, override]);
      taken.add(base).add(override);
    } else {
      projects.push([input]);
      taken.add(input);
    }
  }
  return projects.sort((a, b) => inputs.indexOf(a[0]!) - inputs.indexOf(b[0]!));
}

function firstNamed(inputs: readonly ComposeInput[], names: readonly string[]): ComposeInput | undefined {
  for (const name of names) {
    const input = inputs.find((candidate) => basename(candidate.file) === name);
    if (input !== undefined) return input;
  }
  return undefined;
}

/**
 * Resolves `extends` in each file and merges the files of a project.
 * @throws InputError for an `extends` the inputs cannot resolve, or a service Compose would refuse.
 */
export function mergeComposeProject(
  files: ComposeProjectFiles,
  everyInput: readonly ComposeInput[],
): ComposeProject {
  const notes: string[] = [];
  let merged: Record<string, unknown> | undefined;
  for (const input of files) {
    const document = withExtendsResolved(input, everyInput);
    if (merged === undefined) {
      merged = document;
      continue;
    }
    const before = Object.keys(objectAt(merged.services ?? {}, `${files[0]!.file}: services`));
    const shared = Object.keys(objectAt(document.services ?? {}, `${input.file}: services`)).filter((name) =>
      before.includes(name),
    );
    const how = input.named
      ? `as docker compose -f ${files.map((file) => file.file).join(' -f ')} does`
      : 'as docker compose does with the override file next to its base file';
    const what =
      shared.length === 0
        ? 'no service in common'
        : `service${shared.length === 1 ? '' : 's'} ${shared.map((name) => `"${name}"`).join(', ')}`;
    notes.push(
      `${input.file}: merged into ${files[0]!.file} (${what}), ${how}` +
        (input.named ? '; check the files one at a time if they are separate projects' : ''),
    );
    merged = mergeValue(merged, document, []) as Record<string, unknown>;
  }
  const document = merged ?? {};
  const first = files[0]!.file;
  for (const [name, service] of Object.entries(objectAt(document.services ?? {}, `${first}: services`))) {
    const record = service as Record<string, unknown> | null;
    if (record?.image === undefined && record?.build === undefined) {
      throw new InputError(
        files.length > 1
          ? `${first}: service "${name}" has neither image nor build once ` +
              `${files.map((file) => file.file).join(', ')} ` +
              'are merged, so Compose refuses it: give the file that defines its image too, base first'
          : `${first}: service "${name}" has neither image nor build, so Compose refuses it on its own: ` +
              'if it overrides a service of another Compose file, check both files together, base first ' +
              `(as docker compose -f base.yml -f ${basename(first)} loads them)`,
      );
    }
  }
  return { file: first, files: files.map((input) => input.file), document, notes };
}

/** A copy of the file's document with every service's `extends` replaced by what it extends. */
function withExtendsResolved(
  input: ComposeInput,
  everyInput: readonly ComposeInput[],
): Record<string, unknown> {
  const document = objectAt(input.document, input.file);
  const services = objectAt(document.services ?? {}, `${input.file}: services`);
  const resolved: Record<string, unknown> = {};
  for (const name of Object.keys(services)) {
    resolved[name] = resolveService(input, name, everyInput, []);
  }
  return { ...document, services: resolved };
}

function resolveService(
  input: ComposeInput,
  name: string,
  everyInput: readonly ComposeInput[],
  chain: readonly string[],
): unknown {
  const where = `${input.file}: service "${name}"`;
  const services = objectAt(objectAt(input.document, input.file).services ?? {}, `${input.file}: services`);
  const service = objectAt(services[name] ?? {}, where);
  if (service.extends === undefined || service.extends === null) return service;
  const link = `${resolve(input.file)}#${name}`;
  if (chain.includes(link) || chain.length >= MAX_EXTENDS_DEPTH) {
    throw new InputError(
      `${where} extends loops back to itself (or nests deeper than ${MAX_EXTENDS_DEPTH}): break the loop`,
    );
  }
  const reference =
    typeof service.extends === 'string'
      ? { service: service.extends }
      : objectAt(service.extends, `${where} extends`);
  const baseName = reference.service;
  if (typeof baseName !== 'string' || baseName === '')
    throw new InputError(`${where} extends.service must be a service name, got ${show(baseName)}`);
  let baseInput = input;
  if (reference.file !== undefined) {
    if (typeof reference.file !== 'string')
      throw new InputError(`${where} extends.file must be a path, got ${show(reference.file)}`);
    const path = resolve(dirname(input.file), reference.file);
    const found = everyInput.find((candidate) => resolve(candidate.file) === path);
    if (found === undefined) {
      throw new InputError(
        `${where} extends service "${baseName}" of ${JSON.stringify(reference.file)}, ` +
          'which is not among the files read: ' +
          'give that file to check too (or the folder that holds both)',
      );
    }
    baseInput = found;
  }
  const baseServices = objectAt(
    objectAt(baseInput.document, baseInput.file).services ?? {},
    `${baseInput.file}: services`,
  );
  if (!(baseName in baseServices)) {
    throw new InputError(
      `${where} extends service "${baseName}", which ${baseInput.file} does not define: fix the name`,
    );
  }
  const base = resolveService(baseInput, baseName, everyInput, [...chain, link]);
  const own = { ...service };
  delete own.extends;
  return mergeValue(base, own, []);
}

/** Keys whose value the later file replaces rather than merges. */
const REPLACED = new Set(['command', 'entrypoint']);
/** Sequences with one entry per target. */
const UNIQUE_BY_TARGET = new Set(['ports', 'volumes', 'secrets', 'configs']);
/** Lists or mappings merged by name. */
const BY_NAME = new Set(['environment', 'labels', 'annotations', 'sysctls', 'extra_hosts']);

/** Merges `over` onto `base` by Compose's rules; `path` is the keys above (for the exceptions). */
function mergeValue(base: unknown, over: unknown, path: readonly string[]): unknown {
  const key = path.at(-1) ?? '';
  const inService = path.length >= 3 && path[0] === 'services';
  if (inService && (REPLACED.has(key) || (key === 'test' && path.at(-2) === 'healthcheck'))) return over;
  if (inService && BY_NAME.has(key)) return { ...byName(base), ...byName(over) };
  if (Array.isArray(base) && Array.isArray(over)) {
    if (inService && UNIQUE_BY_TARGET.has(key)) {
      const merged = new Map<string, unknown>();
      for (const entry of [...base, ...over]) merged.set(targetOf(entry), entry);
      return [...merged.values()];
    }
    return [...base, ...over];
  }
  if (isMapping(base) && isMapping(over)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [name, value] of Object.entries(over)) {
      merged[name] = name in base ? mergeValue(base[name], value, [...path, name]) : value;
    }
    return merged;
  }
  return over;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `["A=1", "B"]` or `{A: 1, B: null}` as a mapping (`B` alone: from the shell, `null`). */
function byName(value: unknown): Record<string, unknown> {
  if (isMapping(value)) return value;
  if (!Array.isArray(value)) return {};
  const entries = value.map((entry): [string, unknown] => {
    const text = String(entry);
    const separator = text.indexOf('=');
    return separator < 0 ? [text, null] : [text.slice(0, separator), text.slice(separator + 1)];
  });
  return Object.fromEntries(entries);
}

/** The container-side target of a port, volume, secret or config entry, short or long form. */
function targetOf(entry: unknown): string {
  if (isMapping(entry)) return String(entry.target ?? entry.source ?? JSON.stringify(entry));
  const text = String(entry);
  const parts = text.split(':');
  return parts.length > 1 ? (parts[1] ?? text) : text;
}
