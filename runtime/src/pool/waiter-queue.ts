/**
 * Callers waiting for a connection: a FIFO (first come, first served) with one
 * timer armed for the oldest deadline. FIFO order is deadline order, because
 * every waiter gets the same POOL_TIMEOUT; a waiter put back at the head keeps
 * its own deadline and re-arms the timer if it is earlier.
 */
import { RingQueue } from './ring-queue.js';

/** Longest delay `setTimeout` accepts (2^31 − 1 ms); a longer one fires after 1 ms with a TimeoutOverflowWarning. */
export const MAX_TIMER_MILLIS = 2_147_483_647;

/** A caller queued for a connection. */
export interface Waiter {
  /** `query`: run `text`/`values` on the connection and settle with the result; `connect`: hand over the client. */
  readonly kind: 'query' | 'connect';
  readonly text: unknown;
  readonly values: unknown;
  readonly resolve: (value: never) => void;
  readonly reject: (error: Error) => void;
  /** Clock reading when the caller arrived. */
  readonly enqueuedAt: number;
  /** Clock reading after which the caller gets `PoolTimeoutError`. */
  readonly deadline: number;
  /** Where `connect()` was called, for leak warnings (recorded only after a first leak). */
  readonly borrowStack: Error | undefined;
}

/** The delay to arm a timer with for `millis`: whole, at least 1, never above `MAX_TIMER_MILLIS`. */
export function timerDelay(millis: number): number {
  return Math.min(MAX_TIMER_MILLIS, Math.max(1, Math.ceil(millis)));
}

/** The waiters and their deadline timer. `onExpired` is called with the clock reading when the oldest may be due. */
export class WaiterQueue {
  private readonly queue = new RingQueue<Waiter>();
  private timer: NodeJS.Timeout | undefined = undefined;
  private timerAt = 0;

  constructor(
    private readonly now: () => number,
    private readonly onDue: (now: number) => void,
  ) {}

  get length(): number {
    return this.queue.length;
  }

  /** The oldest waiter, left in place. */
  peek(): Waiter | undefined {
    return this.queue.peek();
  }

  /** Queues a caller at the tail. */
  push(waiter: Waiter): void {
    this.queue.push(waiter);
    if (this.timer === undefined) this.arm(waiter.deadline, waiter.deadline - waiter.enqueuedAt);
  }

  /** Puts a caller back at the head (its connection failed a check), keeping its deadline. */
  unshift(waiter: Waiter): void {
    this.queue.unshift(waiter);
    if (this.timer === undefined || waiter.deadline < this.timerAt) {
      clearTimeout(this.timer);
      this.arm(waiter.deadline, waiter.deadline - this.now());
    }
  }

  /** Removes and returns the oldest waiter; the timer stops with the last one, so it never holds the process open. */
  shift(): Waiter | undefined {
    const waiter = this.queue.shift();
    if (this.queue.length === 0 && this.timer !== undefined) this.stop();
    return waiter;
  }

  /** Removes every waiter past its deadline, oldest first, calling `expire` for each; re-arms for the next. */
  expire(now: number, expire: (waiter: Waiter) => void): void {
    for (let head = this.queue.peek(); head !== undefined && head.deadline <= now; head = this.queue.peek()) {
      this.queue.shift();
      expire(head);
    }
    const head = this.queue.peek();
    if (head !== undefined && this.timer === undefined) this.arm(head.deadline, head.deadline - now);
  }

  /** Removes every waiter, calling `drop` for each, and stops the timer. */
  clear(drop: (waiter: Waiter) => void): void {
    this.stop();
    for (let waiter = this.queue.shift(); waiter !== undefined; waiter = this.queue.shift()) drop(waiter);
  }

  /** Stops the deadline timer (the waiters stay). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(deadline: number, delay: number): void {
    this.timerAt = deadline;
    this.timer = setTimeout(this.fire, timerDelay(delay));
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.onDue(this.now());
  };
}
