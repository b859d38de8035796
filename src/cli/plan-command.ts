/**
 * `clientats-deploy plan`: the largest pool size (or HPA maximum, or PgBouncer
 * pool size / fleet) that still fits the database, printed as text, JSON or
 * Markdown. Loaded by `runCli` only for `plan`.
 */
import { formatMarkdown } from '../budget/budget-report.js';
import { planHpaMax, planPoolSize, type PlanResult } from '../budget/plan-budget.js';
import { budgetMermaid } from '../observability/budget-mermaid.js';
import { asInputError } from '../readers/manifest-input.js';
import { EXIT, type CliIo } from './cli-io.js';
import { choiceOption, modeOption, UsageError, type ParsedOptions } from './cli-options.js';
import { databaseFromOptions, serviceFromOptions } from './command-inputs.js';
import { pgbouncerPlan } from './pgbouncer-plan-command.js';

/** Runs `plan`; returns the exit code. */
export async function plan(options: ParsedOptions, io: CliIo): Promise<number> {
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
