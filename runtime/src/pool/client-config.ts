/**
 * Settings → the `pg.Client` configuration every pooled connection uses: the
 * URL's fields (`postgres://`, `postgresql://` and `ecto://` read alike), the
 * DATABASE_SSL mode as Node TLS options, and the `application_name` that lets
 * `pg_stat_activity` count the pool's backends.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type pg from 'pg';
import {
  parseDatabaseUrl,
  redactDatabaseUrl,
  type DatabaseTarget,
  type Settings,
  type SslMode,
} from '../contract/index.js';

/** The pooled connections' client configuration, and notes for the log. */
export interface ClientSetup {
  readonly config: pg.ClientConfig;
  readonly target: DatabaseTarget;
  /** Things worth a warning at start (URL parameters that are ignored). */
  readonly warnings: readonly string[];
}

/** The `application_name` of pooled connections unless `PoolOptions.applicationName` says otherwise. */
export const DEFAULT_APPLICATION_NAME = 'clientats';

/** TCP keep-alive delay of pooled sockets, so a peer that vanished is noticed without traffic. */
const KEEP_ALIVE_DELAY_MILLIS = 10_000;

/**
 * Builds the client configuration. The URL's `sslmode`/`ssl` parameters are
 * ignored: DATABASE_SSL alone decides, and a URL that disagrees earns a warning.
 * @throws Error when DATABASE_URL is missing or DATABASE_SSL_CA cannot be read.
 */
export function clientSetup(settings: Settings, applicationName: string | undefined): ClientSetup {
  if (settings.databaseUrl === undefined) {
    throw new Error('createPool needs a database URL: set DATABASE_URL or DATABASE_URL_FILE, got nothing');
  }
  let target: DatabaseTarget;
  try {
    target = parseDatabaseUrl(settings.databaseUrl);
  } catch (error) {
    throw new Error(`DATABASE_URL ${(error as Error).message}`, { cause: error });
  }
  const warnings: string[] = [];
  for (const name of ['sslmode', 'ssl']) {
    const value = target.parameters[name];
    if (value !== undefined && !sameSslMode(value, settings.ssl)) {
      warnings.push(
        `DATABASE_URL carries ${name}=${value}, which is ignored: ` +
          `DATABASE_SSL=${settings.ssl} decides (${redactDatabaseUrl(settings.databaseUrl)})`,
      );
    }
  }
  const config: pg.ClientConfig = {
    host: target.host,
    port: target.port,
    user: target.user,
    database: target.database,
    application_name: applicationName ?? target.parameters.application_name ?? DEFAULT_APPLICATION_NAME,
    ssl: sslOptions(settings.ssl, settings.sslCaFile),
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEP_ALIVE_DELAY_MILLIS,
  };
  if (target.parameters.options !== undefined && settings.pooler === 'pgbouncer') {
    // PgBouncer refuses a login with a startup parameter it does not know, and one it ignores is never applied.
    warnings.push(
      `DATABASE_URL carries options=${target.parameters.options}, ` +
        'which is not sent because DATABASE_POOLER=pgbouncer: ' +
        'set it on the server instead (ALTER ROLE … SET …)',
    );
  } else if (target.parameters.options !== undefined) {
    config.options = target.parameters.options;
  }
  // Kept out of enumeration, as pg does, so a logged or inspected config never shows it.
  Object.defineProperty(config, 'password', {
    value: target.password,
    enumerable: false,
    writable: true,
    configurable: true,
  });
  return { config, target, warnings };
}

/**
 * DATABASE_SSL as Node TLS options: `disable` → no TLS; `require` → TLS without
 * verification; `verify-ca` → chain verified, host name not; `verify-full` →
 * chain and host name verified. `caFile` replaces the system CAs.
 */
export function sslOptions(mode: SslMode, caFile: string | undefined): false | ConnectionOptions {
  if (mode === 'disable') return false;
  if (mode === 'require') return { rejectUnauthorized: false };
  const options: ConnectionOptions = { rejectUnauthorized: true };
  if (caFile !== undefined) {
    try {
      options.ca = readFileSync(caFile, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new Error(`DATABASE_SSL_CA names a file that cannot be read (${reason}), got "${caFile}"`, {
        cause: error,
      });
    }
  }
  if (mode === 'verify-ca') options.checkServerIdentity = () => undefined;
  return options;
}

function sameSslMode(urlValue: string, mode: SslMode): boolean {
  const value = urlValue.toLowerCase();
  if (value === 'true' || value === '1') return mode === 'verify-full';
  if (value === 'false' || value === '0') return mode === 'disable';
  return value === mode;
}

/**
 * The setup with more `pg.Client` options applied over it (`PoolOptions.clientConfig`).
 * The password stays non-enumerable unless the extra options bring their own.
 */
export function withClientOptions(setup: ClientSetup, extra: pg.ClientConfig | undefined): ClientSetup {
  if (extra === undefined) return setup;
  const config: pg.ClientConfig = { ...setup.config };
  Object.defineProperty(config, 'password', {
    value: setup.config.password,
    enumerable: false,
    writable: true,
    configurable: true,
  });
  Object.assign(config, extra);
  return { ...setup, config };
}

/**
 * Options that change how statements run rather than where and how to
 * connect: a readiness probe must not inherit them (a `statement_timeout` of
 * the application would silently become the probe's).
 */
const STATEMENT_OPTIONS = [
  'statement_timeout',
  'query_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'binary',
  'types',
] as const;

/**
 * The configuration of a dedicated probe connection (readiness) derived from
 * the pool's: the same server, credentials, TLS, keep-alive and connect
 * timeout, its own `application_name`, none of `STATEMENT_OPTIONS`.
 */
export function probeClientConfig(
  poolConfig: Readonly<pg.ClientConfig>,
  applicationName: string,
): pg.ClientConfig {
  const config: pg.ClientConfig = { ...poolConfig, application_name: applicationName };
  for (const name of STATEMENT_OPTIONS) delete (config as Record<string, unknown>)[name];
  Object.defineProperty(config, 'password', {
    value: poolConfig.password,
    enumerable: false,
    writable: true,
    configurable: true,
  });
  return config;
}
