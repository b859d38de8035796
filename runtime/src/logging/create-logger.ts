/**
 * The runtime's logger: pino JSON lines on stdout. Secrets never reach a line:
 * settings are logged through `settingsForLog` (password and token replaced),
 * and pino's redaction censors any `password`, `token` or connection string
 * field that slips through anyway.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { redactDatabaseUrl } from '../contract/database-url.js';
import type { LogLevel } from '../contract/environment-variables.js';
import type { Settings } from '../contract/load-settings.js';
import type { Logger } from '../pool/pool-types.js';

/** Options of `createLogger`. */
export interface LoggerOptions {
  /** Minimum level. @default 'info' */
  readonly level?: LogLevel;
  /** Where lines go (tests pass a stream). @default stdout */
  readonly destination?: DestinationStream;
  /** `name` field of every line. @default 'clientats-runtime' */
  readonly name?: string;
}

/** Field paths pino censors wherever they appear (one level deep or at the top). */
const REDACTED_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'healthCheckToken',
  '*.healthCheckToken',
  'connectionString',
  '*.connectionString',
  'headers.authorization',
  '*.headers.authorization',
];

/** A pino logger with the runtime's redaction; it satisfies the pool's `Logger`. */
export function createLogger(options: LoggerOptions = {}): PinoLogger {
  return pino(
    {
      name: options.name ?? 'clientats-runtime',
      level: options.level ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '***' },
      base: { pid: process.pid },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** The settings as they may appear in a log line: URL password redacted, the token only said to be set or not. */
export function settingsForLog(settings: Settings): Record<string, unknown> {
  const { healthCheckToken, databaseUrl, ...rest } = settings;
  return {
    ...rest,
    databaseUrl: databaseUrl === undefined ? undefined : redactDatabaseUrl(databaseUrl),
    healthCheckTokenSet: healthCheckToken !== undefined,
  };
}
