/**
 * What the pool opens next, and where: every partition's POOL_SIZE persistent
 * connections first, then overflow for waiters that no opening connection will
 * serve (the partition chosen by `OverflowRouter`). While ending, connections
 * are opened only for queued callers, after the end none; while connects fail,
 * one attempt at a time, paced by the reconnect backoff.
 */
import { OverflowRouter } from './checkout-routing.js';
import type { ConnectionLifecycle } from './connection-lifecycle.js';
import type { Partition } from './pool-connection.js';
import type { PoolPhase } from './pool-drain.js';
import type { SlotLedger } from './slot-ledger.js';
import type { WaiterQueue } from './waiter-queue.js';

/** The pool's growth decision. */
export class PoolGrowth {
  private readonly router: OverflowRouter;

  constructor(
    private readonly ledger: SlotLedger,
    private readonly waiters: WaiterQueue,
    private readonly lifecycle: ConnectionLifecycle,
    private readonly phase: PoolPhase,
  ) {
    this.router = new OverflowRouter(ledger.partitions, ledger.poolSize, ledger.maxOverflow);
  }

  /** Opens what is missing now (called whenever a slot came free, a caller queued or the backoff elapsed). */
  grow(): void {
    const { ledger, lifecycle, phase } = this;
    if (phase.ended || !lifecycle.backoff.mayAttempt(ledger.connecting)) return;
    const failing = lifecycle.backoff.failing;
    if (!phase.ending) {
      for (const partition of ledger.partitions) {
        while (ledger.hasRoom(partition, false)) {
          lifecycle.open(partition, false);
          if (failing) return;
        }
      }
    }
    while (this.waiters.length > ledger.connecting && ledger.used < ledger.bound) {
      const partition = phase.ending ? this.partitionWithRoom() : this.router.choose();
      if (partition === undefined) return;
      lifecycle.open(partition, !ledger.hasRoom(partition, false));
      if (failing) return;
    }
  }

  private partitionWithRoom(): Partition | undefined {
    const { ledger } = this;
    return ledger.partitions.find((each) => ledger.hasRoom(each, false) || ledger.hasRoom(each, true));
  }
}
