/**
 * The waiters' FIFO: a growable ring buffer with O(1) `push`, `shift` and
 * `unshift` and no allocation per operation (an array's `shift()` is O(n)).
 */
export class RingQueue<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(16);
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  /** Appends at the tail. */
  push(item: T): void {
    if (this.size === this.items.length) this.grow();
    this.items[(this.head + this.size) & (this.items.length - 1)] = item;
    this.size++;
  }

  /** Puts an item back at the head (a waiter whose connection failed its check keeps its place). */
  unshift(item: T): void {
    if (this.size === this.items.length) this.grow();
    this.head = (this.head - 1) & (this.items.length - 1);
    this.items[this.head] = item;
    this.size++;
  }

  /** Removes and returns the head, `undefined` when empty. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.size--;
    return item;
  }

  /** The head without removing it. */
  peek(): T | undefined {
    return this.size === 0 ? undefined : this.items[this.head];
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.items.length * 2);
    for (let index = 0; index < this.size; index++)
      next[index] = this.items[(this.head + index) & (this.items.length - 1)];
    this.items = next;
    this.head = 0;
  }
}
