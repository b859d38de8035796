/** The waiters' ring buffer keeps FIFO order across growth and wrap-around. */
import { describe, expect, it } from 'vitest';
import { RingQueue } from '../../src/pool/ring-queue.js';

describe('RingQueue', () => {
  it('keeps FIFO order while it wraps around and grows, and puts unshifted items first', () => {
    const queue = new RingQueue<number>();
    const expected: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let index = 0; index < 7; index++) {
        queue.push(next);
        expected.push(next++);
      }
      for (let index = 0; index < 5; index++) expect(queue.shift()).toBe(expected.shift());
    }
    queue.unshift(-1);
    expected.unshift(-1);
    expect(queue.length).toBe(expected.length);
    expect(queue.peek()).toBe(-1);
    const drained: number[] = [];
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) drained.push(item);
    expect(drained).toEqual(expected);
    expect(queue.shift()).toBeUndefined();
  });
});
