/**
 * `createPool(settings)`: POOL_COUNT pools of POOL_SIZE persistent `pg.Client`s,
 * opened at start and kept, plus MAX_OVERFLOW temporary connections per pool,
 * behind a `pg.Pool`-compatible surface. Checkout is FIFO across waiters and
 * work-conserving across pools; a waiter gets `PoolTimeoutError` after
 * POOL_TIMEOUT ms. Broken connections are replaced with exponential backoff;
 * `end()` drains for a bounded time. README section "runtime" has the details.
 *
 * Hot path (checkout, query, release): no per-checkout closures or timers, one
 * promise per `query()`; the waiters share a single timer armed for the oldest.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { describeTarget, perInstanceConnections, type Settings } from '../contract/index.js';
import { clientSetup, type ClientSetup } from './client-config.js';
import { cancelBackend, closeClient, Connection, destroyClient, Waiter, CLOSE_TIMEOUT_MILLIS, type ConnectionOwner, type Partition } from './pool-connection.js';
import { ConnectError, PoolEndedError, PoolTimeoutError, isConnectionFatal, toConnectError, type PoolTimeoutShape } from './pool-errors.js';
import { instrumentQueries, snapshotOf } from './pool-snapshot.js';
import type { ClientAtsPool, CloseReason, Logger, PoolObserver, PoolOptions, PoolSnapshot, PooledClient } from './pool-types.js';
import { RingQueue } from './ring-queue.js';

/** First reconnect delay after a failed connection attempt; it doubles per failure up to `RECONNECT_MAX_MILLIS`. */
export const RECONNECT_MIN_MILLIS = 100;
/** Longest reconnect delay while the database stays unreachable. */
export const RECONNECT_MAX_MILLIS = 5_000;
/** Up to this fraction of POOL_MAX_LIFETIME_MS is taken off each connection's lifetime, so they do not all expire together. */
export const LIFETIME_JITTER = 0.025;

const ENDED_WHILE_WAITING = 'the pool was ended (pool.end() was called) while this caller waited for a connection';
const SILENT_LOGGER: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Creates the pool and starts opening POOL_COUNT × POOL_SIZE connections;
 * await `pool.ready` to know they are open.
 * @throws Error when DATABASE_URL is missing or DATABASE_SSL_CA cannot be read.
 */
export function createPool(settings: Settings, options: PoolOptions = {}): ClientAtsPool {
  return new PartitionedPool(settings, options);
}

/** Delay before reconnect attempt number `failures` (1-based): exponential, capped, with up to 50 % jitter. */
export function reconnectDelay(failures: number, random: number = Math.random()): number {
  const ceiling = Math.min(RECONNECT_MAX_MILLIS, RECONNECT_MIN_MILLIS * 2 ** Math.min(failures - 1, 20));
  return ceiling / 2 + (random * ceiling) / 2;
}

/** Period of the housekeeping timer (overflow linger, lifetime, leak warnings): fine enough for the shortest of them. */
export function housekeepingMillis(settings: Pick<Settings, 'maxOverflow' | 'overflowIdleMillis' | 'leakWarningMillis' | 'maxLifetimeMillis'>): number {
  const candidates = [1_000];
  if (settings.maxOverflow > 0 && settings.overflowIdleMillis > 0) candidates.push(settings.overflowIdleMillis / 2);
  if (settings.leakWarningMillis > 0) candidates.push(settings.leakWarningMillis / 2);
  if (settings.maxLifetimeMillis > 0) candidates.push(settings.maxLifetimeMillis * LIFETIME_JITTER);
  return Math.max(10, Math.round(Math.min(...candidates)));
}

