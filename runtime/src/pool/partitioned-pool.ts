/**
 * The pool: POOL_COUNT partitions of POOL_SIZE persistent `pg.Client`s, opened
 * at start and kept, plus MAX_OVERFLOW temporary connections per partition,
 * behind pg.Pool's surface (promises and callbacks, events, counts, `ready`).
 * This file is that surface and the wiring; each concept lives in its own file:
 *
 * - `SlotLedger` (slot-ledger.ts): every count, and their invariants;
 * - `Checkout` (checkout.ts): a caller gets an idle connection, checked if idle
 *   long, or queues in the `WaiterQueue` (waiter-queue.ts) until POOL_TIMEOUT;
 * - `ConnectionDispatch` (connection-dispatch.ts): handing a connection over,
 *   taking it back, and where it goes next (waiter, `IdleStacks`, retired);
 * - `PoolGrowth` (pool-growth.ts): what to open next, and in which partition;
 * - `ConnectionLifecycle` (connection-lifecycle.ts): opening and closing, with
 *   `ConnectBackoff` (connect-backoff.ts) while connects fail;
 * - `Housekeeping` (housekeeping.ts): linger, lifetime and leak warnings;
 * - `PoolDrain` (pool-drain.ts): `end()` and the pool's phase;
 * - `ListenerAwareEmitter` (listener-aware-emitter.ts): pg.Pool's events, with
 *   `acquire` and `release` emitted only while someone listens.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { describeTarget, type Settings } from '../contract/index.js';
import { Checkout } from './checkout.js';
import { IdleStacks } from './checkout-routing.js';
import { clientSetup, withClientOptions, type ClientSetup } from './client-config.js';
import type { ConnectBackoff } from './connect-backoff.js';
import { ConnectionDispatch } from './connection-dispatch.js';
import { ConnectionLifecycle, type LifecycleEvents } from './connection-lifecycle.js';
import { Housekeeping } from './housekeeping.js';
import { ListenerAwareEmitter } from './listener-aware-emitter.js';
import type { Connection } from './pool-connection.js';
import { PoolDrain } from './pool-drain.js';
import { PoolEndedError } from './pool-errors.js';
import { PoolGrowth } from './pool-growth.js';
import { snapshotOf } from './pool-snapshot.js';
import type {
  ClientAtsPool,
  ConnectCallback,
  EndOptions,
  Logger,
  PoolEnvironment,
  PoolOptions,
  PoolSnapshot,
  PooledClient,
  QueryCallback,
} from './pool-types.js';
import { SlotLedger } from './slot-ledger.js';
import { WaiterQueue } from './waiter-queue.js';

const SILENT_LOGGER: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const NO_RELEASE = (): void => undefined;

/** The pool behind `createPool` and `Pool`. */
export class PartitionedPool extends ListenerAwareEmitter implements ClientAtsPool, LifecycleEvents {
  readonly ready: Promise<void>;
  readonly clientConfig: Readonly<pg.ClientConfig>;
  /** Every count the pool keeps, and their invariants. */
  readonly ledger: SlotLedger;
  private readonly settings: Settings;
  private readonly target: string;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly idle = new IdleStacks();
  private readonly waiters: WaiterQueue;
  private readonly lifecycle: ConnectionLifecycle;
  private readonly drain: PoolDrain;
  private readonly growth: PoolGrowth;
  private readonly dispatch: ConnectionDispatch;
  private readonly checkout: Checkout;
  private readonly housekeeping: Housekeeping;
  private isReady = false;
  private resolveReady!: () => void;
  private rejectReady!: (error: Error) => void;

