/**
 * `loadSettings(env)`: the one place that turns environment strings into typed
 * settings. Every problem is collected and reported at once, one line each,
 * naming the variable, showing the value (secrets redacted) and saying what is
 * allowed. The generator runs the same `validateEnvironment` on every value it
 * writes, so a manifest can never carry a value the runtime rejects.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import {
  ENVIRONMENT_VARIABLES,
  type EnvironmentVariable,
  type EnvironmentVariableName,
  type LogLevel,
  type Pooler,
  type SslMode,
} from './environment-variables.js';
import { parseDatabaseUrl, redactDatabaseUrl } from './database-url.js';
import { validate as generatedValidator } from './settings-validator.generated.js';

export { SETTINGS_SCHEMA } from './settings-schema.js';

/** Typed runtime settings; durations in milliseconds. */
export interface Settings {
  /**
   * The database URL (from `DATABASE_URL` or the file named by `DATABASE_URL_FILE`), `undefined` when
   * neither is set.
   */
  readonly databaseUrl: string | undefined;
  readonly poolSize: number;
  readonly poolCount: number;
  readonly maxOverflow: number;
  readonly poolTimeoutMillis: number;
  readonly ssl: SslMode;
  readonly sslCaFile: string | undefined;
  /** DATABASE_POOLER: `pgbouncer` when the URL names a transaction-mode PgBouncer. */
  readonly pooler: Pooler;
  /** Trimmed; `undefined` when unset, empty or blank: diagnostics are then closed to everyone. */
  readonly healthCheckToken: string | undefined;
  readonly port: number;
  /** HTTP listen address; `undefined` (HOST unset or blank) listens on all interfaces. */
  readonly host: string | undefined;
  readonly overflowIdleMillis: number;
  readonly maxLifetimeMillis: number;
  readonly idleCheckMillis: number;
  readonly connectTimeoutMillis: number;
  readonly leakWarningMillis: number;
  readonly readinessIntervalMillis: number;
  readonly readinessTimeoutMillis: number;
  readonly shutdownDelayMillis: number;
  readonly shutdownDrainMillis: number;
  readonly logLevel: LogLevel;
  /** `NODE_ENV` as given. */
  readonly nodeEnv: string | undefined;
}

/** One bad variable. */
export interface SettingsProblem {
  readonly variable: string;
  /** The whole line: `POOL_SIZE must be an integer >= 1, got "0"`. */
  readonly message: string;
}

/** Thrown by `loadSettings`: every bad variable, one line each in `message`. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  constructor(readonly problems: readonly SettingsProblem[]) {
    super(problems.map((problem) => problem.message).join('\n'));
  }
}

/** Environment as `process.env` gives it. */
export type Environment = Readonly<Record<string, string | undefined>>;

type ParsedValues = Partial<Record<EnvironmentVariableName, string | number>>;

/** SETTINGS_SCHEMA, compiled ahead of time (ajv standalone code): no `Ajv` is built at run time. */
const validateParsed = generatedValidator as ValidateFunction<ParsedValues>;

/**
 * Checks an environment against the contract without touching the file system
 * (so the generator can validate `DATABASE_URL_FILE` paths that exist only in the
 * container). Returns every problem; an empty list means valid.
 */
export function validateEnvironment(env: Environment): SettingsProblem[] {
  return parseEnvironment(env).problems;
}

/**
 * Reads the settings from an environment, `process.env` by default.
 * @throws SettingsError listing every bad variable.
 */