class PartitionedPool extends EventEmitter implements ClientAtsPool, ConnectionOwner {
  readonly ready: Promise<void>;
  private readonly settings: Settings;
  private readonly setup: ClientSetup;
  private readonly target: string;
  private readonly shape: PoolTimeoutShape;
  private readonly Client: typeof pg.Client;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly observer: PoolObserver;
  private readonly timeQueries: boolean;
  private readonly maxSlots: number;
  private readonly partitions: Partition[] = [];
  private readonly connections = new Set<Connection>();
  /** Idle connections as stacks: persistent ones are reused first, so idle overflow can linger out. */
  private readonly persistentIdle: Connection[] = [];
  private readonly overflowIdle: Connection[] = [];
  private readonly waiters = new RingQueue<Waiter>();
  private busy = 0;
  private connecting = 0;
  private closing = 0;
  private slotsUsed = 0;
  private failures = 0;
  private retryAt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private currentConnectError: ConnectError | undefined;
  private lastConnectError: string | undefined;
  private checkouts = 0;
  private timeouts = 0;
  private overflowOpened = 0;
  private connectionErrors = 0;
  private queueTimer: NodeJS.Timeout | undefined;
  private queueTimerAt = 0;
  private readonly tickTimer: NodeJS.Timeout;
  private nextOverflow = 0;
  private ending = false;
  private endPromise: Promise<void> | undefined;
  private onDrained: (() => void) | undefined;
  private onEmpty: (() => void) | undefined;
  /** Borrowers' stacks cost a few µs per connect(): recorded only once a leak has been seen. */
  private recordStacks = false;
  private isReady = false;
  private resolveReady!: () => void;
  private rejectReady!: (error: Error) => void;

  constructor(settings: Settings, options: PoolOptions) {
    super();
    this.settings = settings;
    this.setup = clientSetup(settings, options.applicationName);
    this.target = describeTarget(this.setup.target);
    this.shape = { poolTimeoutMillis: settings.poolTimeoutMillis, poolSize: settings.poolSize, poolCount: settings.poolCount, maxOverflow: settings.maxOverflow };
    this.Client = options.Client ?? pg.Client;
    this.now = options.now ?? performance.now.bind(performance);
    this.log = options.logger ?? SILENT_LOGGER;
    this.observer = options.observer ?? {};
    this.timeQueries = this.observer.onQuery !== undefined;
    this.maxSlots = perInstanceConnections(settings, 0);
    for (let index = 0; index < settings.poolCount; index++) this.partitions.push({ index, persistentSlots: 0, overflowSlots: 0, persistentOpen: 0 });
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
    return this.slotsUsed - this.closing;
  }

  get idleCount(): number {
    return this.persistentIdle.length + this.overflowIdle.length;
  }