  /** @param given the client configuration, when it does not come from the settings (the `Pool` constructor). */
  constructor(settings: Settings, options: PoolOptions = {}, given?: ClientSetup) {
    super();
    const setup = withClientOptions(
      given ?? clientSetup(settings, options.applicationName),
      options.clientConfig,
    );
    const target = describeTarget(setup.target);
    const now = options.now ?? performance.now.bind(performance);
    const log = options.logger ?? SILENT_LOGGER;
    const observer = options.observer ?? {};
    const { idle } = this;
    const env: PoolEnvironment = { settings, target, now, log, observer };
    this.settings = settings;
    this.clientConfig = setup.config;
    this.target = target;
    this.now = now;
    this.log = log;
    const ledger = (this.ledger = new SlotLedger(
      settings.poolCount,
      settings.poolSize,
      settings.maxOverflow,
    ));
    const waiters = (this.waiters = new WaiterQueue(now, (at) => this.checkout.expireWaiters(at)));
    const Client = options.Client ?? pg.Client;
    const lifecycleContext = { ...env, setup, Client, ledger, onConnect: options.onConnect };
    const lifecycle = new ConnectionLifecycle(lifecycleContext, this, () => this.growth.grow());
    const drain = new PoolDrain({ ...env, setup, ledger, idle, waiters, lifecycle });
    const growth = new PoolGrowth(ledger, waiters, lifecycle, drain);
    const maxUses = options.maxUses ?? 0;
    const allowExitOnIdle = options.allowExitOnIdle ?? false;
    const dispatchParts = { ...env, ledger, idle, waiters, lifecycle, drain, maxUses, allowExitOnIdle };
    const dispatch = new ConnectionDispatch({ ...dispatchParts, events: this });
    lifecycle.owner = dispatch;
    const backoff = lifecycle.backoff;
    this.checkout = new Checkout({ ...env, ledger, waiters, dispatch, growth, backoff, drain });
    this.lifecycle = lifecycle;
    this.drain = drain;
    this.growth = growth;
    this.dispatch = dispatch;
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Nobody has to await `ready`: ending the pool before it is ready must not be an unhandled rejection.
    this.ready.catch(() => undefined);
    for (const warning of setup.warnings) log.warn({ target }, warning);
    const retire = dispatch.retire.bind(dispatch);
    this.housekeeping = new Housekeeping({
      ...env,
      idle,
      ledger,
      connections: lifecycle.connections,
      retire,
    });
    growth.grow();
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
    for (const connection of this.lifecycle.connections)
      if (connection.state === 'busy' && now >= connection.expiresAt) expired++;
    return expired;
  }

  get ending(): boolean {
    return this.drain.ending;
  }

  get ended(): boolean {
    return this.drain.ended;
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
    const result = this.checkout.request<pg.QueryResult>('query', text, values);
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
    const stack = this.housekeeping.recordStacks ? new Error('connection checked out here') : undefined;
    const result = this.checkout.request<PooledClient>('connect', undefined, undefined, stack);
    if (callback === undefined) return result;
    result.then(
      (client) => process.nextTick(callback, undefined, client, client.release),
      (error: Error) => process.nextTick(callback, error, undefined, NO_RELEASE),
    );
    return undefined;
  }

  /** Stops the background work (housekeeping, reconnects), fails `ready` if it is pending, and drains. */
  end(options: EndOptions | (() => void) = {}): Promise<void> {
    if (typeof options === 'function') {
      const ended = this.end();
      void ended.then(() => process.nextTick(options));
      return ended;
    }
    if (!this.drain.ending) {
      this.housekeeping.stop();
      this.backoff.stop();
      if (!this.isReady)
        this.rejectReady(
          new PoolEndedError('the pool was ended (pool.end() was called) before it was ready'),
        );
    }
    return this.drain.end(options.drainMillis ?? this.settings.shutdownDrainMillis);
  }

  snapshot(): PoolSnapshot {
    return snapshotOf({
      settings: this.settings,
      maxConnections: this.ledger.bound,
      partitions: this.ledger.partitions,
      connections: this.lifecycle.connections,
      waiting: this.waiters.length,
      totals: this.ledger.totals,
      backoff: this.backoff,
      ending: this.ending,
    });
  }

  /** Every broken count invariant (empty when all hold); for tests. */
  invariantViolations(): string[] {
    const problems = this.ledger.invariantViolations(this.lifecycle.connections);
    if (this.idle.length !== this.ledger.idle)
      problems.push(`idle stacks hold ${this.idle.length}, counted ${this.ledger.idle}`);
    return problems;
  }

  private get backoff(): ConnectBackoff {
    return this.lifecycle.backoff;
  }

  // LifecycleEvents: the lifecycle calls back into the pool.

  /** A connection opened: the pool may now be ready; the connection goes to a waiter or idle. */
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
    this.dispatch.placeOpened(connection, now);
    this.growth.grow();
  }

  /** A slot came free: refill it, or, in the drain's last stage, see whether every socket is closed. */
  slotFreed(): void {
    if (this.lifecycle.closingDown) this.drain.checkEmpty();
    else this.growth.grow();
  }
}
