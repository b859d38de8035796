/**
 * Reads the files and directories given to `check`: Kubernetes YAML, Compose
 * files and Heroku `app.json`, plus a synthesized `connection-budget.json`
 * (which says which database each generated file belongs to). Directories are
 * walked (bounded); files given by name must be something the budget reads.
 * Which files are read, and how, is `collectInputFiles`'s job (symlinks, `-`, size cap).
 */
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Consumer } from '../budget/budget-types.js';
import type { BudgetReport } from '../budget/budget-report.js';
import { BUDGET_REPORT_FILES } from '../budget/connection-budget-validation.js';
import { isComposeFile, readComposeFile } from '../budget/compose-file.js';
import { isHerokuAppJson, readHerokuAppJson } from '../budget/heroku-app-json.js';
import { isKubernetesObject, readKubernetesObjects, type SourcedObject } from '../budget/kubernetes-manifests.js';
import { InputError } from '../budget/manifest-input.js';
import type { RuntimeTimingFacts } from '../budget/runtime-timing.js';
import { collectInputFiles, InputFilesError, readRegularFile, type StandardInput } from '../readers/input-files.js';

/** Consumers found in one file. */
export interface FileConsumers {
  /** As given or found, for messages. */
  readonly file: string;
  readonly absolute: string;
  readonly consumers: readonly Consumer[];
}

/** Everything read from the inputs. */
export interface Inputs {
  readonly files: readonly FileConsumers[];
  readonly timing: readonly RuntimeTimingFacts[];
  readonly notes: readonly string[];
  /** A synthesized budget report found among the inputs, with its directory. */
  readonly budget?: { readonly directory: string; readonly report: BudgetReport };
}

/** Options of `readInputs`. */
export interface ReadInputOptions {
  /** Heroku preboot on for every app.json. */
  readonly preboot?: boolean;
  /** Standard input, read for `-` (default `process.stdin`). */
  readonly stdin?: StandardInput;
}

/** Kubernetes kinds the budget reads. */
const READ_KINDS = ['Deployment', 'HorizontalPodAutoscaler', 'ConfigMap'];

/** Files a folder walk reads. */
function isInputName(name: string): boolean {
  return /\.(ya?ml)$/.test(name) || name === 'app.json' || name === BUDGET_REPORT_FILES.json;
}

/**
 * Reads every input; throws `InputError` (one line) on anything malformed, or
 * `InputFilesError` (one line per problem) when files cannot be read.
 */
