/**
 * The end of the pool's life, `end()`: checkouts asked for from then on are
 * refused, callers already queued and borrowers get up to the drain time, then
 * every connection is closed (a busy one with a cancel request for its query),
 * each step bounded. Owns the pool's phase (`ending`, `ended`), which the
 * checkout, the dispatch and the growth read.
 */
import type { IdleStacks } from './checkout-routing.js';
import type { ClientSetup } from './client-config.js';
import { CLOSE_TIMEOUT_MILLIS, destroyClient } from './close-client.js';
import type { ConnectionLifecycle } from './connection-lifecycle.js';
import { cancelBackend, type Connection } from './pool-connection.js';
import { PoolEndedError } from './pool-errors.js';
import type { CloseReason, PoolEnvironment } from './pool-types.js';
import type { SlotLedger } from './slot-ledger.js';
import type { WaiterQueue } from './waiter-queue.js';

/** The rejection of a caller still queued when the drain time ran out. */
export const ENDED_WHILE_WAITING =
  'the pool was ended (pool.end() was called) and its drain time ran out while this caller waited for a connection';

/** Where the pool is in its life, for the parts that behave differently once `end()` was called. */
export interface PoolPhase {
  /** `end()` was called: no new checkouts; connections are opened only for callers queued before. */
  readonly ending: boolean;
  /** `end()` finished: every connection is closed. */
  readonly ended: boolean;
}

/** What the drain works with. */
export interface DrainParts extends PoolEnvironment {
  /** Where cancel requests go. */
  readonly setup: ClientSetup;
  readonly ledger: SlotLedger;
  readonly idle: IdleStacks;
  readonly waiters: WaiterQueue;
  readonly lifecycle: ConnectionLifecycle;
}

/** The pool's phase and its bounded drain. */
export class PoolDrain implements PoolPhase {
  ending = false;
  ended = false;
  private done: Promise<void> | undefined = undefined;
  /** Set while the drain waits for borrowers and queued callers. */
  private onSettled: (() => void) | undefined = undefined;
  /** Set while the final stage waits for the last socket to close. */
  private onEmpty: (() => void) | undefined = undefined;

  constructor(private readonly parts: DrainParts) {}

  /** Starts the drain (once: later calls return the same promise). Never rejects. */
  end(drainMillis: number): Promise<void> {
    this.done ??= this.run(drainMillis);
    return this.done;
  }

  /** Wakes the drain once nothing is checked out and nobody waits; the dispatch calls it when that may be so. */
  settleCheck(): void {
    if (this.onSettled === undefined) return; // the hot path: not draining
    if (this.parts.ledger.busy === 0 && this.parts.waiters.length === 0) this.onSettled();
  }

  /** Wakes the final stage once the last connection's socket has closed. */
  checkEmpty(): void {
    if (this.parts.lifecycle.connections.size === 0) this.onEmpty?.();
  }

  /** Serves the queue for up to `drainMillis`, then closes everything. */
  private async run(drainMillis: number): Promise<void> {
    this.ending = true;
    const { settings, setup, ledger, idle, waiters, lifecycle, log, target } = this.parts;
    if (waiters.length === 0) for (const connection of idle.takeAll()) this.retire(connection, 'shutdown');
    this.destroySpareConnecting();
    if (ledger.busy > 0 || waiters.length > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, drainMillis);
        this.onSettled = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.onSettled = undefined;
    }
    waiters.clear((waiter) => waiter.reject(new PoolEndedError(ENDED_WHILE_WAITING)));
    if (ledger.busy > 0) {
      log.warn(
        { target, inUse: ledger.busy, drainMillis },
        'connections still checked out after the drain time; closing them',
      );
    }
    lifecycle.closingDown = true;
    for (const connection of [...lifecycle.connections]) {
      if (connection.state === 'busy') {
        cancelBackend(connection.client, setup.target.host, setup.target.port);
        this.retire(connection, 'shutdown');
      } else if (connection.state === 'connecting') destroyClient(connection.client);
    }
    for (const connection of idle.takeAll()) this.retire(connection, 'shutdown');
    if (lifecycle.connections.size > 0) {
      await new Promise<void>((resolve) => {
        // Closing is bounded per connection; this bound only guards against a client whose connect() never settles.
        const timer = setTimeout(resolve, 2 * CLOSE_TIMEOUT_MILLIS + settings.connectTimeoutMillis);
        this.onEmpty = () => {
          clearTimeout(timer);
          resolve();
        };
        this.checkEmpty();
      });
    }
    this.ended = true;
    log.info({ target }, 'database pool ended');
  }

  private retire(connection: Connection, reason: CloseReason): void {
    this.parts.lifecycle.retire(connection, reason);
    this.settleCheck();
  }

  /** Connection attempts beyond what the queued callers need are abandoned. */
  private destroySpareConnecting(): void {
    const { ledger, waiters, lifecycle } = this.parts;
    let spare = ledger.connecting - waiters.length;
    for (const connection of lifecycle.connections) {
      if (spare <= 0) return;
      if (connection.state !== 'connecting') continue;
      destroyClient(connection.client);
      spare--;
    }
  }
}
