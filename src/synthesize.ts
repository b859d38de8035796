/**
 * `synthesize(app)`: validates the whole app tree first (every problem of every
 * environment, one line each, prefixed with the environment), then replaces the
 * output directory with the charts' manifests and the emitters' files.
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import type { App } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { isFileEmitter } from './emit/generated-file.js';

/** Synth refused: `problems` holds one line per problem, `message` all of them. */
export class SynthError extends Error {
  override readonly name = 'SynthError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/**
 * Runs every construct's validations (as cdk8s's own synth does) and returns
 * the problems as `[<environment>] <message>`: the environment is the
 * top-level construct (chart, Compose project, Heroku app) the problem is in;
 * problems of the app itself carry no prefix.
 */
export function validationProblems(app: App): string[] {
  const problems: string[] = [];
  for (const construct of app.node.findAll()) {
    const environment = environmentOf(construct);
    for (const message of construct.node.validate()) {
      problems.push(environment === undefined ? message : `[${environment}] ${message}`);
    }
  }
  return problems;
}

/**
 * Validates, then writes every file: the output directory (`app.outdir`) is
 * emptied first, so files of removed environments do not linger.
 * @returns the written files, relative to the output directory, sorted.
 * @throws SynthError listing every problem; nothing is written then.
 */
export function synthesize(app: App): string[] {
  const problems = validationProblems(app);
  if (problems.length > 0) throw new SynthError(problems);
  const outdir = resolve(app.outdir);
  assertDisposableOutdir(app.outdir, process.cwd());
  rmSync(outdir, { recursive: true, force: true });
  app.synth();
  for (const construct of app.node.findAll()) {
    if (!isFileEmitter(construct)) continue;
    for (const file of construct.generatedFiles()) {
      const path = join(outdir, file.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, file.content, { mode: file.executable === true ? 0o755 : 0o644 });
    }
  }
  return listFiles(outdir);
}

/**
 * Refuses an output directory that is, or contains, the working directory: it
 * is emptied at every synth, so `outdir: '.'` must never get that far.
 */
export function assertDisposableOutdir(outdir: string, workingDirectory: string): void {
  const resolved = resolve(workingDirectory, outdir);
  if (resolved === workingDirectory || workingDirectory.startsWith(`${resolved}${sep}`) || resolved === dirname(resolved)) {
    throw new SynthError([`the output directory must not contain the working directory (it is emptied at every synth), got "${outdir}"`]);
  }
}

function environmentOf(construct: IConstruct): string | undefined {
  // scopes[0] is the app; scopes[1] the environment.
  return construct.node.scopes[1]?.node.id;
}

/** Files under a directory, relative and `/`-separated, sorted. */
function listFiles(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((path) => statSync(join(directory, path)).isFile())
    .map((path) => path.split(sep).join('/'))
    .sort();
}
