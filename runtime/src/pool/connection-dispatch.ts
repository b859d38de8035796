/**
 * Connections changing hands. A connection is handed to a caller (a
 * `pool.query()` runs on it, or `connect()` gets its client) and comes back
 * (the query finished, `release()`, an error); then it goes to the oldest
 * waiter, back to the idle stacks, or is retired: broken, past its lifetime,
 * used `maxUses` times, overflow that must not linger, or the pool is ending.
 * Allocation-free: the connection's callbacks are bound once and carry the
 * caller's settle functions.
 */
import type pg from 'pg';
import type { Settings } from '../contract/index.js';
import type { IdleStacks } from './checkout-routing.js';
import type { ConnectionLifecycle } from './connection-lifecycle.js';
import type { ListenerAwareEmitter } from './listener-aware-emitter.js';
import type { Connection, ConnectionOwner } from './pool-connection.js';
import type { PoolDrain } from './pool-drain.js';
import { isConnectionFatal } from './pool-errors.js';
import type { CloseReason, Logger, PoolEnvironment, PoolObserver } from './pool-types.js';
import type { SlotLedger } from './slot-ledger.js';
import type { Waiter, WaiterQueue } from './waiter-queue.js';

type Resolve = (value: never) => void;
type Reject = (error: Error) => void;

/** What the dispatch works with. */
export interface DispatchParts extends PoolEnvironment {
  readonly ledger: SlotLedger;
  readonly idle: IdleStacks;
  readonly waiters: WaiterQueue;
  readonly lifecycle: ConnectionLifecycle;
  readonly drain: PoolDrain;
  /** The pool, which emits `acquire`, `release` and `error`. */
  readonly events: ListenerAwareEmitter;
  /** Close a connection after this many checkouts; 0: never. */
  readonly maxUses: number;
  /** Unref idle sockets, ref them again when handed out. */
  readonly allowExitOnIdle: boolean;
}

/** Hands connections to callers and takes them back. */
export class ConnectionDispatch implements ConnectionOwner {
  private readonly settings: Settings;
  private readonly ledger: SlotLedger;
  private readonly idle: IdleStacks;
  private readonly waiters: WaiterQueue;
  private readonly lifecycle: ConnectionLifecycle;
  private readonly drain: PoolDrain;
  private readonly now: () => number;
  private readonly observer: PoolObserver;
  private readonly events: ListenerAwareEmitter;
  private readonly log: Logger;
  private readonly target: string;
  private readonly maxUses: number;
  private readonly allowExitOnIdle: boolean;
  private readonly timeQueries: boolean;

  constructor(parts: DispatchParts) {
    this.settings = parts.settings;
    this.ledger = parts.ledger;
    this.idle = parts.idle;
    this.waiters = parts.waiters;
    this.lifecycle = parts.lifecycle;
    this.drain = parts.drain;
    this.now = parts.now;
    this.observer = parts.observer;
    this.events = parts.events;
    this.log = parts.log;
    this.target = parts.target;
    this.maxUses = parts.maxUses;
    this.allowExitOnIdle = parts.allowExitOnIdle;
    this.timeQueries = parts.observer.onQuery !== undefined;
  }

  /** Gives `connection` (idle, or just opened, released or checked) to `waiter`. */
  handOff(connection: Connection, waiter: Waiter, now: number): void {
    this.ledger.move(connection, 'busy');
    this.ledger.countCheckout();
    connection.uses++;
    if (this.allowExitOnIdle) (connection.client as { ref?: () => void }).ref?.();
    this.observer.onCheckout?.(connection.partition.index, now - waiter.enqueuedAt);
    if (this.events.listening.acquire) this.events.emit('acquire', connection.client);
    if (waiter.kind === 'query') {
      this.runQuery(connection, waiter.text, waiter.values, waiter.resolve, waiter.reject);
      return;
    }
    connection.borrowed = true;
    connection.borrowStack = waiter.borrowStack;
    connection.checkedOutAt = now;
    connection.leakWarned = false;
    waiter.resolve(connection.client as never);
  }

  /** The most recently used idle connection (persistent first), closing expired ones on the way. */
  takeIdle(now: number): Connection | undefined {
    for (;;) {
      const connection = this.idle.pop();
      if (connection === undefined || now < connection.expiresAt) return connection;
      this.retire(connection, 'max-lifetime');
    }
  }

