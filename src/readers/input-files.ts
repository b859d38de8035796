/**
 * Collects the text of the inputs given to `check`: files, folders (walked)
 * and `-` for standard input. Independent of what the files hold: the
 * manifest readers parse what this module returns.
 *
 * - Symlinks are followed, to files and to folders. A folder or file reached
 *   twice (two links, a loop back to an ancestor, a file named and also inside
 *   a named folder) is read once; the repeat is a note, not an error.
 * - Only regular files are read. A FIFO, socket or device is refused by name
 *   from its `stat`, without being opened for reading.
 * - A file larger than the cap (10 MiB) is refused from its `stat`, before it
 *   is read; the read itself is bounded too, so a file that grows after it
 *   was measured (or that `stat` reports as empty) cannot get past the cap.
 * - Every problem is collected; one `InputFilesError` lists them all.
 */
import { readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import {
  statOrProblem,
  checkRegular,
  readBounded,
  describeCap,
  identity,
  lstatOrUndefined,
  statOrUndefined,
  unreadable,
  errorCode,
} from './regular-file.js';

/** The largest input read, in bytes (10 MiB): a file or standard input. */
export const INPUT_SIZE_CAP_BYTES = 10 * 1024 * 1024;

/** The path that stands for standard input. */
const STANDARD_INPUT = '-';

/** How standard input is named in messages and sources. */
export const STANDARD_INPUT_NAME = '<stdin>';

/** Files a folder walk collects by default: YAML and JSON. */
const DEFAULT_CANDIDATE = (name: string): boolean => /\.(ya?ml|json)$/i.test(name);
const DEFAULT_MAX_FILES = 5_000;
const DEFAULT_MAX_DEPTH = 12;
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git']);

/** One input read. */
export interface InputFile {
  /** As given, joined to its folder when found by a walk, or `<stdin>`; used in messages. */
  readonly path: string;
  /** Named on the command line (a file or `-`), not found by walking a folder. */
  readonly named: boolean;
  /** The content, decoded as UTF-8. */
  readonly text: string;
}

/** What `collectInputFiles` read. */
export interface CollectedInputs {
  /** In the order given; a folder's entries sorted by name. */
  readonly files: readonly InputFile[];
  /** Things skipped on purpose: a folder or file reached a second time, a symlink loop. */
  readonly notes: readonly string[];
}

/** Standard input as the collector reads it; `process.stdin` fits. */
export interface StandardInput extends AsyncIterable<Buffer | string> {
  /** True when it is a terminal: nothing is piped in. */
  readonly isTTY?: boolean;
}

/** Options of `collectInputFiles`. */
export interface CollectInputOptions {
  /**
   * The largest file or standard input read, in bytes.
   * @default INPUT_SIZE_CAP_BYTES (10 MiB)
   */
  readonly maxBytes?: number;
  /**
   * Which folder entries are inputs, by name (files named on the command line are always read).
   * @default names ending in .yaml, .yml or .json
   */
  readonly isCandidate?: (name: string) => boolean;
  /**
   * Standard input, read when a path is `-`.
   * @default process.stdin
   */
  readonly stdin?: StandardInput;
  /**
   * The most files a walk collects.
   * @default 5000
   */
  readonly maxFiles?: number;
  /**
   * The deepest folder level a walk enters below a named folder.
   * @default 12
   */
  readonly maxDepth?: number;
}

/**
 * Bad inputs: one problem per line, each naming the input, showing what was
 * found and saying what to do. The CLI prints each and exits 2.
 */
export class InputFilesError extends Error {
  override readonly name = 'InputFilesError';

  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    // A path may hold control characters: escaped, each problem stays one line.
    const lines = problems.map((problem) =>
      // eslint-disable-next-line no-control-regex
      problem.replace(/[\u0000-\u001f\u007f]/g, (character) => JSON.stringify(character).slice(1, -1)),
    );
    super(lines.join('\n'));
    this.problems = lines;
  }
}

/**
 * Reads every input: files by name, folders walked (following symlinks), `-`
 * from standard input (allowed once, refused when it is a terminal).
 * @throws InputFilesError listing every problem found, after looking at every input.
 */
export async function collectInputFiles(
  paths: readonly string[],
  options: CollectInputOptions = {},
): Promise<CollectedInputs> {
  const collector = new Collector(options);
  let stdinGiven = false;
  for (const path of paths) {
    if (path !== STANDARD_INPUT) {
      collector.collectPath(path);
    } else if (stdinGiven) {
      collector.problems.push(`${STANDARD_INPUT}: standard input given twice: give - once`);
    } else {
      stdinGiven = true;
      await collector.collectStandardInput(options.stdin ?? process.stdin);
    }
  }
  if (collector.problems.length > 0) throw new InputFilesError(collector.problems);
  return { files: collector.files, notes: [...new Set(collector.notes)] };
}

/**
 * Reads one regular file of at most `maxBytes`, following symlinks, without
 * ever opening a FIFO, socket or device.
 * @throws InputFilesError with the one problem (missing, not a regular file, over the cap, unreadable).
 */
export function readRegularFile(path: string, maxBytes = INPUT_SIZE_CAP_BYTES): string {
  const problems: string[] = [];
  const stats = statOrProblem(path, problems);
  if (stats !== undefined) {
    if (stats.isDirectory()) problems.push(`${path}: is a folder, not a file: name a file`);
    else if (checkRegular(path, stats, maxBytes, problems)) {
      const text = readBounded(path, stats, maxBytes, problems);
      if (text !== undefined) return text;
    }
  }
  throw new InputFilesError(problems);
}

