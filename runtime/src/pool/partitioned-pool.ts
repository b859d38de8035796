/**
 * The pool: POOL_COUNT partitions of POOL_SIZE persistent `pg.Client`s, opened
 * at start and kept, plus MAX_OVERFLOW temporary connections per partition,
 * behind pg.Pool's surface (promises and callbacks, events, counts). This file
 * wires the parts together; each concept lives in its own file:
 * `SlotLedger` (every count), `WaiterQueue` (FIFO and deadlines),
 * `IdleStacks`/`OverflowRouter` (routing), `ConnectionLifecycle` (opening,
 * closing, with `ConnectBackoff`), `housekeeping.ts` (linger, lifetime, leaks).
 *
 * Hot path (checkout, query, release): no timers unless the caller waits, one
 * promise and one small waiter record per call.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { describeTarget, type Settings } from '../contract/index.js';
import { IdleStacks, OverflowRouter } from './checkout-routing.js';
import { clientSetup, withClientOptions, type ClientSetup } from './client-config.js';
import { CLOSE_TIMEOUT_MILLIS, destroyClient } from './close-client.js';
import type { ConnectBackoff } from './connect-backoff.js';
import { ConnectionLifecycle, type LifecycleEvents } from './connection-lifecycle.js';
import { findLeaks, housekeepingMillis, idleToClose } from './housekeeping.js';
import { cancelBackend, Connection, type Partition } from './pool-connection.js';
import { PoolEndedError, PoolTimeoutError, isConnectionFatal, type PoolTimeoutShape } from './pool-errors.js';
import { snapshotOf } from './pool-snapshot.js';
import type {
  ClientAtsPool,
  CloseReason,
  ConnectCallback,
  EndOptions,
  Logger,
  PoolObserver,
  PoolOptions,
  PoolSnapshot,
  PooledClient,
  QueryCallback,
} from './pool-types.js';
import { SlotLedger } from './slot-ledger.js';
import { WaiterQueue, type Waiter } from './waiter-queue.js';

const ENDED_WHILE_WAITING =
  'the pool was ended (pool.end() was called) and its drain time ran out while this caller waited for a connection';
const SILENT_LOGGER: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const NO_RELEASE = (): void => undefined;

type Resolve = (value: never) => void;
type Reject = (error: Error) => void;

/** The pool behind `createPool` and `Pool`. */
export class PartitionedPool extends EventEmitter implements ClientAtsPool, LifecycleEvents {
  readonly ready: Promise<void>;
  readonly clientConfig: Readonly<pg.ClientConfig>;
  /** Every count the pool keeps, and their invariants. */
  readonly ledger: SlotLedger;
  private readonly settings: Settings;
  private readonly setup: ClientSetup;
  private readonly target: string;
  private readonly shape: PoolTimeoutShape;
  private readonly Client: typeof pg.Client;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly observer: PoolObserver;
  private readonly timeQueries: boolean;
  private readonly maxUses: number;
  private readonly allowExitOnIdle: boolean;
  private readonly idle = new IdleStacks();
  private readonly waiters: WaiterQueue;
  private readonly overflowRouter: OverflowRouter;
  private readonly lifecycle: ConnectionLifecycle;
  private readonly tickTimer: NodeJS.Timeout;
  private endPromise: Promise<void> | undefined;
  private isEnded = false;
  /** Called by the drain when nothing is checked out and nobody waits. */
  private onSettled: (() => void) | undefined;
  private onEmpty: (() => void) | undefined;
  /** Borrowers' stacks cost a few µs per connect(): recorded only once a leak has been seen. */
  private recordStacks = false;
  private isReady = false;
  private resolveReady!: () => void;
  private rejectReady!: (error: Error) => void;

