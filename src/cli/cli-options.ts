/**
 * Command-line options of `clientats-deploy`, parsed with `node:util`
 * `parseArgs` in non-strict mode so every mistake gets our own one-line message
 * naming the option, showing the value and saying what is allowed. Every
 * option is given at most once: a repeated one is an error, not last-one-wins
 * (no option is repeatable). A lone `-` is a positional: standard input.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  environmentVariable,
  parseDatabaseUrl,
  redactDatabaseUrl,
  type EnvironmentVariableName,
} from 'clientats-runtime/contract';
import type { BudgetMode } from '../budget/budget-types.js';
import { InputError } from '../readers/manifest-input.js';
import { findProvider, PROVIDER_PATTERNS, type ProviderPreset } from '../budget/providers.js';

/** Bad command-line input: the CLI prints the message and exits 2. */
export class UsageError extends InputError {}

/** How an option is read. */
type Kind = 'boolean' | 'string';

/** Every option, the commands that accept it, and what it takes. */
const OPTIONS = {
  help: { kind: 'boolean', short: 'h' },
  version: { kind: 'boolean' },
  json: { kind: 'boolean' },
  markdown: { kind: 'boolean' },
  strict: { kind: 'boolean' },
  preboot: { kind: 'boolean' },
  'ignore-connected': { kind: 'boolean' },
  'max-connections': { kind: 'string' },
  provider: { kind: 'string' },
  'database-url': { kind: 'string' },
  'database-name': { kind: 'string' },
  reserved: { kind: 'string' },
  headroom: { kind: 'string' },
  platform: { kind: 'string' },
  replicas: { kind: 'string' },
  'pool-size': { kind: 'string' },
  'pool-count': { kind: 'string' },
  'max-overflow': { kind: 'string' },
  'max-surge': { kind: 'string' },
  'max-unavailable': { kind: 'string' },
  strategy: { kind: 'string' },
  'hpa-max': { kind: 'string' },
  solve: { kind: 'string' },
  nodes: { kind: 'string' },
  // PgBouncer tier (check: a plain pgbouncer.ini's pod count).
  'pgbouncer-replicas': { kind: 'string' },
  // PgBouncer tier (plan --solve pgbouncer-pool-size | pgbouncer-fleet).
  'pgbouncer-max-surge': { kind: 'string' },
  'pgbouncer-users': { kind: 'string' },
  'reserve-pool-size': { kind: 'string' },
  'max-client-conn': { kind: 'string' },
  format: { kind: 'string' },
  baseline: { kind: 'string' },
} as const satisfies Record<string, { kind: Kind; short?: string }>;

/** An option's name. */
export type OptionName = keyof typeof OPTIONS;

/** Options that describe one service by flags. */
export const SERVICE_OPTIONS: readonly OptionName[] = [
  'replicas',
  'pool-size',
  'pool-count',
  'max-overflow',
  'max-surge',
  'max-unavailable',
  'strategy',
  'hpa-max',
  'platform',
];
const DATABASE_OPTIONS: readonly OptionName[] = [
  'max-connections',
  'provider',
  'database-url',
  'database-name',
  'reserved',
  'headroom',
  'ignore-connected',
];
const OUTPUT_OPTIONS: readonly OptionName[] = ['help', 'version', 'json', 'markdown'];

/** `check` in a pull request: GitHub annotations, the base branch's budget to compare with. */
const PULL_REQUEST_OPTIONS: readonly OptionName[] = ['format', 'baseline'];

/** Options each command accepts. */
export const COMMAND_OPTIONS: Readonly<Record<string, readonly OptionName[]>> = {
  check: [
    ...OUTPUT_OPTIONS,
    ...DATABASE_OPTIONS,
    ...SERVICE_OPTIONS,
    'strict',
    'preboot',
    'nodes',
    // PgBouncer tier
    'pgbouncer-replicas',
    'pgbouncer-max-surge',
    'pgbouncer-users',
    ...PULL_REQUEST_OPTIONS,
  ],
  plan: [
    ...OUTPUT_OPTIONS,
    ...DATABASE_OPTIONS,
    ...SERVICE_OPTIONS,
    'strict',
    'preboot',
    'solve',
    // PgBouncer tier
    'pgbouncer-replicas',
    'pgbouncer-max-surge',
    'reserve-pool-size',
    'max-client-conn',
  ],
  providers: ['help', 'version', 'json'],
};

/** Parsed options: strings and booleans as given, validated by the readers below. */
export interface ParsedOptions {
  readonly values: Readonly<Partial<Record<OptionName, string | boolean>>>;
  readonly positionals: readonly string[];
}