export async function readInputs(paths: readonly string[], options: ReadInputOptions = {}): Promise<Inputs> {
  const collected = await collectInputFiles(paths, {
    isCandidate: isInputName,
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
  });
  const explicit = collected.files.filter((input) => input.named).map((input) => input.path);
  const files: FileConsumers[] = [];
  const timing: RuntimeTimingFacts[] = [];
  const notes: string[] = [...collected.notes];
  const kubernetes: SourcedObject[] = [];
  const kubernetesFiles: { file: string; absolute: string; objects: number }[] = [];
  let budget: Inputs['budget'];
  const ordered = [...collected.files.filter((input) => input.named), ...collected.files.filter((input) => !input.named)];
  for (const { path: file, named, text } of ordered) {
    const absolute = resolve(file);
    if (basename(file) === BUDGET_REPORT_FILES.json) {
      budget = { directory: dirname(absolute), report: readBudgetJson(file, text) };
      continue;
    }
    if (file.endsWith('.json')) {
      const document = parseJson(file, text);
      if (!isHerokuAppJson(document, file)) {
        if (named) throw new InputError(`${file}: not a Heroku app.json (no "formation" and not named app.json): the budget reads app.json, Kubernetes YAML and Compose files`);
        continue;
      }
      const findings = readHerokuAppJson(document, file, options);
      files.push({ file, absolute, consumers: findings.consumers });
      timing.push(...findings.timing);
      notes.push(...findings.notes);
      continue;
    }
    const documents = parseYamlDocuments(file, text).filter((document) => document !== null && document !== undefined);
    if (documents.length === 1 && isComposeFile(documents[0])) {
      const findings = readComposeFile(documents[0], file, { readEnvFile: (path) => readOptional(join(dirname(file), path)) });
      files.push({ file, absolute, consumers: findings.consumers });
      timing.push(...findings.timing);
      notes.push(...findings.notes);
      continue;
    }
    const objects = documents.flatMap((document) => (isKubernetesList(document) ? (document as { items: unknown[] }).items : [document]));
    if (objects.length === 0 || !objects.every(isKubernetesObject)) {
      if (named) throw new InputError(`${file}: neither Kubernetes objects (apiVersion and kind) nor a Compose file (services): the budget reads app.json, Kubernetes YAML and Compose files`);
      continue;
    }
    const kinds = objects.map((object) => String((object as { kind: unknown }).kind));
    if (named && !kinds.some((kind) => READ_KINDS.includes(kind))) {
      throw new InputError(`${file}: has no ${READ_KINDS.join(', ')} (found ${[...new Set(kinds)].join(', ')}): nothing the budget reads`);
    }
    objects.forEach((object, index) => kubernetes.push({ object, source: objects.length === 1 ? file : `${file}#${index + 1}` }));
    kubernetesFiles.push({ file, absolute, objects: objects.length });
  }
  // Kubernetes objects are read together: an HPA or ConfigMap may sit in another file than its Deployment.
  const findings = readKubernetesObjects(kubernetes);
  for (const { file, absolute } of kubernetesFiles) {
    files.push({ file, absolute, consumers: findings.consumers.filter((consumer) => consumer.source === file || consumer.source?.startsWith(`${file}#`)) });
  }
  timing.push(...findings.timing);
  notes.push(...findings.notes);
  for (const file of explicit) {
    const entry = files.find((candidate) => candidate.file === file);
    if (entry !== undefined && entry.consumers.length === 0 && !notes.some((note) => note.startsWith(file))) {
      notes.push(`${file}: no database client found`);
    }
  }
  return { files, timing, notes, ...(budget === undefined ? {} : { budget }) };
}

/** The file's path relative to a directory, `/`-separated. */
export function relativePath(directory: string, absolute: string): string {
  return relative(directory, absolute).split(sep).join('/');
}

/** An `env_file`: absent is `undefined`; a FIFO, an over-size or unreadable file is refused. */
function readOptional(file: string): string | undefined {
  try {
    return readRegularFile(file);
  } catch (error) {
    const missing = error instanceof InputFilesError && error.problems.every((problem) => problem.endsWith(': no such file or directory'));
    if (missing) return undefined;
    throw error;
  }
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: not valid JSON: ${oneLine((error as Error).message)}`);
  }
}

/** Aliases a YAML file may expand; manifests use a handful at most. */
const MAX_YAML_ALIASES = 100;

function parseYamlDocuments(file: string, text: string): unknown[] {
  const documents = parseAllDocuments(text);
  const list = Array.isArray(documents) ? documents : [documents];
  for (const document of list) {
    const error = document.errors[0];
    if (error !== undefined) {
      const position = error.linePos?.[0];
      const message = oneLine(error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''));
      throw new InputError(`${file}: not valid YAML${position === undefined ? '' : ` at line ${position.line}, column ${position.col}`}: ${message}`);
    }
  }
  return list.map((document) => {
    try {
      // The alias bound stops "billion laughs" documents from expanding without limit.
      return document.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown;
    } catch (error) {
      throw new InputError(`${file}: not usable YAML: ${oneLine((error as Error).message)}`);
    }
  });
}

/** Parser messages quote the input: control characters are escaped so the error stays one line. */
function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  return message.replace(/[\u0000-\u001f\u007f]/g, (character) => JSON.stringify(character).slice(1, -1));
}

function isKubernetesList(document: unknown): boolean {
  return typeof document === 'object' && document !== null && (document as { kind?: unknown }).kind === 'List'
    && Array.isArray((document as { items?: unknown }).items);
}

function readBudgetJson(file: string, text: string): BudgetReport {
  const document = parseJson(file, text) as Partial<BudgetReport> | null;
  if (document === null || typeof document !== 'object' || !Array.isArray(document.databases)) {
    throw new InputError(`${file}: not a connection budget report (no "databases" list): synthesize it again with npm run synth`);
  }
  return document as BudgetReport;
}