  /** @param setup the client configuration, when it does not come from the settings (the `Pool` constructor). */
  constructor(settings: Settings, options: PoolOptions = {}, setup?: ClientSetup) {
    super();
    this.settings = settings;
    this.setup = withClientOptions(
      setup ?? clientSetup(settings, options.applicationName),
      options.clientConfig,
    );
    this.clientConfig = this.setup.config;
    this.target = describeTarget(this.setup.target);
    const { poolTimeoutMillis, poolSize, poolCount, maxOverflow } = settings;
    this.shape = { poolTimeoutMillis, poolSize, poolCount, maxOverflow };
    this.Client = options.Client ?? pg.Client;
    this.now = options.now ?? performance.now.bind(performance);
    this.log = options.logger ?? SILENT_LOGGER;
    this.observer = options.observer ?? {};
    this.timeQueries = this.observer.onQuery !== undefined;
    this.maxUses = options.maxUses ?? 0;
    this.allowExitOnIdle = options.allowExitOnIdle ?? false;
    this.ledger = new SlotLedger(poolCount, poolSize, maxOverflow);
    this.overflowRouter = new OverflowRouter(this.ledger.partitions, poolSize, maxOverflow);
    this.waiters = new WaiterQueue(this.now, this.onWaitersDue);
    this.lifecycle = new ConnectionLifecycle(
      {
        settings,
        setup: this.setup,
        target: this.target,
        Client: this.Client,
        now: this.now,
        log: this.log,
        observer: this.observer,
        ledger: this.ledger,
        onConnect: options.onConnect,
      },
      this,
      () => this.grow(),
    );
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Nobody has to await `ready`: ending the pool before it is ready must not be an unhandled rejection.
    this.ready.catch(() => undefined);
    for (const warning of this.setup.warnings) this.log.warn({ target: this.target }, warning);
    this.tickTimer = setInterval(this.onTick, housekeepingMillis(settings));
    this.tickTimer.unref();
    this.grow();
  }

  get totalCount(): number {
    return this.ledger.used - this.ledger.closing;
  }

  get idleCount(): number {
    return this.ledger.idle;
  }

  get waitingCount(): number {
    return this.waiters.length;
  }

  get expiredCount(): number {
    const now = this.now();
    let expired = 0;
    for (const connection of this.connections)
      if (connection.state === 'busy' && now >= connection.expiresAt) expired++;
    return expired;
  }

  get ending(): boolean {
    return this.endPromise !== undefined;
  }

  get ended(): boolean {
    return this.isEnded;
  }

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
  query(text: unknown, values?: unknown, callback?: QueryCallback): Promise<pg.QueryResult> | undefined {
    if (typeof values === 'function') {
      callback = values as QueryCallback;
      values = undefined;
    }
    const result = this.request<pg.QueryResult>('query', text, values);
    if (callback === undefined) return result;
    result.then(
      (value) => process.nextTick(callback, undefined, value),
      (error: Error) => process.nextTick(callback, error, undefined),
    );
    return undefined;
  }

  connect(): Promise<PooledClient>;
  connect(callback: ConnectCallback): void;
  connect(callback?: ConnectCallback): Promise<PooledClient> | undefined {
    const stack = this.recordStacks ? new Error('connection checked out here') : undefined;
    const result = this.request<PooledClient>('connect', undefined, undefined, stack);
    if (callback === undefined) return result;
    result.then(
      (client) => process.nextTick(callback, undefined, client, client.release),
      (error: Error) => process.nextTick(callback, error, undefined, NO_RELEASE),
    );
    return undefined;
  }

  end(options: EndOptions | (() => void) = {}): Promise<void> {
    if (typeof options === 'function') {
      const ended = this.end();
      void ended.then(() => process.nextTick(options));
      return ended;
    }
    if (this.endPromise !== undefined) return this.endPromise;
    this.endPromise = this.drain(options.drainMillis ?? this.settings.shutdownDrainMillis);
    return this.endPromise;
  }

  override off(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }

  snapshot(): PoolSnapshot {
    return snapshotOf({
      settings: this.settings,
      maxConnections: this.ledger.bound,
      partitions: this.ledger.partitions,
      connections: this.connections,
      waiting: this.waiters.length,
      totals: this.ledger.totals,
      lastConnectError: this.backoff.lastMessage,
      ending: this.ending,
    });
  }

  /** Every broken count invariant (empty when all hold); for tests. */
  invariantViolations(): string[] {
    const problems = this.ledger.invariantViolations(this.connections);
    if (this.idle.length !== this.ledger.idle)
      problems.push(`idle stacks hold ${this.idle.length}, counted ${this.ledger.idle}`);
    return problems;
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
    this.emit('release', failed ? error : undefined, connection.client);
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
    this.emit('release', error, connection.client);
    this.release(connection, evict ? 'released-with-error' : undefined);
  }

  connectionError(connection: Connection, error: Error): void {
    if (connection.broken || (connection.state !== 'idle' && connection.state !== 'busy')) return;
    connection.broken = true;
    this.ledger.totals.connectionErrors++;
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
    if (this.listenerCount('error') > 0) this.emit('error', error, connection.client);
  }

  // Checkout and release.

