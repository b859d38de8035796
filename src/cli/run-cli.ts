/**
 * `runCli(argv, io)`: the whole `clientats-deploy` command line as a function
 * returning the exit code, with stdout/stderr injected so tests run it
 * in-process. User errors print one line on stderr and return 2; no stack trace.
 */
import { InputError } from '../readers/manifest-input.js';
import { InputFilesError } from '../readers/input-files.js';
import { EXIT, type CliIo } from './cli-io.js';
import {
  packageVersion,
  parseOptions,
  UsageError,
  wantsGithubFormat,
  type ParsedOptions,
} from './cli-options.js';
import { helpText } from './help-text.js';

const COMMANDS = ['check', 'plan', 'providers'];

/**
 * Runs one command line (without `node` and the script) and returns its exit
 * code. Each command's modules are imported when that command runs: `plan`,
 * `providers` and `--help` never load the YAML parser, `check` no planner.
 */
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
        return await (await import('./plan-command.js')).plan(options, io);
      default:
        return (await import('./providers-command.js')).providers(options, io);
    }
  } catch (error) {
    // In a workflow, bad input is annotated at its file and line too (stdout, where workflow commands go).
    const inputErrorCommand =
      command === 'check' && wantsGithubFormat(rest)
        ? (await import('./input-error-annotation.js')).inputErrorCommand
        : undefined;
    const annotate = (problem: string): void => {
      if (inputErrorCommand !== undefined) io.stdout.write(`${inputErrorCommand(problem)}\n`);
    };
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
  const { checkOutput } = await import('./check-output.js');
  const { text, fits } = await checkOutput(options, io.live);
  io.stdout.write(text);
  return fits ? EXIT.fits : EXIT.overBudget;
}
