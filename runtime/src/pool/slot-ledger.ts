/**
 * The pool's counts, owned by one object. Every connection holds a slot from
 * the moment it starts opening until its socket has closed; the ledger moves
 * it between states and keeps, per partition and in total, how many slots are
 * connecting, idle, busy and closing. Nothing else in the pool does `++`/`--`:
 * partitions are read-only outside the ledger, and the cumulative totals grow
 * only through its `count…` methods.
 *
 * Invariant (checked by `invariantViolations`, asserted in the tests after
 * every step of randomized sequences): per partition and in total,
 * `connecting + idle + busy + closing = slots used ≤ the partition's bound`,
 * and every count equals the number of connections in that state.
 */
import type { Connection, ConnectionState, Partition } from './pool-connection.js';

/** A partition as the ledger, its only writer, sees it. */
type CountedPartition = { -readonly [Count in keyof Partition]: Partition[Count] };

/** Cumulative totals since start (they only grow). */
export interface PoolTotals {
  checkouts: number;
  timeouts: number;
  overflowOpened: number;
  connectionErrors: number;
}

/** Slot and state counts of the pool's partitions. */
export class SlotLedger {
  readonly partitions: readonly Partition[];
  private readonly counted: PoolTotals = {
    checkouts: 0,
    timeouts: 0,
    overflowOpened: 0,
    connectionErrors: 0,
  };
  private counts = { connecting: 0, idle: 0, busy: 0, closing: 0 };

  constructor(
    partitionCount: number,
    readonly poolSize: number,
    readonly maxOverflow: number,
  ) {
    const partitions: Partition[] = [];
    for (let index = 0; index < partitionCount; index++) {
      partitions.push({ index, persistentSlots: 0, overflowSlots: 0, persistentOpen: 0, idle: 0, busy: 0 });
    }
    this.partitions = partitions;
  }

  /** Cumulative totals since start, read-only: the `count…` methods below are the only writers. */
  get totals(): Readonly<PoolTotals> {
    return this.counted;
  }

  /** A caller got a connection. */
  countCheckout(): void {
    this.counted.checkouts++;
  }

  /** A caller gave up waiting (POOL_TIMEOUT). */
  countTimeout(): void {
    this.counted.timeouts++;
  }

  /** An overflow connection was opened. */
  countOverflowOpened(): void {
    this.counted.overflowOpened++;
  }

  /** A connection failed (connect error, or an error on an open client). */
  countConnectionError(): void {
    this.counted.connectionErrors++;
  }

  get connecting(): number {
    return this.counts.connecting;
  }

  get idle(): number {
    return this.counts.idle;
  }

  get busy(): number {
    return this.counts.busy;
  }

  get closing(): number {
    return this.counts.closing;
  }

  /** Slots held: connecting, open and closing connections. */
  get used(): number {
    return this.counts.connecting + this.counts.idle + this.counts.busy + this.counts.closing;
  }

  /** The most slots the pool may hold: POOL_COUNT × (POOL_SIZE + MAX_OVERFLOW). */
  get bound(): number {
    return this.partitions.length * (this.poolSize + this.maxOverflow);
  }

  /** True when the partition may open one more connection of that kind. */
  hasRoom(partition: Partition, overflow: boolean): boolean {
    return overflow ? partition.overflowSlots < this.maxOverflow : partition.persistentSlots < this.poolSize;
  }

  /** Takes a slot for a connection that starts opening (state `connecting`). */
  reserve(connection: Connection): void {
    const partition = connection.partition as CountedPartition;
    if (connection.overflow) partition.overflowSlots++;
    else partition.persistentSlots++;
    connection.state = 'connecting';
    this.counts.connecting++;
  }

  /** Moves a connection to another state, keeping every count in step. */
  move(connection: Connection, to: ConnectionState): void {
    const from = connection.state;
    if (from === to) return;
    this.count(connection, from, -1);
    this.count(connection, to, 1);
    connection.state = to;
  }

  /** Gives the slot back: the connection failed to open, or its socket closed. */
  free(connection: Connection): void {
    this.move(connection, 'closed');
    const partition = connection.partition as CountedPartition;
    if (connection.overflow) partition.overflowSlots--;
    else partition.persistentSlots--;
  }

  private count(connection: Connection, state: ConnectionState, delta: number): void {
    const partition = connection.partition as CountedPartition;
    switch (state) {
      case 'idle':
        this.counts.idle += delta;
        partition.idle += delta;
        break;
      case 'busy':
        this.counts.busy += delta;
        partition.busy += delta;
        break;
      case 'connecting':
        this.counts.connecting += delta;
        return;
      case 'closing':
        this.counts.closing += delta;
        return;
      case 'closed':
        return;
    }
    if (!connection.overflow) partition.persistentOpen += delta;
  }

  /** Every broken invariant, described; empty when the counts agree with `connections`. */
  invariantViolations(connections: Iterable<Connection>): string[] {
    const problems: string[] = [];
    const seen = { connecting: 0, idle: 0, busy: 0, closing: 0, closed: 0 };
    const perPartition = this.partitions.map(() => ({
      persistent: 0,
      overflow: 0,
      persistentOpen: 0,
      idle: 0,
      busy: 0,
    }));
    for (const connection of connections) {
      seen[connection.state]++;
      const mine = perPartition[connection.partition.index];
      if (mine === undefined) continue;
      if (connection.state === 'closed') continue;
      if (connection.overflow) mine.overflow++;
      else mine.persistent++;
      if (connection.state === 'idle') mine.idle++;
      if (connection.state === 'busy') mine.busy++;
      if (!connection.overflow && (connection.state === 'idle' || connection.state === 'busy'))
        mine.persistentOpen++;
    }
    for (const state of ['connecting', 'idle', 'busy', 'closing'] as const) {
      if (seen[state] !== this.counts[state])
        problems.push(`${state}: counted ${this.counts[state]}, found ${seen[state]}`);
    }
    if (seen.closed > 0) problems.push(`${seen.closed} closed connections are still tracked`);
    let slots = 0;
    for (const partition of this.partitions) {
      const found = perPartition[partition.index] as (typeof perPartition)[number];
      const label = `pool ${partition.index}`;
      slots += partition.persistentSlots + partition.overflowSlots;
      if (found.persistent !== partition.persistentSlots)
        problems.push(
          `${label} persistent slots: counted ${partition.persistentSlots}, found ${found.persistent}`,
        );
      if (found.overflow !== partition.overflowSlots)
        problems.push(`${label} overflow slots: counted ${partition.overflowSlots}, found ${found.overflow}`);
      if (found.persistentOpen !== partition.persistentOpen)
        problems.push(
          `${label} persistent open: counted ${partition.persistentOpen}, found ${found.persistentOpen}`,
        );
      if (found.idle !== partition.idle)
        problems.push(`${label} idle: counted ${partition.idle}, found ${found.idle}`);
      if (found.busy !== partition.busy)
        problems.push(`${label} busy: counted ${partition.busy}, found ${found.busy}`);
      if (partition.persistentSlots > this.poolSize)
        problems.push(
          `${label} holds ${partition.persistentSlots} persistent slots, POOL_SIZE=${this.poolSize}`,
        );
      if (partition.overflowSlots > this.maxOverflow)
        problems.push(
          `${label} holds ${partition.overflowSlots} overflow slots, MAX_OVERFLOW=${this.maxOverflow}`,
        );
    }
    if (slots !== this.used)
      problems.push(`busy + idle + connecting + closing = ${this.used}, but ${slots} slots are used`);
    return problems;
  }
}
