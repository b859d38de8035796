/**
 * `new Pool(options)`: the runtime's pool built from pg.Pool's options, so
 * `import { Pool } from 'clientats-runtime'` replaces `import { Pool } from 'pg'`
 * line for line. Pool options map onto the guide's settings (runtime/README.md table
 * "pg.Pool options"); every other field is a `pg.Client` option and reaches
 * every connection the pool opens.
 */
import pg from 'pg';
import { loadSettings, parseDatabaseUrl, type DatabaseTarget, type Settings } from '../contract/index.js';
import { DEFAULT_APPLICATION_NAME, type ClientSetup } from './client-config.js';
import { PartitionedPool } from './partitioned-pool.js';
import type { EndOptions, Logger, PoolOptions, PooledClient } from './pool-types.js';
import { MAX_TIMER_MILLIS } from './waiter-queue.js';

/** pg.Pool's own options: they shape the pool and are not passed to `pg.Client`. */
const POOL_ONLY_OPTIONS = [
  'max',
  'min',
  'idleTimeoutMillis',
  'maxUses',
  'maxLifetimeSeconds',
  'allowExitOnIdle',
  'log',
  'Client',
  'onConnect',
  'Promise',
  'verify',
] as const;

/** pg.Pool's default `max` and `idleTimeoutMillis`. */
const PG_DEFAULT_MAX = 10;
const PG_DEFAULT_IDLE_TIMEOUT_MILLIS = 10_000;

/** Everything `PartitionedPool` needs, derived from pg.Pool's options. */
export interface MappedPoolConfig {
  readonly settings: Settings;
  readonly options: PoolOptions;
  readonly setup: ClientSetup;
}

