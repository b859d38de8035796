/**
 * The pool's periodic work, on one unref'd timer: idle overflow connections
 * that lingered past POOL_OVERFLOW_IDLE_MS and idle connections past their
 * lifetime are closed; a borrower holding a connection past
 * POOL_LEAK_WARNING_MS is reported once (and from then on `connect()`
 * records its callers' stacks).
 */
import type { Settings } from '../contract/index.js';
import type { IdleStacks } from './checkout-routing.js';
import type { Connection } from './pool-connection.js';
import type { CloseReason, PoolEnvironment } from './pool-types.js';
import type { SlotLedger } from './slot-ledger.js';

/**
 * Up to this fraction of POOL_MAX_LIFETIME_MS is taken off each connection's lifetime, so they do not all
 * expire together.
 */
export const LIFETIME_JITTER = 0.025;

type TimingSettings = Pick<
  Settings,
  'maxOverflow' | 'overflowIdleMillis' | 'leakWarningMillis' | 'maxLifetimeMillis'
>;

/** Period of the housekeeping timer: fine enough for the shortest of overflow linger, lifetime and leak warning. */
export function housekeepingMillis(settings: TimingSettings): number {
  const candidates = [1_000];
  if (settings.maxOverflow > 0 && settings.overflowIdleMillis > 0)
    candidates.push(settings.overflowIdleMillis / 2);
  if (settings.leakWarningMillis > 0) candidates.push(settings.leakWarningMillis / 2);
  if (settings.maxLifetimeMillis > 0) candidates.push(settings.maxLifetimeMillis * LIFETIME_JITTER);
  return Math.max(10, Math.round(Math.min(...candidates)));
}

/** When a connection opened `now` expires (jittered), or never when POOL_MAX_LIFETIME_MS is 0. */
export function expiryOf(now: number, maxLifetimeMillis: number, random: number = Math.random()): number {
  if (maxLifetimeMillis <= 0) return Number.POSITIVE_INFINITY;
  return now + maxLifetimeMillis * (1 - LIFETIME_JITTER * random);
}

/** Idle connections to close now, and why: overflow that lingered, or any past its lifetime. */
export function idleToClose(
  idle: IdleStacks,
  now: number,
  overflowIdleMillis: number,
): [Connection, CloseReason][] {
  const closing: [Connection, CloseReason][] = [];
  for (const connection of idle.overflowConnections()) {
    if (now - connection.idleSince >= overflowIdleMillis) closing.push([connection, 'overflow-idle']);
    else if (now >= connection.expiresAt) closing.push([connection, 'max-lifetime']);
  }
  for (const connection of idle.persistentConnections()) {
    if (now >= connection.expiresAt) closing.push([connection, 'max-lifetime']);
  }
  return closing;
}

/** A borrower held a connection too long. */
export interface LeakReport {
  readonly connection: Connection;
  readonly heldMillis: number;
  readonly message: string;
}

/** Borrowed connections held at least `leakMillis` and not yet reported; marks them reported. */
export function findLeaks(connections: Iterable<Connection>, now: number, leakMillis: number): LeakReport[] {
  const reports: LeakReport[] = [];
  for (const connection of connections) {
    if (!connection.borrowed || connection.leakWarned || now - connection.checkedOutAt < leakMillis) continue;
    connection.leakWarned = true;
    const heldMillis = Math.round(now - connection.checkedOutAt);
    let message =
      `database connection checked out ${heldMillis} ms ago and not released ` +
      `(POOL_LEAK_WARNING_MS=${leakMillis}): is a release() missing?`;
    if (connection.borrowStack === undefined) {
      message +=
        ' The stacks of connect() callers are recorded from now on, so the next warning shows where.';
    }
    reports.push({ connection, heldMillis, message });
  }
  return reports;
}

/** What the housekeeping timer works with. */
export interface HousekeepingParts extends PoolEnvironment {
  readonly idle: IdleStacks;
  readonly ledger: SlotLedger;
  /** Every connection of the pool (the lifecycle's set). */
  readonly connections: Iterable<Connection>;
  /** Starts closing a connection taken out of the idle stacks. */
  retire(connection: Connection, reason: CloseReason): void;
}

/** The housekeeping timer of one pool, started at once. */
export class Housekeeping {
  /** Borrowers' stacks cost a few µs per connect(): `connect()` records them only once a leak has been seen. */
  recordStacks = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly parts: HousekeepingParts) {
    this.timer = setInterval(this.tick, housekeepingMillis(parts.settings));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Closes lingering idle overflow and expired idle connections; warns about connections held too long. */
  private readonly tick = (): void => {
    const { settings, idle, ledger, log } = this.parts;
    const now = this.parts.now();
    for (const [connection, reason] of idleToClose(idle, now, settings.overflowIdleMillis)) {
      idle.remove(connection);
      this.parts.retire(connection, reason);
    }
    const leakMillis = settings.leakWarningMillis;
    if (leakMillis === 0 || ledger.busy === 0) return;
    for (const { connection, heldMillis, message } of findLeaks(this.parts.connections, now, leakMillis)) {
      log.warn(
        { poolIndex: connection.partition.index, heldMillis, stack: connection.borrowStack?.stack },
        message,
      );
      this.recordStacks = true;
    }
  };
}