/** Parses `argv` (after the command) for `command`; unknown options and missing values are usage errors. */
export function parseOptions(command: string, argv: readonly string[]): ParsedOptions {
  const allowed = COMMAND_OPTIONS[command];
  const options = Object.fromEntries(
    Object.entries(OPTIONS).map(([name, option]) => [
      name,
      { type: option.kind, ...('short' in option ? { short: option.short } : {}) },
    ]),
  ) as Record<string, { type: Kind; short?: string }>;
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const [name, value] of Object.entries(values)) {
    if (!allowed.includes(name as OptionName)) {
      const shown = name.length === 1 ? `-${name}` : `--${name}`;
      throw new UsageError(
        `unknown option ${shown} for ${command}: allowed are ${allowed.map((option) => `--${option}`).join(', ')}`,
      );
    }
    const kind = OPTIONS[name as OptionName].kind;
    if (kind === 'string' && typeof value !== 'string')
      throw new UsageError(`--${name} needs a value: ${describeOption(name as OptionName)}`);
    if (kind === 'boolean' && typeof value !== 'boolean')
      throw new UsageError(`--${name} takes no value, got "${String(value)}"`);
  }
  const given = new Map<string, OptionToken>();
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const first = given.get(token.name);
    if (first !== undefined) throw new UsageError(repeatedOption(token.name, first, token));
    given.set(token.name, token);
  }
  if (positionals.filter((path) => path === STANDARD_INPUT_PATH).length > 1) {
    throw new UsageError('- (standard input) given twice: it can be read once, give - once');
  }
  if (values.json === true && values.markdown === true)
    throw new UsageError('--json and --markdown are alternatives: give one of them');
  if (values.format !== undefined && (values.json === true || values.markdown === true)) {
    throw new UsageError(
      `--format and --${values.json === true ? 'json' : 'markdown'} are alternatives: ` +
        `give one of them, got --format ${JSON.stringify(values.format)}`,
    );
  }
  return { values: values as ParsedOptions['values'], positionals };
}

/** The path that stands for standard input. */
const STANDARD_INPUT_PATH = '-';

/** An option as `parseArgs` tokens show it. */
interface OptionToken {
  readonly rawName: string;
  readonly value?: string | undefined;
}

/** `--pool-size given twice ("5" and "6"): give it once`. */
function repeatedOption(name: string, first: OptionToken, second: OptionToken): string {
  const shown = name.length === 1 ? `-${name}` : `--${name}`;
  const spelled = first.rawName === second.rawName ? '' : ` (as ${first.rawName} and ${second.rawName})`;
  const values =
    first.value === undefined && second.value === undefined
      ? ''
      : `, ${JSON.stringify(first.value ?? '')} and ${JSON.stringify(second.value ?? '')}`;
  return `${shown} given twice${spelled}${values}: give it once (a repeated option is not last-one-wins)`;
}

/** The version in clientats-deploy's package.json (the nearest above this module with that name). */
export function packageVersion(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 6; level += 1) {
    try {
      const text = readFileSync(join(directory, 'package.json'), 'utf8');
      const manifest = JSON.parse(text) as { name?: unknown; version?: unknown };
      if (manifest.name === 'clientats-deploy' && typeof manifest.version === 'string') {
        return manifest.version;
      }
    } catch {
      // No package.json at this level: look further up.
    }
    directory = dirname(directory);
  }
  const here = fileURLToPath(import.meta.url);
  throw new Error(`clientats-deploy's package.json was not found above ${here}: reinstall the package`);
}

/** What an option takes, in words (used in messages and help). */
export function describeOption(name: OptionName): string {
  switch (name) {
    case 'max-connections':
      return "an integer >= 1 (the server's max_connections)";
    case 'provider':
      return `a preset name (list them with: clientats-deploy providers) or ${PROVIDER_PATTERNS.join(' or ')}`;
    case 'database-url':
      return 'a postgres://, postgresql:// or ecto:// URL';
    case 'database-name':
      return 'a name for the report';
    case 'reserved':
      return 'an integer >= 0 (superuser_reserved_connections, default 3)';
    case 'headroom':
      return 'an integer >= 0 (slots kept free)';
    case 'platform':
      return 'one of kubernetes, compose, heroku';
    case 'replicas':
      return 'an integer >= 0 (pods, containers or dynos)';
    case 'pool-size':
      return contractRange('POOL_SIZE');
    case 'pool-count':
      return contractRange('POOL_COUNT');
    case 'max-overflow':
      return contractRange('MAX_OVERFLOW');
    case 'max-surge':
    case 'max-unavailable':
      return 'an integer >= 0 or a percentage like "25%" (at most 100000%)';
    case 'strategy':
      return 'one of RollingUpdate, Recreate';
    case 'hpa-max':
      return 'an integer >= 1 (HorizontalPodAutoscaler maxReplicas)';
    case 'solve':
      return 'one of pool-size, hpa-max, pgbouncer-pool-size, pgbouncer-fleet';
    case 'nodes':
      return 'an integer >= 1 (nodes a DaemonSet runs on)';
    case 'pgbouncer-max-surge':
      return 'an integer >= 0 (extra PgBouncer pods during a rollout, default 1)';
    case 'reserve-pool-size':
      return 'an integer >= 0 (PgBouncer reserve_pool_size, default 0)';
    case 'max-client-conn':
      return 'an integer >= 1 (PgBouncer max_client_conn per bouncer)';
    case 'pgbouncer-users':
      return 'an integer >= 1 (users in the PgBouncer userlist that connect through entries without user=)';
    case 'pgbouncer-replicas':
      return 'an integer >= 1 (PgBouncer pods running the pgbouncer.ini, HPA max included)';
    case 'format':
      return 'one of text, json, markdown, github (workflow command annotations)';
    case 'baseline':
      return 'a folder or file synthesized from the base branch, to show what the change does';
    default:
      return 'no value';
  }
}

