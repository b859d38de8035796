/**
 * Getting a connection for a caller. `pool.query()` and `pool.connect()` both
 * enter `request()`: an idle connection at once (tested with `SELECT 1` first
 * when it was idle longer than POOL_IDLE_CHECK_MS), else a place at the tail
 * of the FIFO queue, which may grow the pool. A caller whose checked
 * connection failed goes back to the head, keeping its deadline; a caller
 * still waiting at POOL_TIMEOUT gets `PoolTimeoutError`.
 *
 * Hot path: one promise and one small waiter record per call (its executor is
 * bound once), no timer unless the caller waits.
 */
import type { Settings } from '../contract/index.js';
import { destroyClient } from './close-client.js';
import type { ConnectBackoff } from './connect-backoff.js';
import type { ConnectionDispatch } from './connection-dispatch.js';
import type { Connection } from './pool-connection.js';
import { ENDED_WHILE_WAITING, type PoolDrain } from './pool-drain.js';
import { PoolEndedError, PoolTimeoutError, type PoolTimeoutShape } from './pool-errors.js';
import type { PoolGrowth } from './pool-growth.js';
import type { Logger, PoolEnvironment, PoolObserver } from './pool-types.js';
import type { SlotLedger } from './slot-ledger.js';
import type { Waiter, WaiterQueue } from './waiter-queue.js';

const NOT_CAPTURED = (): void => undefined;

/** What the checkout works with. */
export interface CheckoutParts extends PoolEnvironment {
  readonly ledger: SlotLedger;
  readonly waiters: WaiterQueue;
  readonly dispatch: ConnectionDispatch;
  readonly growth: PoolGrowth;
  readonly backoff: ConnectBackoff;
  readonly drain: PoolDrain;
}

/** The checkout path of one pool. */
export class Checkout {
  private readonly settings: Settings;
  private readonly ledger: SlotLedger;
  private readonly waiters: WaiterQueue;
  private readonly dispatch: ConnectionDispatch;
  private readonly growth: PoolGrowth;
  private readonly backoff: ConnectBackoff;
  private readonly drain: PoolDrain;
  private readonly now: () => number;
  private readonly observer: PoolObserver;
  private readonly log: Logger;
  private readonly target: string;
  private readonly shape: PoolTimeoutShape;
  /** The settle functions of the promise `request()` is creating, handed over by `captureSettlers`. */
  private capturedResolve: (value: never) => void = NOT_CAPTURED;
  private capturedReject: (error: Error) => void = NOT_CAPTURED;

  constructor(parts: CheckoutParts) {
    this.settings = parts.settings;
    this.ledger = parts.ledger;
    this.waiters = parts.waiters;
    this.dispatch = parts.dispatch;
    this.growth = parts.growth;
    this.backoff = parts.backoff;
    this.drain = parts.drain;
    this.now = parts.now;
    this.observer = parts.observer;
    this.log = parts.log;
    this.target = parts.target;
    const { poolTimeoutMillis, poolSize, poolCount, maxOverflow } = parts.settings;
    this.shape = { poolTimeoutMillis, poolSize, poolCount, maxOverflow };
  }

  /** The one entry of `query()` and `connect()`: an idle connection at once, else a place in the queue. */
  request<T>(kind: Waiter['kind'], text: unknown, values: unknown, borrowStack?: Error): Promise<T> {
    if (this.drain.ending) return Promise.reject(new PoolEndedError());
    const promise = new Promise<T>(this.captureSettlers);
    const resolve = this.capturedResolve;
    const reject = this.capturedReject;
    try {
      const now = this.now();
      const deadline = now + this.settings.poolTimeoutMillis;
      const waiter: Waiter = { kind, text, values, resolve, reject, enqueuedAt: now, deadline, borrowStack };
      const connection = this.waiters.length === 0 ? this.dispatch.takeIdle(now) : undefined;
      if (connection === undefined) this.enqueue(waiter);
      else if (now - connection.idleSince <= this.settings.idleCheckMillis)
        this.dispatch.handOff(connection, waiter, now);
      else this.check(connection, waiter);
    } catch (error) {
      reject(error as Error); // a throwing observer hook or listener fails this call, as inside an executor
    }
    return promise;
  }

  /**
   * The executor of every `request()` promise, bound once: it only hands the
   * settle functions over, so a checkout allocates no closure of its own.
   */
  private readonly captureSettlers = (
    resolve: (value: never) => void,
    reject: (error: Error) => void,
  ): void => {
    this.capturedResolve = resolve;
    this.capturedReject = reject;
  };

  /** Fails every waiter past its deadline (FIFO order is deadline order); the waiter queue's timer calls it. */
  readonly expireWaiters = (now: number): void => {
    this.waiters.expire(now, (waiter) => {
      const { busy, idle, connecting } = this.ledger;
      const counts = { inUse: busy, idle, connecting, waiting: this.waiters.length + 1 };
      this.ledger.countTimeout();
      this.observer.onTimeout?.();
      const cause = this.backoff.failing ? this.backoff.currentError : undefined;
      waiter.reject(new PoolTimeoutError(this.shape, counts, cause));
    });
    this.drain.settleCheck();
  };

  /** Tests a connection idle longer than POOL_IDLE_CHECK_MS with a round trip before handing it to `waiter`. */
  private check(connection: Connection, waiter: Waiter): void {
    this.ledger.move(connection, 'busy');
    const bound = Math.min(this.settings.connectTimeoutMillis, this.settings.poolTimeoutMillis);
    const timer = setTimeout(destroyClient, bound, connection.client);
    const done = (error: unknown): void => {
      clearTimeout(timer);
      if (connection.state !== 'busy') {
        waiter.reject(new PoolEndedError(ENDED_WHILE_WAITING)); // the drain ran out and closed it
        return;
      }
      if ((error !== null && error !== undefined) || connection.broken) {
        this.log.debug(
          { target: this.target, poolIndex: connection.partition.index },
          'idle connection failed its check; replacing it',
        );
        this.dispatch.retire(connection, 'failed-check');
        this.requeueFirst(waiter);
      } else {
        this.dispatch.handOff(connection, waiter, this.now());
      }
    };
    try {
      connection.rawQuery.call(connection.client, 'SELECT 1', undefined, done);
    } catch (error) {
      done(error);
    }
  }

  private enqueue(waiter: Waiter): void {
    this.waiters.push(waiter);
    if (this.ledger.used < this.ledger.bound || this.backoff.failing) this.growth.grow();
  }

  /** A waiter whose connection failed its check goes back to the head of the queue, keeping its deadline. */
  private requeueFirst(waiter: Waiter): void {
    this.waiters.unshift(waiter);
    const now = this.now();
    for (
      let connection = this.dispatch.takeIdle(now);
      connection !== undefined;
      connection = this.waiters.length > 0 ? this.dispatch.takeIdle(now) : undefined
    ) {
      const next = this.waiters.shift() as Waiter;
      if (now - connection.idleSince <= this.settings.idleCheckMillis)
        this.dispatch.handOff(connection, next, now);
      else this.check(connection, next);
    }
    this.growth.grow();
  }
}
