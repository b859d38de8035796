/**
 * `runCli(argv, io)`: the whole `clientats-deploy` command line as a function
 * returning the exit code, with stdout/stderr injected so tests run it
 * in-process. User errors print one line on stderr and return 2; no stack trace.
 */
import { formatMarkdown } from '../budget/budget-report.js';
import { budgetMermaid } from '../observability/budget-mermaid.js';
import { InputError } from '../readers/manifest-input.js';
import { planHpaMax, planPoolSize, type PlanResult } from '../budget/plan-budget.js';
import { listProviders } from '../budget/providers.js';
import { usableSlots } from '../budget/compute-budget.js';
import { InputFilesError } from '../readers/input-files.js';
import { checkOutput, inputErrorCommand, wantsGithubFormat } from './check-output.js';
import {
  choiceOption,
  modeOption,
  packageVersion,
  parseOptions,
  UsageError,
  type ParsedOptions,
} from './cli-options.js';
import { databaseFromOptions, serviceFromOptions, type LiveOptions } from './command-inputs.js';
import { helpText } from './help-text.js';
import { pgbouncerPlan } from './pgbouncer-plan-command.js';

/** Where the CLI writes; `process.stdout` / `process.stderr` fit. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Hooks for the live database read (tests). */
  readonly live?: LiveOptions;
}

/** Exit codes. */
export const EXIT = { fits: 0, overBudget: 1, badInput: 2 } as const;

const COMMANDS = ['check', 'plan', 'providers'];

/** Runs one command line (without `node` and the script) and returns its exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.stdout.write(helpText());
      return command === undefined ? EXIT.badInput : EXIT.fits;
    }
    if (command === '--version') {
      io.stdout.write(`clientats-deploy ${packageVersion()}\n`);
      return EXIT.fits;
    }
    if (!COMMANDS.includes(command))
      throw new UsageError(`unknown command ${JSON.stringify(command)}: use one of ${COMMANDS.join(', ')}`);
    const options = parseOptions(command, rest);
    if (options.values.help === true) {
      io.stdout.write(helpText(command));
      return EXIT.fits;
    }
    if (options.values.version === true) {
      io.stdout.write(`clientats-deploy ${packageVersion()}\n`);
      return EXIT.fits;
    }
    switch (command) {
      case 'check':
        return await check(options, io);
      case 'plan':
        return await plan(options, io);
      default:
        return providers(options, io);
    }
  } catch (error) {
    // In a workflow, bad input is annotated at its file and line too (stdout, where workflow commands go).
    const annotate =
      command === 'check' && wantsGithubFormat(rest)
        ? (problem: string): void => void io.stdout.write(`${inputErrorCommand(problem)}\n`)
        : (): void => undefined;
    if (error instanceof InputFilesError) {
      for (const problem of error.problems) io.stderr.write(`clientats-deploy: ${problem}\n`);
      error.problems.forEach(annotate);
      return EXIT.badInput;
    }
    if (error instanceof InputError) {
      const message = error.message.replace(/\s*\n\s*/g, '; ');
      io.stderr.write(`clientats-deploy: ${message}\n`);
      annotate(message);
      return EXIT.badInput;
    }
    throw error;
  }
}

async function check(options: ParsedOptions, io: CliIo): Promise<number> {
  const { text, fits } = await checkOutput(options, io.live);
  io.stdout.write(text);
  return fits ? EXIT.fits : EXIT.overBudget;
}

async function plan(options: ParsedOptions, io: CliIo): Promise<number> {
  if (options.positionals.length > 0)
    throw new UsageError(
      `plan takes flags only, got ${options.positionals.map((path) => JSON.stringify(path)).join(', ')}`,
    );
  const solve = choiceOption(
    options,
    'solve',
    ['pool-size', 'hpa-max', 'pgbouncer-pool-size', 'pgbouncer-fleet'] as const,
    'pool-size',
  );
  if (solve === 'pgbouncer-pool-size' || solve === 'pgbouncer-fleet') {
    const planned = await pgbouncerPlan(options, solve, io.live);
    io.stdout.write(
      options.values.json === true ? `${JSON.stringify(planned, null, 2)}\n` : `${planned.summary}\n`,
    );
    return planned.value === undefined ? EXIT.overBudget : EXIT.fits;
  }
  const database = await databaseFromOptions(options, io.live);
  if (database === undefined)
    throw new UsageError(
      'no database given: pass --max-connections N, --provider NAME or --database-url URL',
    );
  const mode = modeOption(options);
  let result: PlanResult;
  if (solve === 'hpa-max') {
    if (options.values['hpa-max'] !== undefined)
      throw new UsageError('--hpa-max is what --solve hpa-max computes: leave it out');
    const service = serviceFromOptions(options, false);
    if (service.kind !== 'kubernetes')
      throw new UsageError(
        `--solve hpa-max applies to --platform kubernetes only, got --platform ${service.kind}`,
      );
    result = asInputError(() => planHpaMax(service, database.target, { mode }));
  } else {
    if (options.values['pool-size'] !== undefined)
      throw new UsageError('--pool-size is what plan computes: leave it out (or use --solve hpa-max)');
    const service = serviceFromOptions(options);
    result = asInputError(() => planPoolSize(service, database.target, { mode }));
  }
  if (options.values.json === true) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else if (options.values.markdown === true) {
    io.stdout.write(
      `**${result.summary}**\n\n${formatMarkdown(
        {
          mode,
          fits: result.budget.fits,
          databases: [result.budget],
          runtimeChecks: [],
          notes: database.notes,
        },
        { chart: budgetMermaid },
      )}`,
    );
  } else {
    io.stdout.write(`${result.summary}\n${database.notes.map((note) => `note: ${note}\n`).join('')}`);
  }
  return result.value === undefined ? EXIT.overBudget : EXIT.fits;
}

/** Arithmetic errors (absurd counts) are bad input, not crashes. */
function asInputError<T>(compute: () => T): T {
  try {
    return compute();
  } catch (error) {
    throw new InputError((error as Error).message, { cause: error });
  }
}

function providers(options: ParsedOptions, io: CliIo): number {
  if (options.positionals.length > 0)
    throw new UsageError(
      `providers takes no arguments, got ${options.positionals.map((path) => JSON.stringify(path)).join(', ')}`,
    );
  const presets = listProviders();
  if (options.values.json === true) {
    io.stdout.write(`${JSON.stringify(presets, null, 2)}\n`);
    return EXIT.fits;
  }
  const rows = [
    ['preset', 'max_connections', 'reserved', 'usable', 'verify'],
    ...presets.map((preset) => [
      preset.name,
      String(preset.maxConnections),
      String(preset.superuserReserved + preset.providerReserved),
      String(
        usableSlots({
          name: preset.name,
          maxConnections: preset.maxConnections,
          superuserReserved: preset.superuserReserved,
          providerReserved: preset.providerReserved,
        }).usable,
      ),
      preset.verify ? 'verify' : '',
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const lines = rows.map((row) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
      .join('  ')
      .trimEnd(),
  );
  const sources = [...new Set(presets.map((preset) => `${preset.name.split(':')[0]}: ${preset.source}`))];
  io.stdout.write(
    `${lines.join('\n')}\n\nAlso: aws-rds:<N>gib (LEAST(memory/9531392, 5000), verify) and digitalocean:<N>gib (25 per GiB, verify).\n\nSources:\n${sources.map((source) => `  ${source}`).join('\n')}\n`,
  );
  return EXIT.fits;
}