function contractRange(name: EnvironmentVariableName): string {
  const schema = environmentVariable(name).schema as { minimum: number; maximum: number };
  return `an integer from ${schema.minimum} to ${schema.maximum} (${name})`;
}

/** An integer option, or `undefined` when absent. */
export function integerOption(
  options: ParsedOptions,
  name: OptionName,
  minimum = 0,
  maximum = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const raw = options.values[name];
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < minimum || value > maximum) {
    throw new UsageError(`--${name} must be ${describeOption(name)}, got ${JSON.stringify(String(raw))}`);
  }
  return value;
}

/** A contract-ranged pool option (POOL_SIZE / POOL_COUNT / MAX_OVERFLOW). */
export function poolOption(
  options: ParsedOptions,
  name: 'pool-size' | 'pool-count' | 'max-overflow',
): number {
  const variable = { 'pool-size': 'POOL_SIZE', 'pool-count': 'POOL_COUNT', 'max-overflow': 'MAX_OVERFLOW' }[
    name
  ] as EnvironmentVariableName;
  const schema = environmentVariable(variable).schema as { minimum: number; maximum: number };
  return (
    integerOption(options, name, schema.minimum, schema.maximum) ??
    Number(environmentVariable(variable).default)
  );
}

/** `--max-surge` / `--max-unavailable`: a count or a percentage. */
export function intOrPercentOption(
  options: ParsedOptions,
  name: 'max-surge' | 'max-unavailable',
): number | string | undefined {
  const raw = options.values[name];
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  if (/^\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  if (/^\d+%$/.test(text) && Number(text.slice(0, -1)) <= 100_000) return text;
  throw new UsageError(`--${name} must be ${describeOption(name)}, got ${JSON.stringify(String(raw))}`);
}

/** A string option restricted to some values. */
export function choiceOption<T extends string>(
  options: ParsedOptions,
  name: OptionName,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = options.values[name];
  if (raw === undefined) return fallback;
  const match = choices.find((choice) => choice.toLowerCase() === String(raw).trim().toLowerCase());
  if (match === undefined)
    throw new UsageError(`--${name} must be ${describeOption(name)}, got ${JSON.stringify(String(raw))}`);
  return match;
}

/** `--provider`: a known preset. */
export function providerOption(options: ParsedOptions): ProviderPreset | undefined {
  const raw = options.values.provider;
  if (raw === undefined) return undefined;
  const preset = findProvider(String(raw));
  if (preset === undefined)
    throw new UsageError(
      `--provider must be ${describeOption('provider')}, got ${JSON.stringify(String(raw))}`,
    );
  return preset;
}

/** `--database-url`: a parseable URL (shown redacted when it is not). */
export function databaseUrlOption(options: ParsedOptions): string | undefined {
  const raw = options.values['database-url'];
  if (raw === undefined) return undefined;
  try {
    parseDatabaseUrl(String(raw));
  } catch {
    throw new UsageError(
      `--database-url must be ${describeOption('database-url')}, got ${JSON.stringify(redactDatabaseUrl(String(raw)))}`,
    );
  }
  return String(raw);
}

/** The enforced case: `rollout`, or `strict` with `--strict`. */
export function modeOption(options: ParsedOptions): BudgetMode {
  return options.values.strict === true ? 'strict' : 'rollout';
}

/** True when the raw arguments ask for `--format github` (also when they fail to parse). */
export function wantsGithubFormat(argv: readonly string[]): boolean {
  return argv.some(
    (arg, index) => arg === '--format=github' || (arg === '--format' && argv[index + 1] === 'github'),
  );
}