  /** The one entry of `query()` and `connect()`: an idle connection at once, else a place in the queue. */
  private request<T>(kind: Waiter['kind'], text: unknown, values: unknown, borrowStack?: Error): Promise<T> {
    if (this.ending) return Promise.reject(new PoolEndedError());
    return new Promise<T>((resolve, reject) => {
      const now = this.now();
      const waiter: Waiter = {
        kind,
        text,
        values,
        resolve: resolve as Resolve,
        reject,
        enqueuedAt: now,
        deadline: now + this.settings.poolTimeoutMillis,
        borrowStack,
      };
      const connection = this.waiters.length === 0 ? this.takeIdle(now) : undefined;
      if (connection === undefined) this.enqueue(waiter);
      else if (now - connection.idleSince <= this.settings.idleCheckMillis)
        this.handOff(connection, waiter, now);
      else this.check(connection, waiter);
    });
  }

  /** Gives `connection` (idle, or just opened, released or checked) to `waiter`. */
  private handOff(connection: Connection, waiter: Waiter, now: number): void {
    this.ledger.move(connection, 'busy');
    this.ledger.totals.checkouts++;
    connection.uses++;
    if (this.allowExitOnIdle) (connection.client as { ref?: () => void }).ref?.();
    this.observer.onCheckout?.(connection.partition.index, now - waiter.enqueuedAt);
    this.emit('acquire', connection.client);
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

  /** A busy connection comes back: to the oldest waiter, to the idle stacks, or closed. */
  private release(connection: Connection, evict: CloseReason | undefined): void {
    if (connection.state !== 'busy') return; // the drain closed it meanwhile
    const now = this.now();
    const reason = evict ?? this.retirementReason(connection, now);
    if (reason !== undefined) {
      this.retire(connection, reason);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter !== undefined) this.handOff(connection, waiter, now);
    else if (this.ending || (connection.overflow && this.settings.overflowIdleMillis === 0)) {
      this.retire(connection, this.ending ? 'shutdown' : 'overflow-idle');
    } else this.makeIdle(connection, now);
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
    this.settleCheck();
  }

  /** The most recently used idle connection (persistent first), closing expired ones on the way. */
  private takeIdle(now: number): Connection | undefined {
    for (;;) {
      const connection = this.idle.pop();
      if (connection === undefined || now < connection.expiresAt) return connection;
      this.retire(connection, 'max-lifetime');
    }
  }

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
        this.retire(connection, 'failed-check');
        this.requeueFirst(waiter);
      } else {
        this.handOff(connection, waiter, this.now());
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
    if (this.ledger.used < this.ledger.bound || this.backoff.failing) this.grow();
  }

  /** A waiter whose connection failed its check goes back to the head of the queue, keeping its deadline. */
  private requeueFirst(waiter: Waiter): void {
    this.waiters.unshift(waiter);
    const now = this.now();
    for (
      let connection = this.takeIdle(now);
      connection !== undefined;
      connection = this.waiters.length > 0 ? this.takeIdle(now) : undefined
    ) {
      const next = this.waiters.shift() as Waiter;
      if (now - connection.idleSince <= this.settings.idleCheckMillis) this.handOff(connection, next, now);
      else this.check(connection, next);
    }
    this.grow();
  }

  /** Fails every waiter past its deadline (FIFO order is deadline order). */
  private readonly onWaitersDue = (now: number): void => {
    this.waiters.expire(now, (waiter) => {
      const { busy, idle, connecting } = this.ledger;
      const counts = { inUse: busy, idle, connecting, waiting: this.waiters.length + 1 };
      this.ledger.totals.timeouts++;
      this.observer.onTimeout?.();
      waiter.reject(
        new PoolTimeoutError(
          this.shape,
          counts,
          this.backoff.failing ? this.backoff.currentError : undefined,
        ),
      );
    });
    this.settleCheck();
  };

  // Opening and closing connections.

  /**
   * Opens what is missing: persistent connections first, then overflow for
   * waiters no opening connection will serve. While ending, only for waiters.
   */
  private grow(): void {
    if (this.isEnded || !this.backoff.mayAttempt(this.ledger.connecting)) return;
    const failing = this.backoff.failing;
    if (!this.ending) {
      for (const partition of this.ledger.partitions) {
        while (this.ledger.hasRoom(partition, false)) {
          this.open(partition, false);
          if (failing) return;
        }
      }
    }
    while (this.waiters.length > this.ledger.connecting && this.ledger.used < this.ledger.bound) {
      const partition = this.ending ? this.partitionWithRoom() : this.overflowRouter.choose();
      if (partition === undefined) return;
      this.open(partition, !this.ledger.hasRoom(partition, false));
      if (failing) return;
    }
  }

  private partitionWithRoom(): Partition | undefined {
    return this.ledger.partitions.find(
      (each) => this.ledger.hasRoom(each, false) || this.ledger.hasRoom(each, true),
    );
  }

