/**
 * Reads the files and directories given to `check` from disk and hands them
 * to the reader dispatcher (`readManifests`, the same one synth uses).
 * Directories are walked (bounded); files given by name must be something the
 * budget reads.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { InputError } from '../readers/manifest-input.js';
import {
  BUDGET_REPORT_FILE, readManifests, type InputFile, type ManifestInputs, type ReadManifestOptions,
} from '../readers/read-manifests.js';

/** What `readManifests` found, with the directory of a synthesized report. */
export interface Inputs extends ManifestInputs {
  /** The directory holding `connection-budget.json`, when one was among the inputs. */
  readonly budgetDirectory?: string;
}

/** Options of `readInputs`. */
export type ReadInputOptions = Pick<ReadManifestOptions, 'preboot' | 'nodes'>;

const MAX_FILES = 5_000;
const MAX_DEPTH = 12;
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git']);

/** Reads every input; throws `InputError` (one line) on anything malformed. */
export function readInputs(paths: readonly string[], options: ReadInputOptions = {}): Inputs {
  const explicit: string[] = [];
  const found: string[] = [];
  for (const path of paths) {
    if (!existsSync(path)) throw new InputError(`${path}: no such file or directory`);
    if (statSync(path).isDirectory()) walk(path, 0, found);
    else explicit.push(path);
  }
  const files: InputFile[] = [
    ...explicit.map((path) => ({ path, text: readText(path), named: true })),
    ...found.map((path) => ({ path, text: readText(path), named: false })),
  ];
  const inputs = readManifests(files, {
    ...options,
    readEnvFile: (composeFile, envFile) => readOptional(join(dirname(composeFile), envFile)),
  });
  return inputs.budget === undefined ? inputs : { ...inputs, budgetDirectory: dirname(resolve(inputs.budget.file)) };
}

/** The file's path relative to a directory, `/`-separated. */
export function relativePath(directory: string, file: string): string {
  return relative(directory, resolve(file)).split(sep).join('/');
}

function walk(directory: string, depth: number, found: string[]): void {
  if (depth > MAX_DEPTH) return;
  for (const entry of readdirSync(directory, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) walk(path, depth + 1, found);
    } else if (/\.(ya?ml)$/.test(entry.name) || entry.name === 'app.json' || entry.name === BUDGET_REPORT_FILE) {
      if (found.length >= MAX_FILES) throw new InputError(`${directory}: more than ${MAX_FILES} files to check: name the files or a smaller directory`);
      found.push(path);
    }
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