/** Walk state: what was read, where, and what went wrong. */
class Collector {
  readonly files: { path: string; named: boolean; text: string }[] = [];
  readonly notes: string[] = [];
  readonly problems: string[] = [];
  private readonly maxBytes: number;
  private readonly isCandidate: (name: string) => boolean;
  private readonly maxFiles: number;
  private readonly maxDepth: number;
  /** Files and folders already taken, by `dev:ino`, with the path they were first reached by. */
  private readonly seenFiles = new Map<string, { path: string; index: number }>();
  private readonly seenFolders = new Map<string, string>();
  private found = 0;
  private tooMany = false;

  constructor(options: CollectInputOptions) {
    this.maxBytes = options.maxBytes ?? INPUT_SIZE_CAP_BYTES;
    this.isCandidate = options.isCandidate ?? DEFAULT_CANDIDATE;
    this.maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  }

  /** A path named on the command line: a file, or a folder to walk. */
  collectPath(path: string): void {
    const stats = statOrProblem(path, this.problems);
    if (stats === undefined) return;
    if (stats.isDirectory()) this.walk(path, stats, 0, []);
    else this.collectFile(path, stats, true);
  }

  async collectStandardInput(stdin: StandardInput): Promise<void> {
    if (stdin.isTTY === true) {
      this.problems.push(
        `${STANDARD_INPUT}: standard input is a terminal, nothing is piped in: ` +
          'pipe manifests in (helm template … | clientats-deploy check - …) or name files',
      );
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of stdin) {
        const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        total += buffer.length;
        if (total > this.maxBytes) {
          // Leaving the loop destroys the stream: the rest is never buffered.
          this.problems.push(
            `${STANDARD_INPUT}: standard input is larger than the ${describeCap(this.maxBytes)} ` +
              'input cap: split it and check the parts',
          );
          return;
        }
        chunks.push(buffer);
      }
    } catch (error) {
      this.problems.push(
        `${STANDARD_INPUT}: standard input cannot be read (${errorCode(error)}): ` +
          'pipe manifests in or name files',
      );
      return;
    }
    this.files.push({ path: STANDARD_INPUT_NAME, named: true, text: Buffer.concat(chunks).toString('utf8') });
  }

  /**
   * Walks a folder; `ancestors` are the folders on the way down (by `dev:ino`), so a
   * symlink back to one of them is told apart from a folder merely reached twice.
   */
  private walk(directory: string, stats: Stats, depth: number, ancestors: readonly string[]): void {
    const key = identity(stats);
    const first = this.seenFolders.get(key);
    if (first !== undefined) {
      this.notes.push(
        ancestors.includes(key)
          ? `${directory}: symlink loop back to ${first}, not followed (its files are read once)`
          : `${directory}: same folder as ${first}, read once`,
      );
      return;
    }
    this.seenFolders.set(key, directory);
    if (depth > this.maxDepth) {
      this.problems.push(
        `${directory}: more than ${this.maxDepth} folders deep: ` +
          'name it (or a folder closer to it) directly',
      );
      return;
    }
    let names: string[];
    try {
      names = readdirSync(directory).sort((a, b) => a.localeCompare(b));
    } catch (error) {
      this.problems.push(unreadable(directory, error));
      return;
    }
    for (const name of names) {
      if (this.tooMany) return;
      const path = join(directory, name);
      const entry = lstatOrUndefined(path);
      if (entry === undefined) continue; // removed while walking
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(name)) this.walk(path, entry, depth + 1, [...ancestors, key]);
        continue;
      }
      if (entry.isSymbolicLink()) {
        const target = statOrUndefined(path);
        if (target?.isDirectory() === true) {
          if (!SKIPPED_DIRECTORIES.has(name)) this.walk(path, target, depth + 1, [...ancestors, key]);
          continue;
        }
        if (!this.isCandidate(name)) continue;
        if (target === undefined) {
          statOrProblem(path, this.problems); // says why: broken link or loop
          continue;
        }
        this.collectFound(path, target);
        continue;
      }
      if (this.isCandidate(name)) this.collectFound(path, entry);
    }
  }

  private collectFound(path: string, stats: Stats): void {
    if (this.found >= this.maxFiles) {
      this.tooMany = true;
      this.problems.push(
        `${path}: more than ${this.maxFiles} files to check: ` + 'name the files or a smaller folder',
      );
      return;
    }
    this.found += 1;
    this.collectFile(path, stats, false);
  }

  private collectFile(path: string, stats: Stats, named: boolean): void {
    if (!checkRegular(path, stats, this.maxBytes, this.problems)) return;
    const key = identity(stats);
    const first = this.seenFiles.get(key);
    if (first !== undefined) {
      this.notes.push(`${path}: same file as ${first.path}, read once`);
      // Named anywhere means named: a named file gets the strict checks.
      if (named) this.files[first.index].named = true;
      return;
    }
    const text = readBounded(path, stats, this.maxBytes, this.problems);
    if (text === undefined) return;
    this.seenFiles.set(key, { path, index: this.files.length });
    this.files.push({ path, named, text });
  }
}
