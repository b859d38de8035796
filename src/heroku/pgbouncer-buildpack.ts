/**
 * Heroku's client-side PgBouncer buildpack (`heroku/pgbouncer`,
 * github.com/heroku/heroku-buildpack-pgbouncer), as the generator writes it
 * and `check` reads it back from an app.json.
 *
 * What the buildpack does (read at commit f8a9bb1, "Update buildpack to use
 * pgbouncer 1.24.1"): `bin/start-pgbouncer <command>` writes a pgbouncer.ini
 * (`bin/gen-pgbouncer-conf.sh`), starts PgBouncer inside the dyno on
 * 127.0.0.1:6000, rewrites every config var named in `PGBOUNCER_URLS`
 * (default `DATABASE_URL`) to `postgres://user:pass@127.0.0.1:6000/dbN`, and
 * runs the command. So every dyno whose Procfile line starts with
 * `bin/start-pgbouncer` has its own bouncer, with one `[databases]` entry
 * (one pool) per URL. The local hop is plain TCP (no client TLS settings are
 * written); the bouncer connects to the server with
 * `server_tls_sslmode = ${PGBOUNCER_SERVER_TLS_SSLMODE:-require}`.
 * `PGBOUNCER_ENABLED` other than 1/true/yes/on (any case) runs the command
 * without a bouncer (`is-enabled` in bin/start-pgbouncer).
 *
 * Its defaults differ from PgBouncer's own (gen-pgbouncer-conf.sh, `${VAR:-default}`,
 * so an empty value also means the default): default_pool_size 1,
 * reserve_pool_size 1, max_client_conn 100, pool_mode transaction,
 * query_wait_timeout 120, max_prepared_statements 0. Order of buildpacks: the
 * README adds heroku/pgbouncer first, then the language buildpack (the last one
 * builds the app and names its default process types).
 */
import type { BouncerPools } from '../budget/pgbouncer-budget.js';
import type { ParsedPgbouncerIni } from '../pgbouncer/pgbouncer-ini.js';

/** The buildpack's registry name. */
export const PGBOUNCER_BUILDPACK = 'heroku/pgbouncer';

/** Buildpack URLs that run the PgBouncer buildpack: the registry name or its GitHub repository. */
const BUILDPACK_URL =
  /^(heroku\/pgbouncer|https?:\/\/github\.com\/heroku\/heroku-buildpack-pgbouncer(\.git)?)(#.*)?$/i;

/** True when a buildpack URL is the PgBouncer buildpack. */
export function isPgbouncerBuildpack(url: unknown): boolean {
  return typeof url === 'string' && BUILDPACK_URL.test(url.trim());
}

/** The Procfile prefix that starts a process behind the dyno's bouncer. */
export const START_PGBOUNCER = 'bin/start-pgbouncer';

/** Defaults of bin/gen-pgbouncer-conf.sh (see the module comment). */
export const BUILDPACK_DEFAULTS = {
  defaultPoolSize: 1,
  reservePoolSize: 1,
  maxClientConn: 100,
  poolMode: 'transaction',
  urls: 'DATABASE_URL',
} as const;

/** Config vars the buildpack reads that size its pools. */
export const BUILDPACK_VARS = {
  defaultPoolSize: 'PGBOUNCER_DEFAULT_POOL_SIZE',
  reservePoolSize: 'PGBOUNCER_RESERVE_POOL_SIZE',
  maxClientConn: 'PGBOUNCER_MAX_CLIENT_CONN',
  poolMode: 'PGBOUNCER_POOL_MODE',
  urls: 'PGBOUNCER_URLS',
  enabled: 'PGBOUNCER_ENABLED',
} as const;

/** `is-enabled` of bin/start-pgbouncer: 1, true, yes or on, any case; unset means enabled. */
export function buildpackEnabled(value: string | undefined): boolean {
  return value === undefined || /^(1|true|yes|on)$/i.test(value);
}

/** One dyno's bouncer as the budget counts it. */
export interface BuildpackBouncer {
  /** The pgbouncer.ini the buildpack writes, as far as it sizes pools (dbN = the Nth URL). */
  readonly ini: ParsedPgbouncerIni;
  readonly pools: BouncerPools;
  /** Config vars routed through the bouncer (`PGBOUNCER_URLS`). */
  readonly urls: readonly string[];
  readonly poolMode: string;
}

/**
 * The bouncer one dyno runs, from the app's config vars (`undefined` or empty
 * means the buildpack's default, as `${VAR:-default}` does).
 * @throws Error naming `where` and the variable when a count is not an integer.
 */
export function buildpackBouncer(
  vars: Readonly<Record<string, string | undefined>>,
  where: string,
): BuildpackBouncer {
  const value = (name: string): string | undefined => {
    const text = vars[name]?.trim();
    return text === undefined || text === '' ? undefined : text;
  };
  const count = (name: string, fallback: number, minimum: number): number => {
    const text = value(name);
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text) || Number(text) < minimum) {
      throw new Error(`${where}: ${name} must be an integer >= ${minimum}, got ${JSON.stringify(text)}`);
    }
    return Number(text);
  };
  const defaultPoolSize = count(BUILDPACK_VARS.defaultPoolSize, BUILDPACK_DEFAULTS.defaultPoolSize, 0);
  const reservePoolSize = count(BUILDPACK_VARS.reservePoolSize, BUILDPACK_DEFAULTS.reservePoolSize, 0);
  const maxClientConn = count(BUILDPACK_VARS.maxClientConn, BUILDPACK_DEFAULTS.maxClientConn, 1);
  const poolMode = value(BUILDPACK_VARS.poolMode) ?? BUILDPACK_DEFAULTS.poolMode;
  const urls = (value(BUILDPACK_VARS.urls) ?? BUILDPACK_DEFAULTS.urls).split(/\s+/);
  const databases = Object.fromEntries(urls.map((url, index) => [`db${index + 1}`, { url }]));
  return {
    ini: {
      databases,
      pgbouncer: {
        listen_addr: '127.0.0.1',
        listen_port: '6000',
        pool_mode: poolMode,
        default_pool_size: String(defaultPoolSize),
        reserve_pool_size: String(reservePoolSize),
        max_client_conn: String(maxClientConn),
      },
      users: {},
      peers: {},
    },
    // One pool per URL: each [databases] entry connects as its URL's one user.
    pools: {
      databases: Object.keys(databases).map((name, index) => ({ name, users: [{ user: urls[index]! }] })),
      defaultPoolSize,
      reservePoolSize,
      maxClientConn,
    },
    urls,
    poolMode,
  };
}
