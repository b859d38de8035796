/**
 * The pool's cold-path reporting: `snapshot()` (live counts per pool for
 * diagnostics and metrics) and the query timing of checked-out clients for
 * `PoolObserver.onQuery`, installed only when that hook exists.
 */
import type { Settings } from '../contract/index.js';
import type { ConnectBackoff } from './connect-backoff.js';
import type { Connection, Partition } from './pool-connection.js';
import type { PoolObserver, PoolPartitionSnapshot, PoolSnapshot } from './pool-types.js';
import type { PoolTotals } from './slot-ledger.js';

/** What `snapshotOf` reads from the pool. */
export interface SnapshotSource {
  readonly settings: Settings;
  readonly maxConnections: number;
  readonly partitions: readonly Partition[];
  readonly connections: Iterable<Connection>;
  readonly waiting: number;
  readonly totals: Readonly<PoolTotals>;
  readonly backoff: Pick<ConnectBackoff, 'failing' | 'lastMessage' | 'lastFailedAt'>;
  readonly ending: boolean;
}

/** Counts every connection by pool and state; connections being closed are left out. */
export function snapshotOf(source: SnapshotSource): PoolSnapshot {
  const pools = source.partitions.map((partition) => ({
    index: partition.index,
    persistentOpen: 0,
    overflowOpen: 0,
    idle: 0,
    inUse: 0,
    connecting: 0,
  }));
  for (const connection of source.connections) {
    const pool = pools[connection.partition.index] as (typeof pools)[number];
    switch (connection.state) {
      case 'connecting':
        pool.connecting++;
        continue;
      case 'idle':
        pool.idle++;
        break;
      case 'busy':
        pool.inUse++;
        break;
      default:
        continue;
    }
    if (connection.overflow) pool.overflowOpen++;
    else pool.persistentOpen++;
  }
  const sum = (pick: (pool: PoolPartitionSnapshot) => number): number =>
    pools.reduce((total, pool) => total + pick(pool), 0);
  const idle = sum((pool) => pool.idle);
  const inUse = sum((pool) => pool.inUse);
  return {
    poolSize: source.settings.poolSize,
    poolCount: source.settings.poolCount,
    maxOverflow: source.settings.maxOverflow,
    timeoutMillis: source.settings.poolTimeoutMillis,
    maxConnections: source.maxConnections,
    total: idle + inUse + sum((pool) => pool.connecting),
    idle,
    inUse,
    waiting: source.waiting,
    pools,
    checkouts: source.totals.checkouts,
    timeouts: source.totals.timeouts,
    overflowOpened: source.totals.overflowOpened,
    connectionErrors: source.totals.connectionErrors,
    connectFailing: source.backoff.failing,
    lastConnectError: source.backoff.lastMessage,
    lastConnectErrorAt: source.backoff.lastFailedAt,
    ending: source.ending,
  };
}

type QueryCallback = (error: Error | null, result: unknown) => void;

/**
 * Times the queries a borrower runs on a checked-out client (`pool.query()` is
 * timed by the pool itself through the connection's raw query function).
 * Submittables such as cursors pass through untimed.
 */
export function instrumentQueries(connection: Connection, observer: PoolObserver, now: () => number): void {
  const { client, rawQuery, partition } = connection;
  const report = (startedAt: number, failed: boolean): void =>
    observer.onQuery?.(partition.index, now() - startedAt, failed);
  const timed = function (text: unknown, values?: unknown, callback?: unknown): unknown {
    if (text === null || text === undefined || typeof (text as { submit?: unknown }).submit === 'function')
      return rawQuery.call(client, text, values, callback as QueryCallback);
    const startedAt = now();
    const done =
      typeof values === 'function' ? (values as QueryCallback) : (callback as QueryCallback | undefined);
    if (done !== undefined) {
      return rawQuery.call(
        client,
        text,
        typeof values === 'function' ? undefined : values,
        (error, result) => {
          report(startedAt, error !== null && error !== undefined);
          done(error, result);
        },
      );
    }
    const result = rawQuery.call(client, text, values) as Promise<unknown>;
    result.then(
      () => report(startedAt, false),
      () => report(startedAt, true),
    );
    return result;
  };
  (client as unknown as { query: unknown }).query = timed;
}
