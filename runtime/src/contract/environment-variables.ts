/**
 * The settings contract: every environment variable the runtime reads, with its
 * default, its JSON Schema and what it means. Defaults are stated here once; the
 * schema, `loadSettings`, the generator and the README table all derive from it.
 */

import { DEFAULT_PORT } from './http-contract.js';

/** How a raw environment string is turned into a value before schema validation. */
export type VariableKind =
  'integer' | 'ssl-mode' | 'database-url' | 'path' | 'secret' | 'log-level' | 'host' | 'pooler';

/** One environment variable of the contract. */
export interface EnvironmentVariable {
  /** The variable's name, e.g. `POOL_SIZE`. */
  readonly name: string;
  /** How the raw string is parsed. */
  readonly kind: VariableKind;
  /** Default value as the runtime would read it; `undefined` when there is none. */
  readonly default: string | undefined;
  /** JSON Schema of the parsed value. */
  readonly schema: Readonly<Record<string, unknown>>;
  /** What the variable does, one sentence (used in the README table). */
  readonly description: string;
  /** True for values never printed in errors or logs. */
  readonly secret?: boolean;
}

/** The largest delay a Node.js timer accepts (about 24.8 days). */
export const MAX_TIMER_MILLIS = 2_147_483_647;

/** libpq sslmode values accepted by DATABASE_SSL, after `true`/`false`/`1`/`0` are mapped onto them. */
export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
/** A DATABASE_SSL mode after normalisation: `true` is `verify-full`, `false` is `disable`. */
export type SslMode = (typeof SSL_MODES)[number];

/** pino log levels accepted by LOG_LEVEL. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What sits between the runtime and PostgreSQL, accepted by DATABASE_POOLER. */
export const POOLERS = ['none', 'pgbouncer'] as const;
/** `pgbouncer`: a transaction-mode PgBouncer, so no startup `options` are sent. */
export type Pooler = (typeof POOLERS)[number];

/** The variables that shape a process's pools: what the connection budget multiplies. */
export const POOL_SHAPE_VARIABLES = ['POOL_SIZE', 'POOL_COUNT', 'MAX_OVERFLOW'] as const;

/** The variables a readiness probe and a shutdown grace period are checked against. */
export const TIMING_VARIABLES = ['READINESS_TIMEOUT_MS', 'SHUTDOWN_DELAY_MS', 'SHUTDOWN_DRAIN_MS'] as const;

const millis = (minimum: number) => ({ type: 'integer', minimum, maximum: MAX_TIMER_MILLIS });

