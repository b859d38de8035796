/**
 * Where each consumer's sizing values sit in its input: the object, its
 * replica count, the HPA `maxReplicas` that scales it, and its POOL_* env
 * entries, as file + line, for `check --format github` annotations.
 *
 * A second, position-keeping parse of the same texts (the yaml library's node
 * ranges and a `LineCounter`; JSON is parsed as the YAML it also is), walked
 * with the same rules as the readers. Locating is best effort: a value that
 * cannot be found falls back to its object's line, never to an error.
 */
import { POOL_SHAPE_VARIABLES } from 'clientats-runtime/contract';
import type { LineCounter, Node, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import type { Consumer, LocatedField, SourceLine, SourceLocations } from '../budget/budget-types.js';
import { yamlLibrary } from './yaml-documents.js';

// The yaml library loads only when locations are asked for (`check --format github`).
const isMap = (node: unknown): node is YAMLMap => yamlLibrary().isMap(node);
const isSeq = (node: unknown): node is YAMLSeq => yamlLibrary().isSeq(node);
const isScalar = (node: unknown): node is Scalar => yamlLibrary().isScalar(node);

/** A file in memory (as `readManifests` takes it). */
export interface LocatableFile {
  readonly path: string;
  readonly text: string;
}

/** One parsed file, its line counter and its top-level objects (Kubernetes `List`s expanded). */
interface ParsedFile {
  readonly file: string;
  readonly lines: LineCounter;
  readonly objects: readonly Node[];
}

/** One Kubernetes object with its file. */
interface PlacedObject {
  readonly parsed: ParsedFile;
  readonly node: Node;
}

/**
 * Returns each consumer with its `locations` added; consumers are matched to
 * their object by `source` (`file` or `file#N`) and name, as the readers named them.
 */
export function withSourceLocations<T extends Consumer>(
  consumers: readonly T[],
  inputs: readonly LocatableFile[],
): T[] {
  const parsed = new Map<string, ParsedFile>();
  for (const input of inputs) {
    const file = parseFile(input.path, input.text);
    if (file !== undefined) parsed.set(input.path, file);
  }
  const kubernetes = [...parsed.values()]
    .flatMap((file) => file.objects.map((node) => ({ parsed: file, node })))
    .filter((object) => isMap(object.node) && scalarAt(object.node, ['apiVersion']) !== undefined);
  return consumers.map((consumer) => {
    if (consumer.kind === 'other' || consumer.source === undefined) return consumer;
    const [file, index] = splitSource(consumer.source);
    const input = parsed.get(file);
    if (input === undefined) return consumer;
    const locations =
      consumer.kind === 'kubernetes'
        ? kubernetesLocations(
            consumer.name,
            input,
            input.objects[index === undefined ? 0 : index - 1],
            kubernetes,
          )
        : consumer.kind === 'compose'
          ? composeLocations(consumer.name, input)
          : herokuLocations(consumer.name, input);
    return Object.keys(locations).length === 0 ? consumer : { ...consumer, locations };
  });
}

function parseFile(file: string, text: string): ParsedFile | undefined {
  try {
    const { LineCounter, parseAllDocuments } = yamlLibrary();
    const lines = new LineCounter();
    const documents = parseAllDocuments(text, { lineCounter: lines, logLevel: 'silent' });
    const list = Array.isArray(documents) ? documents : [documents];
    const objects = list
      .map((document) => document.contents as Node | null)
      .filter((node): node is Node => node !== null && !(isScalar(node) && node.value === null))
      .flatMap((node) => {
        const items =
          isMap(node) && scalarAt(node, ['kind']) === 'List' ? pairAt(node, ['items'])?.value : undefined;
        return isSeq(items) ? (items.items as Node[]) : [node];
      });
    return { file, lines, objects };
  } catch {
    return undefined;
  }
}

function splitSource(source: string): [string, number | undefined] {
  const match = /^(.*)#(\d+)$/.exec(source);
  return match === null ? [source, undefined] : [match[1], Number(match[2])];
}

function kubernetesLocations(
  consumerName: string,
  input: ParsedFile,
  object: Node | undefined,
  all: readonly PlacedObject[],
): SourceLocations {
  if (object === undefined || !isMap(object)) return {};
  const found: Partial<Record<LocatedField, SourceLine>> = { object: lineOfNode(input, object) };
  const kind = String(scalarAt(object, ['kind']));
  const name = String(scalarAt(object, ['metadata', 'name']));
  const namespace = String(scalarAt(object, ['metadata', 'namespace']) ?? 'default');
  const replicas = { Job: ['spec', 'parallelism'], CronJob: ['spec', 'jobTemplate', 'spec', 'parallelism'] }[
    kind
  ] ?? ['spec', 'replicas'];
  setLine(found, 'replicas', input, pairAt(object, replicas));
  setLine(
    found,
    'maxSurge',
    input,
    pairAt(object, [
      'spec',
      kind === 'DaemonSet' ? 'updateStrategy' : 'strategy',
      'rollingUpdate',
      'maxSurge',
    ]),
  );
  const hpas = all.filter(
    ({ node }) =>
      scalarAt(node, ['kind']) === 'HorizontalPodAutoscaler' &&
      scalarAt(node, ['spec', 'scaleTargetRef', 'kind']) === kind &&
      scalarAt(node, ['spec', 'scaleTargetRef', 'name']) === name &&
      String(scalarAt(node, ['metadata', 'namespace']) ?? 'default') === namespace,
  );
  const hpa = hpas.find((candidate) => candidate.parsed === input) ?? hpas[0];
  if (hpa !== undefined) setLine(found, 'hpaMax', hpa.parsed, pairAt(hpa.node, ['spec', 'maxReplicas']));
  const podSpec =
    kind === 'Pod'
      ? ['spec']
      : kind === 'CronJob'
        ? ['spec', 'jobTemplate', 'spec', 'template', 'spec']
        : ['spec', 'template', 'spec'];
  const containerName = consumerName.startsWith(`${name}/`) ? consumerName.slice(name.length + 1) : undefined;
  const containers = [
    ...seqAt(object, [...podSpec, 'containers']),
    ...seqAt(object, [...podSpec, 'initContainers']),
  ].filter((container) => containerName === undefined || scalarAt(container, ['name']) === containerName);
  for (const field of POOL_SHAPE_VARIABLES) {
    for (const container of containers) {
      const entry = seqAt(container, ['env']).find((variable) => scalarAt(variable, ['name']) === field);
      if (entry !== undefined) {
        found[field] = lineOfNode(input, entry);
        break;
      }
      const fromMap = configMapEntry(container, field, namespace, input, all);
      if (fromMap !== undefined) {
        found[field] = fromMap;
        break;
      }
    }
  }
  return found;
}

/** A POOL_* value an `envFrom` ConfigMap supplies: the line of its `data` key. */
function configMapEntry(
  container: Node,
  field: string,
  namespace: string,
  input: ParsedFile,
  all: readonly PlacedObject[],
): SourceLine | undefined {
  for (const source of seqAt(container, ['envFrom'])) {
    const mapName = scalarAt(source, ['configMapRef', 'name']);
    const prefix = String(scalarAt(source, ['prefix']) ?? '');
    if (mapName === undefined || !field.startsWith(prefix)) continue;
    const maps = all.filter(
      ({ node }) =>
        scalarAt(node, ['kind']) === 'ConfigMap' &&
        scalarAt(node, ['metadata', 'name']) === mapName &&
        String(scalarAt(node, ['metadata', 'namespace']) ?? 'default') === namespace,
    );
    const map = maps.find((candidate) => candidate.parsed === input) ?? maps[0];
    const pair = map === undefined ? undefined : pairAt(map.node, ['data', field.slice(prefix.length)]);
    if (map !== undefined && pair !== undefined) return lineOfPair(map.parsed, pair);
  }
  return undefined;
}

function composeLocations(service: string, input: ParsedFile): SourceLocations {
  const root = input.objects[0];
  const pair = root === undefined ? undefined : pairAt(root, ['services', service]);
  if (pair === undefined) return {};
  const found: Partial<Record<LocatedField, SourceLine>> = { object: lineOfPair(input, pair) };
  const node = pair.value as Node;
  setLine(found, 'replicas', input, pairAt(node, ['deploy', 'replicas']) ?? pairAt(node, ['scale']));
  const environment = pairAt(node, ['environment'])?.value;
  for (const field of POOL_SHAPE_VARIABLES) {
    if (isMap(environment)) setLine(found, field, input, pairAt(environment as Node, [field]));
    if (isSeq(environment)) {
      const entry = (environment.items as Node[]).find(
        (item) => isScalar(item) && (String(item.value).startsWith(`${field}=`) || item.value === field),
      );
      if (entry !== undefined) found[field] = lineOfNode(input, entry);
    }
  }
  return found;
}

function herokuLocations(consumerName: string, input: ParsedFile): SourceLocations {
  const root = input.objects[0];
  if (root === undefined || !isMap(root)) return {};
  const processType = consumerName.slice(consumerName.lastIndexOf('/') + 1);
  const formation = pairAt(root, ['formation', processType]);
  const found: Partial<Record<LocatedField, SourceLine>> = {
    object: formation === undefined ? lineOfNode(input, root) : lineOfPair(input, formation),
  };
  setLine(found, 'replicas', input, pairAt(root, ['formation', processType, 'quantity']));
  for (const field of POOL_SHAPE_VARIABLES) setLine(found, field, input, pairAt(root, ['env', field]));
  return found;
}

function setLine(
  found: Partial<Record<LocatedField, SourceLine>>,
  field: LocatedField,
  input: ParsedFile,
  pair: Pair | undefined,
): void {
  if (pair !== undefined) found[field] = lineOfPair(input, pair);
}

/** The pair at a key path through mappings, or `undefined`. */
function pairAt(node: unknown, path: readonly string[]): Pair | undefined {
  let current: unknown = node;
  let found: Pair | undefined;
  for (const key of path) {
    if (!isMap(current)) return undefined;
    found = (current.items as Pair[]).find((pair) => isScalar(pair.key) && String(pair.key.value) === key);
    if (found === undefined) return undefined;
    current = found.value;
  }
  return found;
}

function scalarAt(node: unknown, path: readonly string[]): unknown {
  const value = pairAt(node, path)?.value;
  return isScalar(value) ? value.value : undefined;
}

function seqAt(node: unknown, path: readonly string[]): Node[] {
  const value = pairAt(node, path)?.value;
  return isSeq(value) ? (value.items as Node[]) : [];
}

function lineOfPair(input: ParsedFile, pair: Pair): SourceLine {
  return lineOfNode(input, (pair.key ?? pair.value) as Node);
}

function lineOfNode(input: ParsedFile, node: Node): SourceLine {
  const offset = node.range?.[0] ?? 0;
  return { file: input.file, line: input.lines.linePos(offset).line };
}

/**
 * The line an input error points at: the parser's `at line N`, else the field
 * the message names (`spec.replicas`, a POOL_* env entry) inside the object it
 * names (`file#N`, `service "x"`, `formation.web`), else that object's line.
 */
export function errorLine(input: LocatableFile, message: string): number | undefined {
  const parserLine = / at line (\d+)/.exec(message);
  if (parserLine !== null) return Number(parserLine[1]);
  const parsed = parseFile(input.path, input.text);
  if (parsed === undefined) return undefined;
  const index = /^[^:]*#(\d+): /.exec(message);
  let object: Node | undefined = parsed.objects[index === null ? 0 : Number(index[1]) - 1];
  if (object === undefined) return undefined;
  const service = / service "([^"]+)"/.exec(message);
  if (service !== null)
    object = (pairAt(object, ['services', service[1]])?.value as Node | undefined) ?? object;
  const pool = /\b(POOL_SIZE|POOL_COUNT|MAX_OVERFLOW)\b/.exec(message)?.[1];
  if (pool !== undefined) {
    const envs = [object, ...containerNodes(object)];
    for (const node of envs) {
      const entry =
        seqAt(node, ['env']).find((variable) => scalarAt(variable, ['name']) === pool) ??
        (pairAt(node, ['env', pool])?.key as Node | undefined) ??
        (pairAt(node, ['environment', pool])?.key as Node | undefined) ??
        seqAt(node, ['environment']).find(
          (item) => isScalar(item) && String(item.value).startsWith(`${pool}=`),
        );
      if (entry !== undefined) return lineOfNode(parsed, entry).line;
    }
  }
  const field = /\b((?:spec|deploy|formation|scale|metadata|data)(?:\.[\w-]+)*)/.exec(
    message.replace(/^[^:]*: /, ''),
  )?.[1];
  const pair = field === undefined ? undefined : pairAt(object, field.split('.'));
  return lineOfNode(parsed, (pair?.key as Node | undefined) ?? object).line;
}

/** Every container map anywhere under an object (bounded depth). */
function containerNodes(node: unknown, depth = 0): Node[] {
  if (depth > 12 || !isMap(node)) return [];
  return (node.items as Pair[]).flatMap((pair) => {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if ((key === 'containers' || key === 'initContainers') && isSeq(pair.value))
      return pair.value.items as Node[];
    return containerNodes(pair.value, depth + 1);
  });
}