export function loadSettings(env: Environment = process.env): Settings {
  const { values, problems } = parseEnvironment(env);
  let databaseUrl = values.DATABASE_URL as string | undefined;
  const urlFile = values.DATABASE_URL_FILE as string | undefined;
  if (urlFile !== undefined && problems.every((problem) => problem.variable !== 'DATABASE_URL_FILE')) {
    const path = JSON.stringify(urlFile);
    try {
      const fromFile = readSmallFile(urlFile)?.trim();
      const fileProblem = fromFile === undefined ? undefined : checkDatabaseUrl(fromFile);
      if (fromFile === undefined) {
        problems.push({
          variable: 'DATABASE_URL_FILE',
          message: `DATABASE_URL_FILE names a file larger than ${MAX_URL_FILE_BYTES} bytes, got ${path}`,
        });
      } else if (fileProblem === undefined) {
        databaseUrl = fromFile;
      } else {
        problems.push({
          variable: 'DATABASE_URL_FILE',
          message: `DATABASE_URL_FILE (${path.slice(1, -1)}) holds a URL that ${fileProblem}`,
        });
      }
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      problems.push({
        variable: 'DATABASE_URL_FILE',
        message: `DATABASE_URL_FILE names a file that cannot be read (${reason}), got ${path}`,
      });
    }
  }
  if (problems.length > 0) throw new SettingsError(problems);
  const integer = (name: EnvironmentVariableName): number => values[name] as number;
  // Trimmed: HTTP trims header values, so a token ending in a newline (a Secret made from a file) could never match.
  const token = env.HEALTH_CHECK_TOKEN?.trim();
  return {
    databaseUrl,
    poolSize: integer('POOL_SIZE'),
    poolCount: integer('POOL_COUNT'),
    maxOverflow: integer('MAX_OVERFLOW'),
    poolTimeoutMillis: integer('POOL_TIMEOUT'),
    ssl: values.DATABASE_SSL as SslMode,
    sslCaFile: values.DATABASE_SSL_CA as string | undefined,
    pooler: values.DATABASE_POOLER as Pooler,
    healthCheckToken: token === undefined || token === '' ? undefined : token,
    port: integer('PORT'),
    host: values.HOST === '' ? undefined : (values.HOST as string | undefined),
    overflowIdleMillis: integer('POOL_OVERFLOW_IDLE_MS'),
    maxLifetimeMillis: integer('POOL_MAX_LIFETIME_MS'),
    idleCheckMillis: integer('POOL_IDLE_CHECK_MS'),
    connectTimeoutMillis: integer('POOL_CONNECT_TIMEOUT_MS'),
    leakWarningMillis: integer('POOL_LEAK_WARNING_MS'),
    readinessIntervalMillis: integer('READINESS_INTERVAL_MS'),
    readinessTimeoutMillis: integer('READINESS_TIMEOUT_MS'),
    shutdownDelayMillis: integer('SHUTDOWN_DELAY_MS'),
    shutdownDrainMillis: integer('SHUTDOWN_DRAIN_MS'),
    logLevel: values.LOG_LEVEL as LogLevel,
    nodeEnv: env.NODE_ENV,
  };
}

/** The most DATABASE_URL_FILE may hold: a URL is short, and `/dev/zero` must not be read forever. */
const MAX_URL_FILE_BYTES = 65_536;

