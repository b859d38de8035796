/**
 * Opening and closing connections: a slot is taken before the attempt and
 * given back only once the socket has closed, each attempt is cut off after
 * POOL_CONNECT_TIMEOUT_MS, `onConnect` runs before first use, failures go to
 * the backoff, and closing never hangs. What to do with an opened connection
 * and a freed slot is the pool's decision (`LifecycleEvents`).
 */
import type pg from 'pg';
import type { ClientSetup } from './client-config.js';
import { ConnectBackoff } from './connect-backoff.js';
import { expiryOf } from './housekeeping.js';
import { closeClient, destroyClient } from './close-client.js';
import { Connection, type ConnectionOwner, type Partition } from './pool-connection.js';
import { toConnectError } from './pool-errors.js';
import { instrumentQueries } from './pool-snapshot.js';
import type { CloseReason, PoolEnvironment, PoolOptions } from './pool-types.js';
import type { SlotLedger } from './slot-ledger.js';

/** What the lifecycle tells the pool. */
export interface LifecycleEvents {
  /** A connection is open (state `busy`, counted): hand it to a waiter, make it idle or close it. */
  connectionOpened(connection: Connection, now: number): void;
  /** A slot came free (a failed attempt, a closed socket). */
  slotFreed(): void;
  emit(event: 'connect' | 'remove', client: pg.Client): boolean;
}

/** What the lifecycle works with. */
export interface LifecycleContext extends PoolEnvironment {
  readonly setup: ClientSetup;
  readonly Client: typeof pg.Client;
  readonly ledger: SlotLedger;
  readonly onConnect: PoolOptions['onConnect'];
}

/** Connects a client whether its `connect()` returns a promise or takes a callback (custom `Client` classes). */
function connectClient(client: pg.Client): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const done = (error?: Error | null): void => {
      if (settled) return;
      settled = true;
      if (error !== null && error !== undefined) reject(error);
      else resolve();
    };
    const connect = client.connect as unknown as (callback: (error?: Error | null) => void) => unknown;
    const outcome = connect.call(client, done);
    if (typeof (outcome as PromiseLike<unknown> | undefined)?.then === 'function') {
      (outcome as PromiseLike<unknown>).then(
        () => done(),
        (error: unknown) => done(error as Error),
      );
    } else if (connect.length === 0) {
      done(); // neither a promise nor a callback: connected synchronously
    }
  });
}

/** Every connection of one pool, from the first connect attempt to the closed socket. */
export class ConnectionLifecycle {
  readonly connections = new Set<Connection>();
  readonly backoff: ConnectBackoff;
  /** Set by the final stage of `end()`: failures are no longer reported, slots no longer refilled. */
  closingDown = false;
  /** Receives every connection's callbacks (query done, release, error); set by the pool before the first `open()`. */
  owner: ConnectionOwner | undefined = undefined;
  private readonly timeQueries: boolean;

  constructor(
    private readonly context: LifecycleContext,
    private readonly events: LifecycleEvents,
    retry: () => void,
  ) {
    this.backoff = new ConnectBackoff(context.now, retry);
    this.timeQueries = context.observer.onQuery !== undefined;
  }

  /** Takes a slot in `partition` and starts connecting. */
  open(partition: Partition, overflow: boolean): void {
    const { context } = this;
    const client = new context.Client(context.setup.config);
    const connection = new Connection(this.owner as ConnectionOwner, client, partition, overflow);
    connection.failureBurst = this.backoff.failures;
    context.ledger.reserve(connection);
    this.connections.add(connection);
    if (this.timeQueries) instrumentQueries(connection, context.observer, context.now);
    connection.connectTimer = setTimeout(
      this.onConnectTimeout,
      context.settings.connectTimeoutMillis,
      connection,
    );
    connection.connectTimer.unref();
    const onConnect = context.onConnect;
    const attempt = connectClient(client);
    const prepared = onConnect === undefined ? attempt : attempt.then(() => onConnect(client));
    prepared.then(
      () => this.opened(connection),
      (error: unknown) => this.openFailed(connection, error),
    );
  }

  /** Starts closing an open connection (in no idle stack, not handed out); its slot is freed once the socket closed. */
  retire(connection: Connection, reason: CloseReason): void {
    const { ledger, observer, log, target } = this.context;
    connection.borrowed = false;
    connection.borrowStack = undefined;
    ledger.move(connection, 'closing');
    const { partition, overflow } = connection;
    observer.onConnectionClosed?.(partition.index, overflow, reason);
    log.debug({ target, poolIndex: partition.index, overflow, reason }, 'database connection closed');
    this.events.emit('remove', connection.client);
    void closeClient(connection.client).then(() => {
      ledger.free(connection);
      this.connections.delete(connection);
      this.events.slotFreed();
    });
  }

  private readonly onConnectTimeout = (connection: Connection): void => {
    connection.timedOut = true;
    destroyClient(connection.client);
  };

  private opened(connection: Connection): void {
    const { ledger, log, target, observer, settings } = this.context;
    clearTimeout(connection.connectTimer);
    ledger.move(connection, 'busy');
    if (connection.overflow) ledger.countOverflowOpened();
    const failures = this.backoff.succeeded();
    if (failures > 0) log.info({ target, failedAttempts: failures }, 'database connection restored');
    const now = this.context.now();
    connection.expiresAt = expiryOf(now, settings.maxLifetimeMillis);
    observer.onConnectionOpened?.(connection.partition.index, connection.overflow);
    this.events.emit('connect', connection.client);
    this.events.connectionOpened(connection, now);
  }

  private openFailed(connection: Connection, error: unknown): void {
    const { ledger, log, target, observer, settings, setup } = this.context;
    clearTimeout(connection.connectTimer);
    ledger.free(connection);
    this.connections.delete(connection);
    destroyClient(connection.client);
    if (!this.closingDown) {
      const { connectTimeoutMillis, ssl } = settings;
      const connectError = toConnectError(error, {
        target: setup.target,
        ssl,
        connectTimeoutMillis,
        timedOut: connection.timedOut,
      });
      observer.onConnectError?.(connectError);
      const delay = this.backoff.failed(connectError, connection.failureBurst);
      const fields = { target, code: connectError.code, failedAttempts: this.backoff.failures };
      if (delay === undefined) log.debug(fields, connectError.message);
      else log.warn({ ...fields, retryInMillis: Math.round(delay) }, connectError.message);
    }
    this.events.slotFreed();
  }
}
