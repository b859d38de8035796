/**
 * `createPool(settings)`: the guide-shaped entry. POOL_COUNT pools of
 * POOL_SIZE persistent connections, opened at start and kept, plus MAX_OVERFLOW
 * temporary connections per pool, behind pg.Pool's surface. Checkout is FIFO
 * across waiters and work-conserving across pools; a waiter gets
 * `PoolTimeoutError` after POOL_TIMEOUT ms. runtime/README.md, "The pool", has the
 * details; `Pool` (pg-pool.ts) is the same pool built from pg.Pool's options.
 */
import type { Settings } from '../contract/index.js';
import { PartitionedPool } from './partitioned-pool.js';
import type { ClientAtsPool, PoolOptions } from './pool-types.js';

export { RECONNECT_MAX_MILLIS, RECONNECT_MIN_MILLIS, reconnectDelay } from './connect-backoff.js';
export { housekeepingMillis, LIFETIME_JITTER } from './housekeeping.js';

/**
 * Creates the pool and starts opening POOL_COUNT × POOL_SIZE connections;
 * await `pool.ready` to know they are open.
 * @throws Error when DATABASE_URL is missing or DATABASE_SSL_CA cannot be read.
 */
export function createPool(settings: Settings, options: PoolOptions = {}): ClientAtsPool {
  return new PartitionedPool(settings, options);
}
