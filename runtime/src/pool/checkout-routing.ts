/**
 * The routing decisions: which idle connection a caller gets (persistent
 * before overflow, most recently used first, so idle overflow can age out) and
 * which pool opens the next overflow connection (round-robin over the pools
 * whose persistent connections are all open). Checkout is work-conserving: any
 * pool's idle connection serves any caller.
 */
import type { Connection, Partition } from './pool-connection.js';

/** Idle connections as two stacks: persistent ones are reused first. */
export class IdleStacks {
  private readonly persistent: Connection[] = [];
  private readonly overflow: Connection[] = [];

  get length(): number {
    return this.persistent.length + this.overflow.length;
  }

  push(connection: Connection): void {
    (connection.overflow ? this.overflow : this.persistent).push(connection);
  }

  /** The most recently used idle connection, persistent first; `undefined` when none. */
  pop(): Connection | undefined {
    return this.persistent.pop() ?? this.overflow.pop();
  }

  /** Takes a given connection out (it failed, expired or lingered too long). */
  remove(connection: Connection): void {
    const stack = connection.overflow ? this.overflow : this.persistent;
    const index = stack.indexOf(connection);
    if (index !== -1) stack.splice(index, 1);
  }

  /** Empties both stacks and returns what they held. */
  takeAll(): Connection[] {
    const all = [...this.persistent, ...this.overflow];
    this.persistent.length = 0;
    this.overflow.length = 0;
    return all;
  }

  /** Idle overflow connections, oldest first. */
  overflowConnections(): readonly Connection[] {
    return this.overflow;
  }

  /** Idle persistent connections, oldest first. */
  persistentConnections(): readonly Connection[] {
    return this.persistent;
  }
}

/** Round-robin choice of the pool that opens the next overflow connection. */
export class OverflowRouter {
  private next = 0;

  constructor(
    private readonly partitions: readonly Partition[],
    private readonly poolSize: number,
    private readonly maxOverflow: number,
  ) {}

  /** A pool whose persistent connections are all open and that has overflow room, or `undefined`. */
  choose(): Partition | undefined {
    const count = this.partitions.length;
    for (let step = 0; step < count; step++) {
      const partition = this.partitions[(this.next + step) % count] as Partition;
      if (partition.overflowSlots < this.maxOverflow && partition.persistentOpen === this.poolSize) {
        this.next = (partition.index + 1) % count;
        return partition;
      }
    }
    return undefined;
  }
}