function integerOption(
  config: pg.PoolConfig,
  name: 'max' | 'min' | 'maxUses' | 'maxLifetimeSeconds',
  minimum: number,
): number | undefined {
  const value = config[name];
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || value < minimum) {
    throw new Error(`Pool option '${name}' must be an integer >= ${minimum}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function millisOption(
  config: pg.PoolConfig,
  name: 'idleTimeoutMillis' | 'connectionTimeoutMillis',
): number | undefined {
  const value = config[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(
      `Pool option '${name}' must be a number of milliseconds >= 0, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** pg.Pool's `log(message, …)` as the pool's pino-shaped logger. */
function logAdapter(log: (...messages: unknown[]) => void): Logger {
  const line = (object: object, message: string): void => log(message, object);
  return { debug: line, info: line, warn: line, error: line };
}

/** Where the client connects, for messages and cancel requests (pg itself resolves the real defaults). */
function targetOf(config: pg.ClientConfig): DatabaseTarget {
  if (typeof config.connectionString === 'string') {
    try {
      return parseDatabaseUrl(config.connectionString);
    } catch {
      // pg accepts more forms than URLs (socket paths, libpq key=value): fall through to the fields
    }
  }
  const user = typeof config.user === 'string' ? config.user : undefined;
  return {
    host: config.host ?? pg.defaults.host ?? 'localhost',
    port: Number(config.port ?? pg.defaults.port ?? 5432),
    user,
    password: undefined,
    database: config.database,
    parameters: {},
  };
}

/**
 * Maps pg.Pool's options onto the guide's settings: `max` ↔ POOL_SIZE (or
 * `min` ↔ POOL_SIZE and `max − min` ↔ MAX_OVERFLOW when `0 < min < max`),
 * `connectionTimeoutMillis` ↔ POOL_TIMEOUT (0 = wait as long as a timer can),
 * `idleTimeoutMillis` ↔ POOL_OVERFLOW_IDLE_MS (0 = keep), `maxLifetimeSeconds`
 * ↔ POOL_MAX_LIFETIME_MS; the rest of the settings keep their defaults.
 * @throws Error naming the option when a number is out of range.
 */
export function mapPoolConfig(config: pg.PoolConfig = {}): MappedPoolConfig {
  const max = integerOption(config, 'max', 1) ?? PG_DEFAULT_MAX;
  const min = integerOption(config, 'min', 0) ?? 0;
  if (min > max) throw new Error(`Pool option 'min' must not exceed 'max' (${max}), got ${min}`);
  const poolSize = min > 0 ? min : max;
  const idleTimeoutMillis =
    millisOption(config, 'idleTimeoutMillis') ??
    (config.idleTimeoutMillis === null ? 0 : PG_DEFAULT_IDLE_TIMEOUT_MILLIS);
  const connectionTimeoutMillis = millisOption(config, 'connectionTimeoutMillis') ?? 0;
  const lifetimeSeconds = integerOption(config, 'maxLifetimeSeconds', 0) ?? 0;
  const settings: Settings = {
    ...loadSettings({}),
    poolSize,
    poolCount: 1,
    maxOverflow: max - poolSize,
    poolTimeoutMillis: connectionTimeoutMillis === 0 ? MAX_TIMER_MILLIS : connectionTimeoutMillis,
    overflowIdleMillis: idleTimeoutMillis === 0 ? Number.POSITIVE_INFINITY : idleTimeoutMillis,
    maxLifetimeMillis: lifetimeSeconds * 1000,
  };
  const clientConfig: Record<string, unknown> = { application_name: DEFAULT_APPLICATION_NAME };
  for (const [name, value] of Object.entries(config)) {
    if (!(POOL_ONLY_OPTIONS as readonly string[]).includes(name) && value !== undefined)
      clientConfig[name] = value;
  }
  const options: PoolOptions = {
    Client: config.Client as typeof pg.Client | undefined,
    logger: config.log === undefined ? undefined : logAdapter(config.log),
    maxUses: integerOption(config, 'maxUses', 0) ?? 0,
    allowExitOnIdle: config.allowExitOnIdle ?? false,
    onConnect: config.onConnect,
  };
  const setup: ClientSetup = {
    config: clientConfig as pg.ClientConfig,
    target: targetOf(config),
    warnings: [],
  };
  return { settings, options, setup };
}

type Callback<T> = (error: Error, result: T) => void;

/**
 * pg.Pool, line for line, on the runtime's pool: same options, callbacks and
 * promises, events, counts. Deliberate differences (runtime/README.md table): the
 * connections are opened at start and kept, an SQL error keeps its connection,
 * and callers wait through connect failures until the timeout.
 */
export class Pool extends PartitionedPool implements pg.Pool {
  /** The options as given, with pg.Pool's defaults filled in. */
  options: pg.PoolOptions;

  constructor(config: pg.PoolConfig = {}) {
    const mapped = mapPoolConfig(config);
    super(mapped.settings, mapped.options, mapped.setup);
    this.options = {
      ...config,
      max: mapped.settings.poolSize + mapped.settings.maxOverflow,
      maxUses: mapped.options.maxUses ?? 0,
      allowExitOnIdle: mapped.options.allowExitOnIdle ?? false,
      maxLifetimeSeconds: mapped.settings.maxLifetimeMillis / 1000,
      idleTimeoutMillis:
        config.idleTimeoutMillis === undefined ? PG_DEFAULT_IDLE_TIMEOUT_MILLIS : config.idleTimeoutMillis,
    };
  }

  override query<T extends pg.Submittable>(queryStream: T): T;
  override query<R extends unknown[] = unknown[], I = unknown[]>(
    queryConfig: pg.QueryArrayConfig<I>,
    values?: pg.QueryConfigValues<I>,
  ): Promise<pg.QueryArrayResult<R>>;
  override query<R extends pg.QueryResultRow = pg.QueryResultRow, I = unknown[]>(
    queryConfig: pg.QueryConfig<I>,
  ): Promise<pg.QueryResult<R>>;
  override query<R extends pg.QueryResultRow = pg.QueryResultRow, I = unknown[]>(
    queryTextOrConfig: string | pg.QueryConfig<I>,
    values?: pg.QueryConfigValues<I>,
  ): Promise<pg.QueryResult<R>>;
  override query<R extends unknown[] = unknown[], I = unknown[]>(
    queryConfig: pg.QueryArrayConfig<I>,
    callback: Callback<pg.QueryArrayResult<R>>,
  ): void;
  override query<R extends pg.QueryResultRow = pg.QueryResultRow, I = unknown[]>(
    queryTextOrConfig: string | pg.QueryConfig<I>,
    callback: Callback<pg.QueryResult<R>>,
  ): void;
  override query<R extends pg.QueryResultRow = pg.QueryResultRow, I = unknown[]>(
    queryText: string,
    values: pg.QueryConfigValues<I>,
    callback: Callback<pg.QueryResult<R>>,
  ): void;
  override query(...args: unknown[]): unknown {
    return (PartitionedPool.prototype.query as (...parameters: unknown[]) => unknown).apply(this, args);
  }

  override end(options?: EndOptions): Promise<void>;
  override end(callback: () => void): void;
  override end(options?: EndOptions | (() => void)): Promise<void> | undefined {
    const ended = super.end(options);
    return typeof options === 'function' ? undefined : ended;
  }

  override connect(): Promise<PooledClient>;
  override connect(
    callback: (
      error: Error | undefined,
      client: PooledClient | undefined,
      done: (release?: unknown) => void,
    ) => void,
  ): void;
  override connect(...args: unknown[]): unknown {
    return (PartitionedPool.prototype.connect as (...parameters: unknown[]) => unknown).apply(this, args);
  }
}