/** Every variable of the contract, in the order the README lists them. */
export const ENVIRONMENT_VARIABLES = [
  {
    name: 'DATABASE_URL',
    kind: 'database-url',
    default: undefined,
    schema: { type: 'string', pattern: '^(postgres|postgresql|ecto)://' },
    description:
      'Where to connect: a `postgres://`, `postgresql://` or `ecto://` URL. ' +
      'Required when `NODE_ENV=production` (or use `DATABASE_URL_FILE`).',
    secret: true,
  },
  {
    name: 'DATABASE_URL_FILE',
    kind: 'path',
    default: undefined,
    schema: { type: 'string', minLength: 1 },
    description:
      'Path of a file holding the URL (Docker/Kubernetes secrets). Set this or `DATABASE_URL`, not both.',
  },
  {
    name: 'POOL_SIZE',
    kind: 'integer',
    default: '10',
    schema: { type: 'integer', minimum: 1, maximum: 10_000 },
    description: 'Persistent connections in each pool, opened at start and kept.',
  },
  {
    name: 'POOL_COUNT',
    kind: 'integer',
    default: '1',
    schema: { type: 'integer', minimum: 1, maximum: 1_000 },
    description: 'Independent pools, each of `POOL_SIZE` connections.',
  },
  {
    name: 'MAX_OVERFLOW',
    kind: 'integer',
    default: '0',
    schema: { type: 'integer', minimum: 0, maximum: 10_000 },
    description:
      'Extra connections per pool, opened only when that pool is exhausted and closed after ' +
      '`POOL_OVERFLOW_IDLE_MS` idle.',
  },
  {
    name: 'POOL_TIMEOUT',
    kind: 'integer',
    default: '5000',
    schema: millis(1),
    description:
      'Longest wait, in ms, to check out a connection; then the caller gets `PoolTimeoutError` (not a query timeout).',
  },
  {
    name: 'DATABASE_SSL',
    kind: 'ssl-mode',
    default: 'false',
    schema: { type: 'string', enum: [...SSL_MODES] },
    description:
      '`true`/`1` = `verify-full` (certificate and host checked), `false`/`0` = `disable`, ' +
      'or a libpq sslmode: `disable`, `require` (encrypt, no verification: Heroku Postgres), ' +
      '`verify-ca`, `verify-full`.',
  },
  {
    name: 'DATABASE_SSL_CA',
    kind: 'path',
    default: undefined,
    schema: { type: 'string', minLength: 1 },
    description: 'PEM file of the CA that signed the server certificate (default: the system CAs).',
  },
  {
    name: 'DATABASE_POOLER',
    kind: 'pooler',
    default: 'none',
    schema: { type: 'string', enum: [...POOLERS] },
    description:
      '`pgbouncer` when `DATABASE_URL` names a PgBouncer in transaction mode: ' +
      "the URL's `options` are then not sent (PgBouncer refuses unknown startup parameters; " +
      'set them with `ALTER ROLE … SET`), `none` otherwise.',
  },
  {
    name: 'HEALTH_CHECK_TOKEN',
    kind: 'secret',
    default: undefined,
    schema: { type: 'string' },
    description: 'Bearer token for `/health/diagnostics`; unset or empty closes diagnostics to everyone.',
    secret: true,
  },
  {
    name: 'PORT',
    kind: 'integer',
    default: String(DEFAULT_PORT),
    schema: { type: 'integer', minimum: 1, maximum: 65_535 },
    description: 'HTTP port of the health server.',
  },
  {
    name: 'HOST',
    kind: 'host',
    default: undefined,
    schema: { type: 'string', pattern: '^[0-9A-Za-z._:%-]{1,253}$' },
    description:
      'Address the HTTP server listens on: an IPv4 or IPv6 address or a host name (e.g. `127.0.0.1`, ' +
      '`::`). Unset: all interfaces.',
  },
  {
    name: 'POOL_OVERFLOW_IDLE_MS',
    kind: 'integer',
    default: '10000',
    schema: millis(0),
    description:
      'How long an idle overflow connection lingers before it is closed, so a burst does not churn connections.',
  },
  {
    name: 'POOL_MAX_LIFETIME_MS',
    kind: 'integer',
    default: '1800000',
    schema: millis(0),
    description:
      'Connections are replaced after this age (minus up to 2.5 % random jitter) when idle; 0 keeps them forever.',
  },
  {
    name: 'POOL_IDLE_CHECK_MS',
    kind: 'integer',
    default: '5000',
    schema: millis(0),
    description:
      'A connection idle longer than this is tested with a round trip before it is handed out; ' +
      '0 tests on every checkout.',
  },
  {
    name: 'POOL_CONNECT_TIMEOUT_MS',
    kind: 'integer',
    default: '5000',
    schema: millis(1),
    description: 'Longest a single connection attempt may take (TCP, TLS and authentication).',
  },
  {
    name: 'POOL_LEAK_WARNING_MS',
    kind: 'integer',
    default: '60000',
    schema: millis(0),
    description:
      'Log a warning when a connection is checked out longer than this (after the first such ' +
      "warning, with the borrower's stack); 0 turns it off.",
  },
  {
    name: 'READINESS_INTERVAL_MS',
    kind: 'integer',
    default: '2000',
    schema: millis(100),
    description: 'Period of the background readiness check that `/health/ready` answers from.',
  },
  {
    name: 'READINESS_TIMEOUT_MS',
    kind: 'integer',
    default: '1500',
    schema: millis(1),
    description:
      "Timeout of one readiness check; keep it below the readiness probe's `timeoutSeconds` (3 s).",
  },
  {
    name: 'SHUTDOWN_DELAY_MS',
    kind: 'integer',
    default: '5000',
    schema: millis(0),
    description:
      'After SIGTERM, how long readiness answers 503 before the listener closes, so endpoints stop routing here.',
  },
  {
    name: 'SHUTDOWN_DRAIN_MS',
    kind: 'integer',
    default: '10000',
    schema: millis(0),
    description:
      'After the listener closes, how long checked-out connections may finish before the pool is closed anyway.',
  },
  {
    name: 'LOG_LEVEL',
    kind: 'log-level',
    default: 'info',
    schema: { type: 'string', enum: [...LOG_LEVELS] },
    description: 'Minimum level of the JSON log lines.',
  },
] as const satisfies readonly EnvironmentVariable[];

/** Name of a variable of the contract. */
export type EnvironmentVariableName = (typeof ENVIRONMENT_VARIABLES)[number]['name'];

/** Looks a variable up by name. */
export function environmentVariable(name: EnvironmentVariableName): EnvironmentVariable {
  const variable = ENVIRONMENT_VARIABLES.find((candidate) => candidate.name === name);
  if (variable === undefined) throw new Error(`unknown environment variable ${name}`);
  return variable;
}
