/**
 * `synthesize(app)`: one pipeline, render → read → compute → write.
 * 1. Validates every construct (its own prop checks; every problem of every
 *    environment, one line each, prefixed with the environment).
 * 2. Renders every chart and generated file in memory (`renderApp`).
 * 3. Reads them back with the readers `clientats-deploy check` uses and
 *    computes the connection budget of every declared database (`budgetOfRendered`).
 * 4. Renders what needs the budget's figures: the monitoring (alert thresholds
 *    are the report's), the budget picture (`renderMonitoring`); reads the final
 *    files back to prove the budget is unchanged.
 * 5. Writes everything, the budget report included, or nothing: any problem
 *    throws a `SynthError` listing each problem once.
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import type { App } from 'cdk8s';
import { SettingsError } from 'clientats-runtime/contract';
import type { IConstruct } from 'constructs';
import { formatJson, formatMarkdown, type BudgetReport } from '../budget/budget-report.js';
import type { BudgetMode } from '../budget/budget-types.js';
import type { GeneratedFile } from '../emit/generated-file.js';
import { InputFilesError } from '../readers/input-files.js';
import { InputError, isPlainError } from '../readers/manifest-input.js';
import { BUDGET_REPORT_FILE } from '../readers/read-manifests.js';
import { budgetMermaid } from '../observability/budget-mermaid.js';
import { renderApp } from './render-app.js';
import { DEFAULT_RUNBOOK_BASE_URL, renderMonitoring } from './render-monitoring.js';
import { budgetOfRendered } from './synth-budget.js';

/** The Markdown twin of the JSON budget report, for people. */
const BUDGET_MARKDOWN_FILE = 'connection-budget.md';

/** Options of `synthesize`. */
export interface SynthesizeOptions {
  /** The budget case that must fit. @default 'rollout' */
  readonly mode?: BudgetMode;
  /**
   * Where the alerts' `runbook_url` point: the README (anchors are appended), e.g.
   * `https://github.com/acme/app/blob/main/README.md`. @default 'README.md' (relative to a checkout)
   */
  readonly runbookBaseUrl?: string;
}

/** What `synthesize` wrote. */
export interface SynthResult {
  /** Written files, relative to the output directory, sorted. */
  readonly files: readonly string[];
  /** The connection budget of every declared database (also written as JSON and Markdown). */
  readonly report: BudgetReport;
}

/** Options of a `SynthError`. */
export interface SynthErrorOptions {
  /** The error the problems were read from, kept for its stack. */
  readonly cause?: unknown;
}

/** Synth refused: `problems` holds one line per problem, `message` all of them. */
export class SynthError extends Error {
  override readonly name = 'SynthError';
  constructor(
    readonly problems: readonly string[],
    options: SynthErrorOptions = {},
  ) {
    super(problems.join('\n'), options);
  }
}

/**
 * What a render step threw, as synth reports it. A problem of the input (an
 * `InputError`, `InputFilesError` or `SettingsError`, or a plain `Error`, which is
 * how the constructs, the readers and cdk8s refuse a value) becomes a `SynthError`
 * keeping it as `cause`; anything else (a `TypeError`, a `RangeError`, a thrown
 * non-error: a bug) is rethrown as is, stack and all.
 */
function asSynthError(error: unknown): SynthError {
  if (error instanceof SynthError) return error;
  if (error instanceof InputFilesError) return new SynthError(error.problems, { cause: error });
  if (isInputProblem(error)) return new SynthError([error.message], { cause: error });
  throw error;
}

function isInputProblem(error: unknown): error is Error {
  return error instanceof InputError || error instanceof SettingsError || isPlainError(error);
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
 * Validates, renders, budgets, then writes every file: the output directory
 * (`app.outdir`) is emptied first, so files of removed environments do not linger.
 * @throws SynthError listing every problem; nothing is written then.
 */
export function synthesize(app: App, options: SynthesizeOptions = {}): SynthResult {
  const problems = validationProblems(app);
  if (problems.length > 0) throw new SynthError(problems);
  assertDisposableOutdir(app.outdir, process.cwd());
  let rendered;
  try {
    rendered = renderApp(app);
  } catch (error) {
    throw asSynthError(error);
  }
  const budget = budgetOfRendered(rendered, options.mode ?? 'rollout');
  if (budget.problems.length > 0) throw new SynthError(budget.problems);
  let monitored: GeneratedFile[];
  try {
    monitored = renderMonitoring(rendered, budget.report, {
      runbookBaseUrl: options.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL,
    });
  } catch (error) {
    throw asSynthError(error);
  }
  // What is counted is what is written: the files with the monitoring added must budget the same.
  const recount = budgetOfRendered(
    { files: monitored, workloads: rendered.workloads },
    options.mode ?? 'rollout',
  );
  if (formatJson(recount.report) !== formatJson(budget.report)) {
    throw new SynthError([
      'the monitoring objects changed the connection budget of what synth rendered: report this as a bug',
    ]);
  }
  const files: GeneratedFile[] = [
    ...monitored,
    { path: BUDGET_REPORT_FILE, content: formatJson(budget.report) },
    { path: BUDGET_MARKDOWN_FILE, content: formatMarkdown(budget.report, { chart: budgetMermaid }) },
  ];
  const outdir = resolve(app.outdir);
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  for (const file of files) {
    const path = join(outdir, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content, { mode: file.executable === true ? 0o755 : 0o644 });
  }
  return { files: listFiles(outdir), report: budget.report };
}

/**
 * Refuses an output directory that is, or contains, the working directory: it
 * is emptied at every synth, so `outdir: '.'` must never get that far.
 */
export function assertDisposableOutdir(outdir: string, workingDirectory: string): void {
  const resolved = resolve(workingDirectory, outdir);
  if (
    resolved === workingDirectory ||
    workingDirectory.startsWith(`${resolved}${sep}`) ||
    resolved === dirname(resolved)
  ) {
    throw new SynthError([
      `the output directory must not contain the working directory (it is emptied at every synth), got "${outdir}"`,
    ]);
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