  /** A connection just opened (counted busy): to the oldest waiter, idle, or closed when the pool is ending. */
  placeOpened(connection: Connection, now: number): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) this.handOff(connection, waiter, now);
    else if (this.drain.ending) this.retire(connection, 'shutdown');
    else this.makeIdle(connection, now);
  }

  /** Starts closing a connection that is in no idle stack and not handed out. */
  retire(connection: Connection, reason: CloseReason): void {
    this.lifecycle.retire(connection, reason);
    this.drain.settleCheck();
  }

  // ConnectionOwner: called by a connection's bound callbacks.

  queryDone(
    connection: Connection,
    error: Error | null,
    result: unknown,
    resolve: Resolve,
    reject: Reject,
  ): void {
    const failed = error !== null && error !== undefined;
    if (this.timeQueries)
      this.observer.onQuery?.(connection.partition.index, this.now() - connection.queryStartedAt, failed);
    if (this.events.listening.release)
      this.events.emit('release', failed ? error : undefined, connection.client);
    this.release(connection, failed && isConnectionFatal(error) ? 'broken' : undefined);
    if (failed) reject(error);
    else resolve(result as never);
  }

  releaseBorrowed(connection: Connection, evict: boolean, error?: Error): void {
    connection.borrowed = false;
    connection.borrowStack = undefined;
    // A borrower may have ended the client itself, or broken it: never hand that out again.
    const { _ending: ending, _queryable: queryable } = connection.client as unknown as {
      _ending?: boolean;
      _queryable?: boolean;
    };
    if (ending === true || queryable === false) connection.broken = true;
    if (this.events.listening.release) this.events.emit('release', error, connection.client);
    this.release(connection, evict ? 'released-with-error' : undefined);
  }

  connectionError(connection: Connection, error: Error): void {
    if (connection.broken || (connection.state !== 'idle' && connection.state !== 'busy')) return;
    connection.broken = true;
    this.ledger.countConnectionError();
    this.observer.onConnectionError?.(error);
    const idle = connection.state === 'idle';
    this.log.warn(
      {
        target: this.target,
        poolIndex: connection.partition.index,
        code: (error as { code?: unknown }).code,
        error: error.message,
      },
      idle
        ? 'idle database connection failed; replacing it'
        : 'database connection in use failed; it is replaced when released',
    );
    if (!idle) return;
    this.idle.remove(connection);
    this.retire(connection, 'broken');
    // pg.Pool re-emits idle errors and crashes a process without a listener; here they only go to listeners.
    (error as Error & { client?: pg.Client }).client = connection.client;
    if (this.events.listenerCount('error') > 0) this.events.emit('error', error, connection.client);
  }

  /** A busy connection comes back: to the oldest waiter, to the idle stacks, or closed. */
  release(connection: Connection, evict: CloseReason | undefined): void {
    if (connection.state !== 'busy') return; // the drain closed it meanwhile
    const now = this.now();
    const reason = evict ?? this.retirementReason(connection, now);
    if (reason !== undefined) {
      this.retire(connection, reason);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter !== undefined) this.handOff(connection, waiter, now);
    else if (this.drain.ending || (connection.overflow && this.settings.overflowIdleMillis === 0)) {
      this.retire(connection, this.drain.ending ? 'shutdown' : 'overflow-idle');
    } else this.makeIdle(connection, now);
  }

  private runQuery(
    connection: Connection,
    text: unknown,
    values: unknown,
    resolve: Resolve,
    reject: Reject,
  ): void {
    if (this.timeQueries) connection.queryStartedAt = this.now();
    try {
      connection.run(text, values, resolve, reject);
    } catch (error) {
      connection.abandonQuery();
      this.release(connection, undefined);
      reject(error as Error);
    }
  }

  /** Why a released connection must not be reused, if it must not. */
  private retirementReason(connection: Connection, now: number): CloseReason | undefined {
    if (connection.broken) return 'broken';
    if (now >= connection.expiresAt) return 'max-lifetime';
    if (this.maxUses > 0 && connection.uses >= this.maxUses) return 'max-uses';
    return undefined;
  }

  private makeIdle(connection: Connection, now: number): void {
    this.ledger.move(connection, 'idle');
    connection.idleSince = now;
    this.idle.push(connection);
    if (this.allowExitOnIdle) (connection.client as { unref?: () => void }).unref?.();
    this.drain.settleCheck();
  }
}