/** The file's text, or `undefined` when it holds more than MAX_URL_FILE_BYTES. */
function readSmallFile(path: string): string | undefined {
  const descriptor = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(MAX_URL_FILE_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(descriptor, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    return length > MAX_URL_FILE_BYTES ? undefined : buffer.toString('utf8', 0, length);
  } finally {
    closeSync(descriptor);
  }
}

function parseEnvironment(env: Environment): { values: ParsedValues; problems: SettingsProblem[] } {
  const values: ParsedValues = {};
  const problems: SettingsProblem[] = [];
  for (const variable of ENVIRONMENT_VARIABLES as readonly EnvironmentVariable[]) {
    const raw = env[variable.name] ?? variable.default;
    if (raw === undefined) continue;
    const name = variable.name as EnvironmentVariableName;
    if (variable.kind === 'secret') {
      values[name] = raw;
      continue;
    }
    // An empty optional variable means "unset": Compose and Kubernetes write empty strings for blanks.
    if (raw.trim() === '' && variable.default === undefined) continue;
    const parsed = parseRaw(variable, raw);
    if (parsed === undefined) {
      problems.push(problemFor(variable, raw));
      continue;
    }
    values[name] = parsed;
    if (variable.kind === 'database-url') {
      const urlProblem = checkDatabaseUrl(parsed as string);
      if (urlProblem !== undefined)
        problems.push({ variable: variable.name, message: `DATABASE_URL ${urlProblem}` });
    }
  }
  if (!validateParsed(values)) {
    const reported = new Set(problems.map((problem) => problem.variable));
    for (const error of validateParsed.errors ?? []) {
      const name = variableOf(error);
      const variable = ENVIRONMENT_VARIABLES.find((candidate) => candidate.name === name);
      if (variable === undefined || reported.has(name)) continue;
      reported.add(name);
      problems.push(problemFor(variable, env[name] ?? variable.default ?? ''));
    }
  }
  if (values.DATABASE_URL !== undefined && values.DATABASE_URL_FILE !== undefined) {
    problems.push({
      variable: 'DATABASE_URL_FILE',
      message: 'DATABASE_URL_FILE and DATABASE_URL are both set: set only one of them',
    });
  }
  const production = env.NODE_ENV === 'production';
  if (
    production &&
    values.DATABASE_URL === undefined &&
    values.DATABASE_URL_FILE === undefined &&
    !problems.some((problem) => problem.variable.startsWith('DATABASE_URL'))
  ) {
    problems.push({
      variable: 'DATABASE_URL',
      message: 'DATABASE_URL is required when NODE_ENV=production (or set DATABASE_URL_FILE), got nothing',
    });
  }
  const order = (problem: SettingsProblem): number =>
    ENVIRONMENT_VARIABLES.findIndex((variable) => variable.name === problem.variable);
  problems.sort((a, b) => order(a) - order(b));
  return { values, problems };
}

/** Turns a raw string into the value the schema checks; `undefined` when it cannot be read at all. */
function parseRaw(variable: EnvironmentVariable, raw: string): string | number | undefined {
  const text = raw.trim();
  switch (variable.kind) {
    case 'integer': {
      if (!/^-?\d+$/.test(text)) return undefined;
      const value = Number(text);
      return Number.isSafeInteger(value) ? value : undefined;
    }
    case 'ssl-mode': {
      const lower = text.toLowerCase();
      if (lower === 'true' || lower === '1') return 'verify-full';
      if (lower === 'false' || lower === '0') return 'disable';
      return lower;
    }
    case 'log-level':
    case 'pooler':
      return text.toLowerCase();
    case 'database-url':
    case 'host':
    case 'path':
    case 'secret':
      return text;
  }
}

function checkDatabaseUrl(url: string): string | undefined {
  try {
    parseDatabaseUrl(url);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function variableOf(error: ErrorObject): string {
  return error.instancePath.split('/')[1] ?? '';
}

function problemFor(variable: EnvironmentVariable, raw: string): SettingsProblem {
  return {
    variable: variable.name,
    message: `${variable.name} must be ${describeAllowed(variable)}, got ${showValue(variable, raw)}`,
  };
}

/** `"abc"` for ordinary values; redacted for secrets; control characters escaped. */
function showValue(variable: EnvironmentVariable, raw: string): string {
  if (variable.name === 'DATABASE_URL') return JSON.stringify(redactDatabaseUrl(raw));
  if (variable.secret === true) return '"***"';
  const shown = raw.length > 80 ? `${raw.slice(0, 80)}…` : raw;
  return JSON.stringify(shown);
}

/** What a variable allows, in words, from its schema: `an integer >= 1`, `one of true, false, …`. */
export function describeAllowed(variable: EnvironmentVariable): string {
  const schema = variable.schema as {
    type?: string;
    minimum?: number;
    maximum?: number;
    enum?: readonly string[];
  };
  if (variable.kind === 'ssl-mode') return `one of true, false, 1, 0, ${(schema.enum ?? []).join(', ')}`;
  if (variable.kind === 'database-url') return 'a postgres://, postgresql:// or ecto:// URL';
  if (variable.kind === 'host')
    return 'an IPv4 or IPv6 address or a host name, such as 0.0.0.0, :: or 127.0.0.1';
  if (schema.enum !== undefined) return `one of ${schema.enum.join(', ')}`;
  if (schema.type === 'integer') {
    const { minimum, maximum } = schema;
    if (minimum !== undefined && maximum !== undefined) return `an integer from ${minimum} to ${maximum}`;
    if (minimum !== undefined) return `an integer >= ${minimum}`;
    return 'an integer';
  }
  return 'a non-empty string';
}
