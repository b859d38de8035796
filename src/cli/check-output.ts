/**
 * What `check` prints: `--format text|json|markdown|github` (`--json` and
 * `--markdown` are its aliases), with `--baseline PATH` the base branch's
 * budget compared with this one. The exit code never depends on the format.
 */
import type { BudgetDiff } from '../budget/budget-diff.js';
import { formatJson, formatMarkdown, formatText, type BudgetReport } from '../budget/budget-report.js';
import type { Consumer, SourceLocations } from '../budget/budget-types.js';
import { checkWithConsumers } from './check-command.js';
import { choiceOption, UsageError, type ParsedOptions } from './cli-options.js';
import type { LiveOptions } from './command-inputs.js';
import { hasServiceOptions } from './command-inputs.js';
import { InputError } from '../readers/manifest-input.js';

/** Output formats of `check`. */
export type CheckFormat = 'text' | 'json' | 'markdown' | 'github';

/** The format the options ask for. */
function formatOption(options: ParsedOptions): CheckFormat {
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
      `--baseline compares files: give the head's files, not service flags, ` +
        `got --baseline ${JSON.stringify(baselinePath)}`,
    );
  }
  const { report, consumers } = await checkWithConsumers(options, live, format === 'github');
  const diff =
    baselinePath === undefined
      ? undefined
      : (await import('../budget/budget-diff.js')).diffReports(
          await baselineReport(options, live, baselinePath),
          report,
        );
  return { text: await render(format, report, consumers, diff, baselinePath), fits: report.fits };
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

/** Renders the report; what only one format needs (the chart, annotations, the diff) is loaded for it. */
async function render(
  format: CheckFormat,
  report: BudgetReport,
  consumers: readonly Consumer[],
  diff: BudgetDiff | undefined,
  baseline: string | undefined,
): Promise<string> {
  switch (format) {
    case 'json':
      return formatJson(diff === undefined ? report : ({ ...report, diff } as BudgetReport));
    case 'markdown': {
      const { budgetMermaid } = await import('../observability/budget-mermaid.js');
      const markdown = formatMarkdown(report, { chart: budgetMermaid });
      if (diff === undefined) return markdown;
      const { formatDiffMarkdown } = await import('../budget/budget-diff.js');
      return `${formatDiffMarkdown(diff)}\n${markdown}`;
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
      const { budgetAnnotations, workflowCommand } = await import('./github-annotations.js');
      const commands = budgetAnnotations(report, locate, diff).map(workflowCommand);
      const text = await textOf(report, diff, baseline);
      return `${commands.join('\n')}\n::group::connection budget\n${text}::endgroup::\n`;
    }
    default:
      return textOf(report, diff, baseline);
  }
}

async function textOf(
  report: BudgetReport,
  diff: BudgetDiff | undefined,
  baseline: string | undefined,
): Promise<string> {
  if (diff === undefined) return formatText(report);
  const { diffLines } = await import('../budget/budget-diff.js');
  return `${formatText(report)}\nchange against ${baseline}:\n${diffLines(diff)
    .map((line) => `  ${line}\n`)
    .join('')}`;
}