  get waitingCount(): number {
    return this.waiters.length;
  }

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.ending) return Promise.reject(new PoolEndedError());
    const now = this.now();
    if (this.waiters.length === 0) {
      const connection = this.popIdle(now);
      if (connection !== undefined) {
        if (now - connection.idleSince <= this.settings.idleCheckMillis) {
          this.checkOut(connection, 0);
          return new Promise((resolve, reject) => this.runQuery(connection, text, values, resolve, reject));
        }
        return new Promise((resolve, reject) => this.check(connection, new Waiter(true, text, values, resolve, reject, now, now + this.settings.poolTimeoutMillis, undefined)));
      }
    }
    return new Promise((resolve, reject) => this.enqueue(new Waiter(true, text, values, resolve, reject, now, now + this.settings.poolTimeoutMillis, undefined)));
  }

  connect(): Promise<PooledClient> {
    if (this.ending) return Promise.reject(new PoolEndedError());
    const stack = this.recordStacks ? new Error('connection checked out here') : undefined;
    const now = this.now();
    if (this.waiters.length === 0) {
      const connection = this.popIdle(now);
      if (connection !== undefined) {
        if (now - connection.idleSince <= this.settings.idleCheckMillis) {
          this.checkOut(connection, 0);
          this.lend(connection, stack, now);
          return Promise.resolve(connection.client as unknown as PooledClient);
        }
        return new Promise((resolve, reject) => this.check(connection, new Waiter(false, undefined, undefined, resolve, reject, now, now + this.settings.poolTimeoutMillis, stack)));
      }
    }
    return new Promise((resolve, reject) => this.enqueue(new Waiter(false, undefined, undefined, resolve, reject, now, now + this.settings.poolTimeoutMillis, stack)));
  }

  end(options: { drainMillis?: number } = {}): Promise<void> {
    if (this.endPromise !== undefined) return this.endPromise;
    this.ending = true;
    clearInterval(this.tickTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.queueTimer);
    this.queueTimer = undefined;
    if (!this.isReady) this.rejectReady(new PoolEndedError('the pool was ended (pool.end() was called) before it was ready'));
    for (let waiter = this.waiters.shift(); waiter !== undefined; waiter = this.waiters.shift()) waiter.reject(new PoolEndedError(ENDED_WHILE_WAITING));
    const idle = [...this.persistentIdle, ...this.overflowIdle];
    this.persistentIdle.length = 0;
    this.overflowIdle.length = 0;
    for (const connection of idle) this.retire(connection, 'shutdown');
    for (const connection of this.connections) if (connection.state === 'connecting') destroyClient(connection.client);
    this.endPromise = this.drain(options.drainMillis ?? this.settings.shutdownDrainMillis);
    return this.endPromise;
  }

  override off(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }

  snapshot(): PoolSnapshot {
    return snapshotOf({
      settings: this.settings, maxConnections: this.maxSlots, partitions: this.partitions, connections: this.connections,
      waiting: this.waiters.length, checkouts: this.checkouts, timeouts: this.timeouts, overflowOpened: this.overflowOpened,
      connectionErrors: this.connectionErrors, lastConnectError: this.lastConnectError, ending: this.ending,
    });
  }

  // ConnectionOwner: called by a connection's bound callbacks.

  queryDone(connection: Connection, error: Error | null, result: unknown, resolve: (value: never) => void, reject: (error: Error) => void): void {
    const failed = error !== null && error !== undefined;
    if (this.timeQueries) this.observer.onQuery?.(connection.partition.index, this.now() - connection.queryStartedAt, failed);
    this.releaseConnection(connection, failed && isConnectionFatal(error) ? 'broken' : undefined);
    if (failed) reject(error);
    else resolve(result as never);
  }

  releaseBorrowed(connection: Connection, evict: boolean): void {
    connection.borrowed = false;
    connection.borrowStack = undefined;
    // A borrower may have ended the client itself, or broken it: never hand that out again.
    const { _ending: ending, _queryable: queryable } = connection.client as unknown as { _ending?: boolean; _queryable?: boolean };
    if (ending === true || queryable === false) connection.broken = true;
    this.releaseConnection(connection, evict ? 'released-with-error' : undefined);
  }

  connectionError(connection: Connection, error: Error): void {
    if (connection.broken || connection.state === 'connecting' || connection.state === 'closing' || connection.state === 'closed') return;
    connection.broken = true;
    this.connectionErrors++;
    this.observer.onConnectionError?.(error);
    const idle = connection.state === 'idle';
    this.log.warn(
      { target: this.target, poolIndex: connection.partition.index, code: (error as { code?: unknown }).code, error: error.message },
      idle ? 'idle database connection failed; replacing it' : 'database connection in use failed; it is replaced when released',
    );
    if (!idle) return;
    this.removeIdle(connection);
    this.retire(connection, 'broken');
    // pg.Pool re-emits idle errors and crashes a process without a listener; here the error is only passed on to listeners.
    if (this.listenerCount('error') > 0) this.emit('error', error, connection.client);
  }

  // Checkout and release.

  private checkOut(connection: Connection, waitMillis: number): void {
    connection.state = 'busy';
    this.busy++;
    this.checkouts++;
    this.observer.onCheckout?.(connection.partition.index, waitMillis);
    this.emit('acquire', connection.client);
  }

  private lend(connection: Connection, stack: Error | undefined, now: number): void {
    connection.borrowed = true;
    connection.borrowStack = stack;
    connection.checkedOutAt = now;
    connection.leakWarned = false;
  }

  private runQuery(connection: Connection, text: unknown, values: unknown, resolve: (value: never) => void, reject: (error: Error) => void): void {
    if (this.timeQueries) connection.queryStartedAt = this.now();
    try {
      connection.run(text, values, resolve, reject);
    } catch (error) {
      connection.abandonQuery();
      this.releaseConnection(connection, undefined);
      reject(error as Error);
    }
  }

  private handOff(connection: Connection, waiter: Waiter, now: number): void {
    this.checkOut(connection, now - waiter.enqueuedAt);
    if (waiter.isQuery) {
      this.runQuery(connection, waiter.text, waiter.values, waiter.resolve, waiter.reject);
      return;
    }
    this.lend(connection, waiter.borrowStack, now);
    waiter.resolve(connection.client as never);
  }

  private releaseConnection(connection: Connection, evict: CloseReason | undefined): void {
    if (connection.state !== 'busy') return; // end() closed it meanwhile
    this.busy--;
    const now = this.now();
    if (evict !== undefined || connection.broken || this.ending || now >= connection.expiresAt) {
      this.retire(connection, this.ending ? 'shutdown' : evict ?? (connection.broken ? 'broken' : 'max-lifetime'));
      if (this.busy === 0) this.onDrained?.();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      this.handOff(connection, waiter, now);
      return;
    }
    if (connection.overflow && this.settings.overflowIdleMillis === 0) {
      this.retire(connection, 'overflow-idle');
      return;
    }
    connection.state = 'idle';
    connection.idleSince = now;
    (connection.overflow ? this.overflowIdle : this.persistentIdle).push(connection);
  }

  /** The most recently used idle connection (persistent first), closing expired ones on the way. */
  private popIdle(now: number): Connection | undefined {
    for (;;) {
      const connection = this.persistentIdle.pop() ?? this.overflowIdle.pop();
      if (connection === undefined || now < connection.expiresAt) return connection;
      this.retire(connection, 'max-lifetime');
    }
  }

  private removeIdle(connection: Connection): void {
    const stack = connection.overflow ? this.overflowIdle : this.persistentIdle;
    const index = stack.indexOf(connection);
    if (index !== -1) stack.splice(index, 1);
  }

  /** Tests a connection idle longer than POOL_IDLE_CHECK_MS with a round trip before handing it to `waiter`. */
  private check(connection: Connection, waiter: Waiter): void {
    connection.state = 'busy';
    this.busy++;
    const timer = setTimeout(destroyClient, Math.min(this.settings.connectTimeoutMillis, this.settings.poolTimeoutMillis), connection.client);
    const done = (error: unknown): void => {
      clearTimeout(timer);
      if (connection.state !== 'busy') {
        waiter.reject(new PoolEndedError(ENDED_WHILE_WAITING));
        return;
      }
      this.busy--;
      if (this.ending) {
        this.retire(connection, 'shutdown');
        if (this.busy === 0) this.onDrained?.();
        waiter.reject(new PoolEndedError(ENDED_WHILE_WAITING));
      } else if ((error !== null && error !== undefined) || connection.broken) {
        this.log.debug({ target: this.target, poolIndex: connection.partition.index }, 'idle connection failed its check; replacing it');
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
    if (this.queueTimer === undefined) this.armQueueTimer(waiter.deadline, waiter.deadline - waiter.enqueuedAt);
    if (this.slotsUsed < this.maxSlots || this.failures > 0) this.grow();
  }

  /** A waiter whose connection failed its check goes back to the head of the queue, keeping its deadline. */
  private requeueFirst(waiter: Waiter): void {
    this.waiters.unshift(waiter);
    if (this.queueTimer === undefined || waiter.deadline < this.queueTimerAt) {
      clearTimeout(this.queueTimer);
      this.armQueueTimer(waiter.deadline, waiter.deadline - this.now());
    }
    const now = this.now();
    for (let connection = this.waiters.length > 0 ? this.popIdle(now) : undefined; connection !== undefined; connection = this.waiters.length > 0 ? this.popIdle(now) : undefined) {
      const next = this.waiters.shift() as Waiter;
      if (now - connection.idleSince <= this.settings.idleCheckMillis) this.handOff(connection, next, now);
      else this.check(connection, next);
    }
    this.grow();
  }

  private armQueueTimer(deadline: number, delay: number): void {
    this.queueTimerAt = deadline;
    this.queueTimer = setTimeout(this.onQueueTimer, Math.max(1, Math.ceil(delay)));
  }

  /** Fails every waiter past its deadline (FIFO order is deadline order), then re-arms for the next one. */
  private readonly onQueueTimer = (): void => {
    this.queueTimer = undefined;
    const now = this.now();
    let head = this.waiters.peek();
    while (head !== undefined && head.deadline <= now) {
      const counts = { inUse: this.busy, idle: this.idleCount, connecting: this.connecting, waiting: this.waiters.length };
      this.waiters.shift();
      this.timeouts++;
      this.observer.onTimeout?.();
      head.reject(new PoolTimeoutError(this.shape, counts, this.failures > 0 ? this.currentConnectError : undefined));
      head = this.waiters.peek();
    }
    if (head !== undefined) this.armQueueTimer(head.deadline, head.deadline - now);
  };

  // Opening and closing connections.

  /** Opens what is missing: persistent connections first, then overflow for waiters no opening connection will serve. */
  private grow(): void {
    if (this.ending) return;
    if (this.failures > 0) {
      // While the server refuses, one attempt at a time, after the backoff delay.
      if (this.connecting > 0) return;
      const wait = this.retryAt - this.now();
      if (wait > 0) {
        this.retryTimer ??= setTimeout(this.onRetry, Math.ceil(wait));
        this.retryTimer.unref();
        return;
      }
    }
    for (const partition of this.partitions) {
      while (partition.persistentSlots < this.settings.poolSize) {
        this.open(partition, false);
        if (this.failures > 0) return;
      }
    }
    while (this.waiters.length > this.connecting && this.slotsUsed < this.maxSlots) {
      const partition = this.overflowPartition();
      if (partition === undefined) return;
      this.open(partition, true);
      if (this.failures > 0) return;
    }
  }

  private readonly onRetry = (): void => {
    this.retryTimer = undefined;
    this.grow();
  };

  /** Round-robin over the pools whose persistent connections are all open (and, with waiters queued, all busy) and that have overflow room. */
  private overflowPartition(): Partition | undefined {
    const count = this.partitions.length;
    for (let step = 0; step < count; step++) {
      const partition = this.partitions[(this.nextOverflow + step) % count] as Partition;
      if (partition.overflowSlots < this.settings.maxOverflow && partition.persistentOpen === this.settings.poolSize) {
        this.nextOverflow = (partition.index + 1) % count;
        return partition;
      }
    }
    return undefined;
  }

  private open(partition: Partition, overflow: boolean): void {
    const client = new this.Client(this.setup.config);
    const connection = new Connection(this, client, partition, overflow);
    connection.failureBurst = this.failures;
    if (overflow) partition.overflowSlots++;
    else partition.persistentSlots++;
    this.slotsUsed++;
    this.connecting++;
    this.connections.add(connection);
    if (this.timeQueries) instrumentQueries(connection, this.observer, this.now);
    connection.connectTimer = setTimeout(this.onConnectTimeout, this.settings.connectTimeoutMillis, connection);
    connection.connectTimer.unref();
    let attempt: Promise<unknown>;
    try {
      attempt = client.connect();
    } catch (error) {
      attempt = Promise.reject(error);
    }
    attempt.then(() => this.opened(connection), (error: unknown) => this.openFailed(connection, error));
  }

  private readonly onConnectTimeout = (connection: Connection): void => {
    connection.timedOut = true;
    destroyClient(connection.client);
  };

  private opened(connection: Connection): void {
    clearTimeout(connection.connectTimer);
    this.connecting--;
    const { partition } = connection;
    connection.state = 'busy';
    if (connection.overflow) this.overflowOpened++;
    else partition.persistentOpen++;
    if (this.ending) {
      this.retire(connection, 'shutdown');
      return;
    }
    if (this.failures > 0) {
      this.log.info({ target: this.target, failedAttempts: this.failures }, 'database connection restored');
      this.failures = 0;
      this.currentConnectError = undefined;
    }
    const now = this.now();
    if (this.settings.maxLifetimeMillis > 0) connection.expiresAt = now + this.settings.maxLifetimeMillis * (1 - LIFETIME_JITTER * Math.random());
    this.observer.onConnectionOpened?.(partition.index, connection.overflow);
    this.emit('connect', connection.client);
    if (!this.isReady && this.partitions.every((each) => each.persistentOpen >= this.settings.poolSize)) {
      this.isReady = true;
      this.log.info({ target: this.target, pools: this.settings.poolCount, poolSize: this.settings.poolSize }, 'database pool ready');
      this.resolveReady();
    }
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      this.handOff(connection, waiter, now);
    } else {
      connection.state = 'idle';
      connection.idleSince = now;
      (connection.overflow ? this.overflowIdle : this.persistentIdle).push(connection);
    }
    this.grow();
  }

  private openFailed(connection: Connection, error: unknown): void {
    clearTimeout(connection.connectTimer);
    this.connecting--;
    this.freeSlot(connection);
    destroyClient(connection.client);
    if (this.ending) {
      this.checkEmpty();
      return;
    }
    const connectError = toConnectError(error, {
      target: this.setup.target, ssl: this.settings.ssl, connectTimeoutMillis: this.settings.connectTimeoutMillis, timedOut: connection.timedOut,
    });
    this.currentConnectError = connectError;
    this.lastConnectError = connectError.message;
    this.observer.onConnectError?.(connectError);
    // Attempts started before the last recorded failure (e.g. every connection a restart broke,
    // reconnecting at once) fail as one burst: only the first of them moves the backoff on.
    if (connection.failureBurst !== this.failures) {
      this.log.debug({ target: this.target, code: connectError.code, failedAttempts: this.failures }, connectError.message);
      this.grow();
      return;
    }
    this.failures++;
    const delay = reconnectDelay(this.failures);
    this.retryAt = this.now() + delay;
    this.log.warn({ target: this.target, code: connectError.code, failedAttempts: this.failures, retryInMillis: Math.round(delay) }, connectError.message);
    this.grow();
  }

  /** Starts closing an open connection that is in no idle stack and not counted busy; its slot is freed once the socket closed. */
  private retire(connection: Connection, reason: CloseReason): void {
    connection.state = 'closing';
    connection.borrowed = false;
    connection.borrowStack = undefined;
    this.closing++;
    const { partition } = connection;
    if (!connection.overflow) partition.persistentOpen--;
    this.observer.onConnectionClosed?.(partition.index, connection.overflow, reason);
    this.log.debug({ target: this.target, poolIndex: partition.index, overflow: connection.overflow, reason }, 'database connection closed');
    this.emit('remove', connection.client);
    void closeClient(connection.client).then(() => {
      this.closing--;
      this.freeSlot(connection);
      if (this.ending) this.checkEmpty();
      else this.grow();
    });
  }

  private freeSlot(connection: Connection): void {
    connection.state = 'closed';
    if (connection.overflow) connection.partition.overflowSlots--;
    else connection.partition.persistentSlots--;
    this.slotsUsed--;
    this.connections.delete(connection);
  }

  private checkEmpty(): void {
    if (this.connections.size === 0) this.onEmpty?.();
  }

  private async drain(drainMillis: number): Promise<void> {
    if (this.busy > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, drainMillis);
        this.onDrained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.onDrained = undefined;
      if (this.busy > 0) this.log.warn({ target: this.target, inUse: this.busy, drainMillis }, 'connections still checked out after the drain time; closing them');
      for (const connection of this.connections) {
        if (connection.state !== 'busy') continue;
        this.busy--;
        cancelBackend(connection.client, this.setup.target.host, this.setup.target.port);
        this.retire(connection, 'shutdown');
      }
    }
    if (this.connections.size > 0) {
      await new Promise<void>((resolve) => {
        // Closing is bounded per connection; this bound only guards against a client whose connect() never settles.
        const timer = setTimeout(resolve, 2 * CLOSE_TIMEOUT_MILLIS + this.settings.connectTimeoutMillis);
        this.onEmpty = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.log.info({ target: this.target }, 'database pool ended');
  }

  /** Housekeeping: closes lingering idle overflow and expired idle connections, warns about connections held too long. */
  private readonly onTick = (): void => {
    const now = this.now();
    const retiring: [Connection, CloseReason][] = [];
    for (const connection of this.overflowIdle) {
      if (now - connection.idleSince >= this.settings.overflowIdleMillis) retiring.push([connection, 'overflow-idle']);
      else if (now >= connection.expiresAt) retiring.push([connection, 'max-lifetime']);
    }
    for (const connection of this.persistentIdle) if (now >= connection.expiresAt) retiring.push([connection, 'max-lifetime']);
    for (const [connection, reason] of retiring) {
      this.removeIdle(connection);
      this.retire(connection, reason);
    }
    const leakMillis = this.settings.leakWarningMillis;
    if (leakMillis === 0 || this.busy === 0) return;
    for (const connection of this.connections) {
      if (!connection.borrowed || connection.leakWarned || now - connection.checkedOutAt < leakMillis) continue;
      connection.leakWarned = true;
      const heldMillis = Math.round(now - connection.checkedOutAt);
      const stack = connection.borrowStack?.stack;
      let message = `database connection checked out ${heldMillis} ms ago and not released (POOL_LEAK_WARNING_MS=${leakMillis}): is a release() missing?`;
      if (stack === undefined) message += ' The stacks of connect() callers are recorded from now on, so the next warning shows where.';
      this.log.warn({ poolIndex: connection.partition.index, heldMillis, stack }, message);
      this.recordStacks = true;
    }
  };
}
