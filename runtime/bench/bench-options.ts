/**
 * Command-line options of `npm run bench`. Defaults give the full measured
 * run; `--quick` gives tiny windows and one repetition, to check the scripts
 * still work (the smoke test runs that).
 */
import { SECTION_NAMES, type SectionName } from './bench-report.js';

/** Options of one bench run. */
export interface BenchOptions {
  /** Tiny windows and one repetition. */
  readonly quick: boolean;
  /** Sections to run, in suite order. */
  readonly only: readonly SectionName[];
  /** Measured window of each trial, seconds. @default 5 (quick: 0.25) */
  readonly seconds: number;
  /** Warm-up before each window, seconds. @default 1 (quick: 0.15) */
  readonly warmupSeconds: number;
  /** Repetitions of every contender, alternated. @default 5 (quick: 1) */
  readonly repetitions: number;
  /** Write the report as JSON to this path. */
  readonly jsonPath: string | undefined;
  /** Write the report as Markdown to this path. */
  readonly markdownPath: string | undefined;
  /** Run this contender's trials under `--cpu-prof` (profiles go to `profileDirectory`). */
  readonly profile: string | undefined;
  /** @default build/bench-profiles */
  readonly profileDirectory: string;
  /** Print progress lines to stderr. @default true */
  readonly verbose: boolean;
}

export const BENCH_USAGE =
  `usage: npm run bench -- [--quick] [--only ${SECTION_NAMES.join(',')}] ` +
  '[--seconds N] [--warmup N] [--reps N]\n' +
  '                       [--json FILE] [--markdown FILE] [--profile CONTENDER] [--profile-dir DIR] [--silent]';

/** Builds options from partial values, filling the defaults (quick or full). */
export function benchOptions(partial: Partial<BenchOptions> = {}): BenchOptions {
  const quick = partial.quick ?? false;
  return {
    quick,
    only: partial.only ?? SECTION_NAMES,
    seconds: partial.seconds ?? (quick ? 0.25 : 5),
    warmupSeconds: partial.warmupSeconds ?? (quick ? 0.15 : 1),
    repetitions: partial.repetitions ?? (quick ? 1 : 5),
    jsonPath: partial.jsonPath,
    markdownPath: partial.markdownPath,
    profile: partial.profile,
    profileDirectory: partial.profileDirectory ?? 'build/bench-profiles',
    verbose: partial.verbose ?? true,
  };
}

/** Parses `process.argv.slice(2)`. @throws Error naming the bad option and what is allowed. */
export function parseBenchArguments(argv: readonly string[]): BenchOptions {
  const partial: { -readonly [K in keyof BenchOptions]?: BenchOptions[K] } = {};
  for (let index = 0; index < argv.length; index += 1) {
    const flag = argv[index]!;
    const value = (): string => {
      const next = argv[index + 1];
      if (next === undefined || next.startsWith('--'))
        throw new Error(`${flag} needs a value\n${BENCH_USAGE}`);
      index += 1;
      return next;
    };
    switch (flag) {
      case '--quick':
        partial.quick = true;
        break;
      case '--silent':
        partial.verbose = false;
        break;
      case '--only':
        partial.only = parseSections(value());
        break;
      case '--seconds':
        partial.seconds = parsePositive(flag, value(), false);
        break;
      case '--warmup':
        partial.warmupSeconds = parsePositive(flag, value(), false, true);
        break;
      case '--reps':
        partial.repetitions = parsePositive(flag, value(), true);
        break;
      case '--json':
        partial.jsonPath = value();
        break;
      case '--markdown':
        partial.markdownPath = value();
        break;
      case '--profile':
        partial.profile = value();
        break;
      case '--profile-dir':
        partial.profileDirectory = value();
        break;
      case '--help':
        throw new Error(BENCH_USAGE);
      default:
        throw new Error(`unknown option "${flag}"\n${BENCH_USAGE}`);
    }
  }
  return benchOptions(partial);
}

function parseSections(text: string): SectionName[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  for (const name of names) {
    if (!(SECTION_NAMES as readonly string[]).includes(name)) {
      throw new Error(`--only must list sections among ${SECTION_NAMES.join(', ')}, got "${name}"`);
    }
  }
  return SECTION_NAMES.filter((name) => names.includes(name));
}

function parsePositive(flag: string, text: string, integer: boolean, zeroAllowed = false): number {
  const number = Number(text);
  const valid =
    text.trim() !== '' &&
    Number.isFinite(number) &&
    (zeroAllowed ? number >= 0 : number > 0) &&
    (!integer || Number.isInteger(number));
  if (!valid)
    throw new Error(
      `${flag} must be ${integer ? 'an integer' : 'a number'} ${zeroAllowed ? '>= 0' : '> 0'}, got "${text}"`,
    );
  return number;
}
