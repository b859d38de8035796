/**
 * Log lines for the pool's connection lifecycle, fed by the `PoolObserver`
 * hooks (the pool itself logs connect failures, restorations, readiness and
 * the end). Every message contains "connection" or "pool", so
 * `grep -i "pool\|connection"` finds them, as the guide suggests.
 */
import type { CloseReason, Logger, PoolObserver } from '../pool/pool-types.js';

/** Reasons that mean a connection was thrown out rather than retired on schedule. */
const EVICTIONS: ReadonlySet<CloseReason> = new Set(['broken', 'failed-check', 'released-with-error']);

/** Options of `createPoolLogObserver`. */
export interface PoolLogObserverOptions {
  /** POOL_TIMEOUT, for the timeout line. */
  readonly poolTimeoutMillis: number;
  /** Checkout timeouts are logged at most once per this period, with a count of the ones in between. @default 10000 */
  readonly timeoutLogPeriodMillis?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** An observer that logs opened, closed and evicted connections and (rate-limited) checkout timeouts. */
export function createPoolLogObserver(logger: Logger, options: PoolLogObserverOptions): PoolObserver {
  const period = options.timeoutLogPeriodMillis ?? 10_000;
  const now = options.now ?? Date.now;
  let lastTimeoutLog = Number.NEGATIVE_INFINITY;
  let unlogged = 0;
  return {
    onConnectionOpened(poolIndex, overflow) {
      logger.info(
        { pool: poolIndex, kind: overflow ? 'overflow' : 'persistent' },
        overflow
          ? 'overflow connection opened: the pool is exhausted (MAX_OVERFLOW)'
          : 'pool connection opened',
      );
    },
    onConnectionClosed(poolIndex, overflow, reason) {
      const fields = { pool: poolIndex, kind: overflow ? 'overflow' : 'persistent', reason };
      if (EVICTIONS.has(reason)) logger.warn(fields, `pool connection evicted (${reason})`);
      else if (reason === 'shutdown') logger.debug(fields, 'pool connection closed for shutdown');
      else logger.info(fields, `pool connection closed (${reason})`);
    },
    onTimeout() {
      const at = now();
      if (at - lastTimeoutLog < period) {
        unlogged += 1;
        return;
      }
      logger.warn(
        { poolTimeoutMillis: options.poolTimeoutMillis, alsoSinceLastLine: unlogged },
        `connection pool checkout timed out after POOL_TIMEOUT=${options.poolTimeoutMillis} ms: ` +
          'every connection was in use',
      );
      lastTimeoutLog = at;
      unlogged = 0;
    },
  };
}
