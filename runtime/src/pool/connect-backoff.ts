/**
 * Reconnecting after failed connection attempts: exponential backoff with
 * jitter, one attempt at a time while the server keeps refusing; whether
 * connects are failing now, and the last connect error with its time, for
 * `PoolTimeoutError` and `snapshot()`. Attempts started
 * before a failure was recorded (every connection a restart broke, reconnecting
 * at once) fail as one burst and move the backoff on only once.
 */
import type { ConnectError } from './pool-errors.js';

/** First reconnect delay after a failed connection attempt; it doubles per failure up to `RECONNECT_MAX_MILLIS`. */
export const RECONNECT_MIN_MILLIS = 100;
/** Longest reconnect delay while the database stays unreachable. */
export const RECONNECT_MAX_MILLIS = 5_000;

/** Delay before reconnect attempt number `failures` (1-based): exponential, capped, with up to 50 % jitter. */
export function reconnectDelay(failures: number, random: number = Math.random()): number {
  const ceiling = Math.min(RECONNECT_MAX_MILLIS, RECONNECT_MIN_MILLIS * 2 ** Math.min(failures - 1, 20));
  return ceiling / 2 + (random * ceiling) / 2;
}

/** The backoff state of one pool. */
export class ConnectBackoff {
  /** Failed bursts since the last successful connect; 0 while connecting works. */
  failures = 0;
  /** The error of the last failed attempt while attempts are failing, for `PoolTimeoutError.cause`. */
  currentError: ConnectError | undefined = undefined;
  /** Message of the last failed attempt ever (kept after recovery, for diagnostics). */
  lastMessage: string | undefined = undefined;
  /** Wall-clock time (ms since the epoch) of that attempt's failure. */
  lastFailedAt: number | undefined = undefined;
  private retryAt = 0;
  private timer: NodeJS.Timeout | undefined = undefined;

  constructor(
    private readonly now: () => number,
    private readonly retry: () => void,
  ) {}

  /** True from a failed attempt until the next successful one. */
  get failing(): boolean {
    return this.failures > 0;
  }

  /**
   * True when a new attempt may start now; otherwise arms the retry timer
   * (once) so `retry` runs when the delay has passed.
   */
  mayAttempt(connecting: number): boolean {
    if (this.failures === 0) return true;
    if (connecting > 0) return false;
    const wait = this.retryAt - this.now();
    if (wait <= 0) return true;
    if (this.timer === undefined) {
      this.timer = setTimeout(this.onTimer, Math.ceil(wait));
      this.timer.unref();
    }
    return false;
  }

  /** An attempt succeeded: returns how many failed bursts came before (0 when none). */
  succeeded(): number {
    const failures = this.failures;
    this.failures = 0;
    this.currentError = undefined;
    return failures;
  }

  /**
   * An attempt that began at burst `burst` failed. Returns the delay before the
   * next attempt when this failure starts a new burst, `undefined` when it
   * belongs to a burst already counted.
   */
  failed(error: ConnectError, burst: number): number | undefined {
    this.currentError = error;
    this.lastMessage = error.message;
    this.lastFailedAt = Date.now();
    if (burst !== this.failures) return undefined;
    this.failures++;
    const delay = reconnectDelay(this.failures);
    this.retryAt = this.now() + delay;
    return delay;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.retry();
  };
}
