/**
 * What `check` prints: `--format text|json|markdown|github` (`--json` and
 * `--markdown` are its aliases), with `--baseline PATH` the base branch's
 * budget compared with this one. The exit code never depends on the format.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { diffLines, diffReports, formatDiffMarkdown, type BudgetDiff } from '../budget/budget-diff.js';
import { formatJson, formatMarkdown, formatText, type BudgetReport } from '../budget/budget-report.js';
import { budgetMermaid } from '../observability/budget-mermaid.js';
import type { Consumer, SourceLocations } from '../budget/budget-types.js';
import { errorLine } from '../readers/source-lines.js';
import { budgetAnnotations, workflowCommand } from '../report/github-annotations.js';
import { checkWithConsumers } from './check-command.js';
import { choiceOption, UsageError, type ParsedOptions } from './cli-options.js';
import type { LiveOptions } from './command-inputs.js';
import { hasServiceOptions } from './command-inputs.js';
import { InputError } from '../readers/manifest-input.js';

/** Output formats of `check`. */
export type CheckFormat = 'text' | 'json' | 'markdown' | 'github';

/** The format the options ask for. */
export function formatOption(options: ParsedOptions): CheckFormat {
  if (options.values.json === true) return 'json';
  if (options.values.markdown === true) return 'markdown';
  return choiceOption(options, 'format', ['text', 'json', 'markdown', 'github'] as const, 'text');
}

/** Runs `check` and renders it; returns the text and whether everything fits. */
export async function checkOutput(
  options: ParsedOptions,
  live: LiveOptions = {},
): Promise<{ text: string; fits: boolean }> {
  const format = formatOption(options);
  const baselinePath = options.values.baseline === undefined ? undefined : String(options.values.baseline);
  if (baselinePath !== undefined && hasServiceOptions(options)) {
    throw new UsageError(
      `--baseline compares files: give the head's files, not service flags, got --baseline ${JSON.stringify(baselinePath)}`,
    );
  }
  const { report, consumers } = await checkWithConsumers(options, live, format === 'github');
  const diff =
    baselinePath === undefined
      ? undefined
      : diffReports(await baselineReport(options, live, baselinePath), report);
  return { text: render(format, report, consumers, diff, baselinePath), fits: report.fits };
}

async function baselineReport(
  options: ParsedOptions,
  live: LiveOptions,
  path: string,
): Promise<BudgetReport> {
  try {
    return (await checkWithConsumers({ ...options, positionals: [path] }, live)).report;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new UsageError(`--baseline ${JSON.stringify(path)} cannot be checked: ${error.message}`, {
      cause: error,
    });
  }
}

function render(
  format: CheckFormat,
  report: BudgetReport,
  consumers: readonly Consumer[],
  diff: BudgetDiff | undefined,
  baseline: string | undefined,
): string {
  switch (format) {
    case 'json':
      return formatJson(diff === undefined ? report : ({ ...report, diff } as BudgetReport));
    case 'markdown': {
      const markdown = formatMarkdown(report, { chart: budgetMermaid });
      return diff === undefined ? markdown : `${formatDiffMarkdown(diff)}\n${markdown}`;
    }
    case 'github': {
      const locate = (consumer: {
        name: string;
        kind: string;
        source?: string;
      }): SourceLocations | undefined => {
        const found = consumers.find(
          (candidate) =>
            candidate.kind === consumer.kind &&
            candidate.name === consumer.name &&
            candidate.source === consumer.source,
        );
        return found === undefined || found.kind === 'other' ? undefined : found.locations;
      };
      const commands = budgetAnnotations(report, locate, diff).map(workflowCommand);
      return `${commands.join('\n')}\n::group::connection budget\n${textOf(report, diff, baseline)}::endgroup::\n`;
    }
    default:
      return textOf(report, diff, baseline);
  }
}

function textOf(report: BudgetReport, diff: BudgetDiff | undefined, baseline: string | undefined): string {
  if (diff === undefined) return formatText(report);
  return `${formatText(report)}\nchange against ${baseline}:\n${diffLines(diff)
    .map((line) => `  ${line}\n`)
    .join('')}`;
}

/** True when the raw arguments ask for `--format github` (also when they fail to parse). */
export function wantsGithubFormat(argv: readonly string[]): boolean {
  return argv.some(
    (arg, index) => arg === '--format=github' || (arg === '--format' && argv[index + 1] === 'github'),
  );
}

/**
 * A bad-input problem (`file[#N]: message`) as an `::error` at its file and
 * line when the file can be read; without a file otherwise.
 */
export function inputErrorCommand(problem: string): string {
  const file = /^(.+?)(?:#\d+)?: /.exec(problem)?.[1];
  let at: { file?: string; line?: number } = {};
  if (file !== undefined && file !== '-' && existsSync(file) && statSync(file).isFile()) {
    let line: number | undefined;
    try {
      line = errorLine({ path: file, text: readFileSync(file, 'utf8') }, problem);
    } catch {
      line = undefined;
    }
    at = { file, ...(line === undefined ? {} : { line }) };
  }
  return workflowCommand({
    level: 'error',
    title: 'clientats-deploy check: bad input',
    message: problem,
    ...at,
  });
}
