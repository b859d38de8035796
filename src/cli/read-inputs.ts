/**
 * Reads the files and directories given to `check` (and `-`, standard input)
 * and hands them to the reader dispatcher (`readManifests`, the same one synth
 * uses). Which files are read, and how, is `collectInputFiles`'s job: regular
 * files only, symlinks followed with loop detection, each file once, a size cap.
 */
import { dirname, join, relative, resolve, sep } from 'node:path';
import {
  collectInputFiles,
  InputFilesError,
  readRegularFile,
  type StandardInput,
} from '../readers/input-files.js';
import {
  isBudgetInput,
  readManifests,
  type ManifestInputs,
  type ReadManifestOptions,
} from '../readers/read-manifests.js';

/** What `readManifests` found, with the directory of a synthesized report. */
export interface Inputs extends ManifestInputs {
  /** The directory holding `connection-budget.json`, when one was among the inputs. */
  readonly budgetDirectory?: string;
}

/** Options of `readInputs`. */
export interface ReadInputOptions extends Pick<
  ReadManifestOptions,
  'preboot' | 'nodes' | 'pgbouncerReplicas' | 'pgbouncerMaxSurge' | 'pgbouncerUsers' | 'locations'
> {
  /** Standard input, read for `-` (default `process.stdin`). */
  readonly stdin?: StandardInput;
}

/**
 * Reads every input; throws `InputError` (one line) on anything malformed, or
 * `InputFilesError` (one line per problem) when files cannot be read.
 */
export async function readInputs(paths: readonly string[], options: ReadInputOptions = {}): Promise<Inputs> {
  const { stdin, ...readOptions } = options;
  const collected = await collectInputFiles(paths, {
    // An `.ini` that is not a PgBouncer config is skipped with a note.
    isCandidate: isBudgetInput,
    ...(stdin === undefined ? {} : { stdin }),
  });
  const ordered = [
    ...collected.files.filter((input) => input.named),
    ...collected.files.filter((input) => !input.named),
  ];
  const inputs = readManifests(ordered, {
    ...readOptions,
    readEnvFile: (composeFile, envFile) => readOptional(join(dirname(composeFile), envFile)),
  });
  const withNotes = { ...inputs, notes: [...collected.notes, ...inputs.notes] };
  return inputs.budget === undefined
    ? withNotes
    : { ...withNotes, budgetDirectory: dirname(resolve(inputs.budget.file)) };
}

/** The file's path relative to a directory, `/`-separated. */
export function relativePath(directory: string, file: string): string {
  return relative(directory, resolve(file)).split(sep).join('/');
}

/** An `env_file`: absent is `undefined`; a FIFO, an over-size or unreadable file is refused. */
function readOptional(file: string): string | undefined {
  try {
    return readRegularFile(file);
  } catch (error) {
    const missing =
      error instanceof InputFilesError &&
      error.problems.every((problem) => problem.endsWith(': no such file or directory'));
    if (missing) return undefined;
    throw error;
  }
}