  private open(partition: Partition, overflow: boolean): void {
    this.lifecycle.open(partition, overflow);
  }

  /** LifecycleEvents: a connection opened; the pool may now be ready. */
  connectionOpened(connection: Connection, now: number): void {
    if (
      !this.isReady &&
      this.ledger.partitions.every((each) => each.persistentOpen >= this.settings.poolSize)
    ) {
      this.isReady = true;
      const { poolCount, poolSize } = this.settings;
      this.log.info({ target: this.target, pools: poolCount, poolSize }, 'database pool ready');
      this.resolveReady();
    }
    const waiter = this.waiters.shift();
    if (waiter !== undefined) this.handOff(connection, waiter, now);
    else if (this.ending) this.retire(connection, 'shutdown');
    else this.makeIdle(connection, now);
    this.grow();
  }

  /** LifecycleEvents: a slot came free. */
  slotFreed(): void {
    if (this.lifecycle.closingDown) this.checkEmpty();
    else this.grow();
  }

  private retire(connection: Connection, reason: CloseReason): void {
    this.lifecycle.retire(connection, reason);
    this.settleCheck();
  }

  private settleCheck(): void {
    if (this.onSettled !== undefined && this.ledger.busy === 0 && this.waiters.length === 0) this.onSettled();
  }

  private checkEmpty(): void {
    if (this.connections.size === 0) this.onEmpty?.();
  }

  private get connections(): Set<Connection> {
    return this.lifecycle.connections;
  }

  private get backoff(): ConnectBackoff {
    return this.lifecycle.backoff;
  }

  // Ending.

  /** Stops growing, serves the queue for up to `drainMillis`, then closes everything (each step bounded). */
  private async drain(drainMillis: number): Promise<void> {
    clearInterval(this.tickTimer);
    this.backoff.stop();
    if (!this.isReady)
      this.rejectReady(new PoolEndedError('the pool was ended (pool.end() was called) before it was ready'));
    if (this.waiters.length === 0)
      for (const connection of this.idle.takeAll()) this.retire(connection, 'shutdown');
    this.destroySpareConnecting();
    if (this.ledger.busy > 0 || this.waiters.length > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, drainMillis);
        this.onSettled = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.onSettled = undefined;
    }
    this.waiters.clear((waiter) => waiter.reject(new PoolEndedError(ENDED_WHILE_WAITING)));
    if (this.ledger.busy > 0) {
      const inUse = this.ledger.busy;
      this.log.warn(
        { target: this.target, inUse, drainMillis },
        'connections still checked out after the drain time; closing them',
      );
    }
    this.lifecycle.closingDown = true;
    for (const connection of [...this.connections]) {
      if (connection.state === 'busy') {
        cancelBackend(connection.client, this.setup.target.host, this.setup.target.port);
        this.retire(connection, 'shutdown');
      } else if (connection.state === 'connecting') destroyClient(connection.client);
    }
    for (const connection of this.idle.takeAll()) this.retire(connection, 'shutdown');
    if (this.connections.size > 0) {
      await new Promise<void>((resolve) => {
        // Closing is bounded per connection; this bound only guards against a client whose connect() never settles.
        const timer = setTimeout(resolve, 2 * CLOSE_TIMEOUT_MILLIS + this.settings.connectTimeoutMillis);
        this.onEmpty = () => {
          clearTimeout(timer);
          resolve();
        };
        this.checkEmpty();
      });
    }
    this.isEnded = true;
    this.log.info({ target: this.target }, 'database pool ended');
  }

  /** While ending, connection attempts beyond what the queued callers need are abandoned. */
  private destroySpareConnecting(): void {
    let spare = this.ledger.connecting - this.waiters.length;
    for (const connection of this.connections) {
      if (spare <= 0) return;
      if (connection.state !== 'connecting') continue;
      destroyClient(connection.client);
      spare--;
    }
  }

  /** Housekeeping: closes lingering idle overflow and expired idle connections, warns about connections held too long. */
  private readonly onTick = (): void => {
    const now = this.now();
    for (const [connection, reason] of idleToClose(this.idle, now, this.settings.overflowIdleMillis)) {
      this.idle.remove(connection);
      this.retire(connection, reason);
    }
    const leakMillis = this.settings.leakWarningMillis;
    if (leakMillis === 0 || this.ledger.busy === 0) return;
    for (const { connection, heldMillis, message } of findLeaks(this.connections, now, leakMillis)) {
      this.log.warn(
        { poolIndex: connection.partition.index, heldMillis, stack: connection.borrowStack?.stack },
        message,
      );
      this.recordStacks = true;
    }
  };
}
