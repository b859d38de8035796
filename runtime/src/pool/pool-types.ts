/**
 * The pool's public types: what `createPool` returns, what it reports to the
 * health server (snapshot and observer hooks), and what it logs through.
 * The pool (runtime/src/pool) implements these; the health server and metrics
 * (runtime/src/health, runtime/src/metrics) consume them.
 */
import type pg from 'pg';

/** The subset of a pino logger the pool and server log through. Objects first, message second. */
export interface Logger {
  debug(object: object, message: string): void;
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** Why a connection was closed. */
export type CloseReason = 'overflow-idle' | 'max-lifetime' | 'broken' | 'failed-check' | 'released-with-error' | 'shutdown';

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
  /** Message of the last failed connection attempt (password redacted), if any. */
  readonly lastConnectError: string | undefined;
  readonly ending: boolean;
}

/** A client checked out of the pool: a `pg.PoolClient` look-alike. */
export interface PooledClient extends pg.ClientBase {
  /** Return the client; pass an error (or `true`) to close it instead of reusing it. */
  release(error?: Error | boolean): void;
}

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
}

/** The pool: pg.Pool's surface plus readiness, snapshot and a bounded drain. */
export interface ClientAtsPool {
  /** Resolves once POOL_COUNT × POOL_SIZE connections are open; rejects only if the pool is ended first. */
  readonly ready: Promise<void>;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult<R>>;
  connect(): Promise<PooledClient>;
  /**
   * Rejects new checkouts, fails queued waiters, waits up to `drainMillis`
   * (default SHUTDOWN_DRAIN_MS) for checked-out clients, then closes every connection.
   */
  end(options?: { drainMillis?: number }): Promise<void>;
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
  /** Live counts for diagnostics and metrics. */
  snapshot(): PoolSnapshot;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'connect' | 'acquire' | 'remove', listener: (client: pg.ClientBase) => void): this;
  off(event: string, listener: (...args: never[]) => void): this;
}
