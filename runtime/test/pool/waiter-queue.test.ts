/**
 * The waiters' deadline timer: never armed beyond what `setTimeout` accepts,
 * so POOL_TIMEOUT=2147483647 (the contract's maximum) waits instead of firing
 * after 1 ms with a TimeoutOverflowWarning.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPool } from '../../src/pool/create-pool.js';
import { MAX_TIMER_MILLIS, timerDelay, WaiterQueue, type Waiter } from '../../src/pool/waiter-queue.js';
import { fakeClientClass, settingsFor } from './pool-test-support.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const waiter = (enqueuedAt: number, deadline: number): Waiter => ({
  kind: 'connect',
  text: undefined,
  values: undefined,
  resolve: () => undefined,
  reject: () => undefined,
  enqueuedAt,
  deadline,
  borrowStack: undefined,
});

describe('timerDelay', () => {
  it('rounds up, stays at least 1 and never exceeds 2^31 - 1', () => {
    expect([
      timerDelay(0),
      timerDelay(0.2),
      timerDelay(299.1),
      timerDelay(2_147_483_647.0000002),
      timerDelay(1e12),
    ]).toEqual([1, 1, 300, MAX_TIMER_MILLIS, MAX_TIMER_MILLIS]);
  });
});

describe('WaiterQueue', () => {
  it('arms its timer within the limit when a fractional clock makes the wait round up past it', () => {
    const delays: number[] = [];
    const real = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, delay?: number) => {
      delays.push(delay ?? 0);
      return real(callback, 0).unref();
    }) as typeof setTimeout);
    const now = 6898063.96018582; // a clock reading (ms since start) for which the float error shows
    const queue = new WaiterQueue(
      () => now,
      () => undefined,
    );
    const deadline = now + MAX_TIMER_MILLIS;
    expect(Math.ceil(deadline - now)).toBe(MAX_TIMER_MILLIS + 1); // the float error the bug came from
    queue.push(waiter(now, deadline));
    queue.unshift(waiter(now, deadline - 1));
    expect(delays).toEqual([MAX_TIMER_MILLIS, MAX_TIMER_MILLIS]);
    queue.stop();
  });

  it('re-arms instead of failing a waiter when the timer fires before its deadline', () => {
    let now = 0;
    const expired: Waiter[] = [];
    const queue = new WaiterQueue(
      () => now,
      (at) => queue.expire(at, (each) => expired.push(each)),
    );
    queue.push(waiter(0, 100));
    now = 50;
    queue.expire(now, (each) => expired.push(each));
    expect(expired).toEqual([]);
    now = 100;
    queue.expire(now, (each) => expired.push(each));
    expect(expired).toHaveLength(1);
    expect(queue.length).toBe(0);
    queue.stop();
  });
});

describe('a pool with POOL_TIMEOUT=2147483647', () => {
  it('keeps a waiter waiting and emits no TimeoutOverflowWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    const { Client } = fakeClientClass();
    const pool = createPool(
      settingsFor('postgres://app@127.0.0.1:5999/app', { POOL_SIZE: '1', POOL_TIMEOUT: '2147483647' }),
      {
        Client,
        now: () => 6898063.96018582,
      },
    );
    const holder = await pool.connect();
    let settled = false;
    const queued = pool.connect().finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(settled).toBe(false);
    holder.release();
    (await queued).release();
    await pool.end({ drainMillis: 0 });
    process.off('warning', onWarning);
    expect(warnings.filter((warning) => warning.name === 'TimeoutOverflowWarning')).toEqual([]);
  });
});
