/**
 * The pool's public types: what `createPool` returns, what it reports to the
 * health server (snapshot and observer hooks), and what it logs through.
 * The pool (runtime/src/pool) implements these; the health server and metrics
 * (runtime/src/health, runtime/src/metrics) consume them.
 */
import type pg from 'pg';
import type { Settings } from '../contract/index.js';

/** The subset of a pino logger the pool and server log through. Objects first, message second. */
export interface Logger {
  debug(object: object, message: string): void;
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/**
 * What every part of the pool reads (internal): the settings, `host:port` for
 * log lines, the clock, the logger and the observer hooks.
 */
export interface PoolEnvironment {
  readonly settings: Settings;
  readonly target: string;
  readonly now: () => number;
  readonly log: Logger;
  readonly observer: PoolObserver;
}

/** Why a connection was closed. */
export type CloseReason =
  | 'overflow-idle'
  | 'max-lifetime'
  | 'max-uses'
  | 'broken'
  | 'failed-check'
  | 'released-with-error'
  | 'shutdown';

/**
 * Hooks the pool calls synchronously on its hot and cold paths. Every hook is
 * optional and must be cheap; the metrics module implements them.
 */
export interface PoolObserver {
  /** A caller got a connection after waiting `waitMillis` (0 when one was idle). */
  onCheckout?(poolIndex: number, waitMillis: number): void;
  /** A `pool.query()` (or a checked-out client's query) finished. */
  onQuery?(poolIndex: number, durationMillis: number, failed: boolean): void;
  /** A waiter gave up after POOL_TIMEOUT. */
  onTimeout?(): void;
  /** A connection was opened; `overflow` when it is one of MAX_OVERFLOW's. */
  onConnectionOpened?(poolIndex: number, overflow: boolean): void;
  /** A connection was closed, and why. */
  onConnectionClosed?(poolIndex: number, overflow: boolean, reason: CloseReason): void;
  /** A connection attempt failed (refused, auth, 53300, timeout, …). */
  onConnectError?(error: Error): void;
  /** An error on a connection (idle or in use) that evicted it. */
  onConnectionError?(error: Error): void;
}

/** Live counts of one of the POOL_COUNT pools. */
export interface PoolPartitionSnapshot {
  readonly index: number;
  /** Persistent connections open (target: POOL_SIZE). */
  readonly persistentOpen: number;
  /** Overflow connections open (at most MAX_OVERFLOW). */
  readonly overflowOpen: number;
  readonly idle: number;
  readonly inUse: number;
  /** Connections being opened right now. */
  readonly connecting: number;
}

/** Everything the health server and diagnostics read from the pool. */
export interface PoolSnapshot {
  readonly poolSize: number;
  readonly poolCount: number;
  readonly maxOverflow: number;
  readonly timeoutMillis: number;
  /** `perInstanceConnections(settings)` less the readiness connection: the most the pool itself ever holds. */
  readonly maxConnections: number;
  readonly total: number;
  readonly idle: number;
  readonly inUse: number;
  readonly waiting: number;
  readonly pools: readonly PoolPartitionSnapshot[];
  /** Cumulative counters since start. */
  readonly checkouts: number;
  readonly timeouts: number;
  readonly overflowOpened: number;
  readonly connectionErrors: number;
  /**
   * True while connecting fails: the latest connection attempt failed and none
   * has succeeded since. False again after the next successful connect.
   */
  readonly connectFailing: boolean;
  /** Message of the last failed connection attempt (password redacted), if any; kept after recovery. */
  readonly lastConnectError: string | undefined;
  /** When that attempt failed (ms since the epoch, `Date.now()`); `undefined` when none ever failed. */
  readonly lastConnectErrorAt: number | undefined;
  readonly ending: boolean;
}

/** A client checked out of the pool: pg's `PoolClient`, with `release(error?)`. */
export type PooledClient = pg.PoolClient;

/** Options of `createPool` besides the settings. */
export interface PoolOptions {
  /** Logger for pool lifecycle lines. @default a silent logger */
  readonly logger?: Logger;
  /** Metrics hooks. */
  readonly observer?: PoolObserver;
  /** `application_name` of every connection, to count them in `pg_stat_activity`. @default 'clientats' */
  readonly applicationName?: string;
  /** The client class (tests inject a fake). @default pg.Client */
  readonly Client?: typeof pg.Client;
  /** Clock in ms (tests inject a fake). @default performance.now */
  readonly now?: () => number;
  /**
   * More `pg.Client` options for every connection the pool opens, applied over
   * those the settings give (`statement_timeout`, `query_timeout`, `types`,
   * `binary`, `ssl`, `keepAlive`, `application_name`, …).
   */
  readonly clientConfig?: pg.ClientConfig;
  /** Close a connection after this many checkouts (pg.Pool's `maxUses`). @default 0 (never) */
  readonly maxUses?: number;
  /** Let the process exit while every connection is idle (pg.Pool's `allowExitOnIdle`). @default false */
  readonly allowExitOnIdle?: boolean;
  /**
   * Runs on each new connection before anyone uses it (pg.Pool's `onConnect`);
   * a rejection fails that attempt like a connect error.
   */
  readonly onConnect?: (client: pg.ClientBase) => void | Promise<void>;
}

/** `pool.query(…, callback)`'s callback. */
export type QueryCallback<R extends pg.QueryResultRow = pg.QueryResultRow> = (
  error: Error | undefined,
  result: pg.QueryResult<R> | undefined,
) => void;

/** `pool.connect(callback)`'s callback: `done` is the client's `release`. */
export type ConnectCallback = (
  error: Error | undefined,
  client: PooledClient | undefined,
  done: (release?: Error | boolean) => void,
) => void;

/** What `end()` accepts besides a callback. */
export interface EndOptions {
  /** How long queued callers and borrowers may still run. @default SHUTDOWN_DRAIN_MS */
  readonly drainMillis?: number;
}

/** The pool: pg.Pool's surface plus readiness, snapshot and a bounded drain. */
export interface ClientAtsPool {
  /** Resolves once POOL_COUNT × POOL_SIZE connections are open; rejects only if the pool is ended first. */
  readonly ready: Promise<void>;
  /** The configuration every connection is opened with (the password is not enumerable). */
  readonly clientConfig: Readonly<pg.ClientConfig>;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string | pg.QueryConfig,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string | pg.QueryConfig,
    callback: QueryCallback<R>,
  ): void;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string | pg.QueryConfig,
    values: unknown[] | undefined,
    callback: QueryCallback<R>,
  ): void;
  connect(): Promise<PooledClient>;
  connect(callback: ConnectCallback): void;
  /**
   * Refuses checkouts asked for from now on, lets callers already queued get a
   * connection and finish, waits up to `drainMillis` (default SHUTDOWN_DRAIN_MS)
   * for them and for borrowed clients, then closes every connection. Never
   * rejects. Given a callback (pg.Pool's form), calls it once ended.
   */
  end(options?: EndOptions | (() => void)): Promise<void>;
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
  /** Connections past their lifetime, still checked out: closed when released. */
  readonly expiredCount: number;
  /** `end()` was called. */
  readonly ending: boolean;
  /** `end()` finished: every connection is closed. */
  readonly ended: boolean;
  /** Live counts for diagnostics and metrics. */
  snapshot(): PoolSnapshot;
  on(event: 'error', listener: (error: Error, client: pg.ClientBase) => void): this;
  on(event: 'release', listener: (error: Error | undefined, client: pg.ClientBase) => void): this;
  on(event: 'connect' | 'acquire' | 'remove', listener: (client: pg.ClientBase) => void): this;
  off(event: string, listener: (...args: never[]) => void): this;
}
