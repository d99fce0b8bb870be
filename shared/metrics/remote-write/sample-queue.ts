/**
 * The bounded FIFO of samples waiting to be sent. When full, the OLDEST samples go first: after a
 * long outage the newest state of every counter is what matters, and dropping from the head keeps
 * each series' remaining samples in timestamp order.
 */
export class SampleQueue<T> {
  private items: T[] = [];
  private head = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error('queue capacity must be at least 1');
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Appends; returns how many of the oldest items were dropped to make room. */
  push(item: T): number {
    let dropped = 0;
    if (this.length >= this.capacity) {
      this.head++;
      dropped = 1;
    }
    this.items.push(item);
    this.compact();
    return dropped;
  }

  /** Removes and returns up to `n` items from the head. */
  take(n: number): T[] {
    const end = Math.min(this.items.length, this.head + n);
    const out = this.items.slice(this.head, end);
    this.head = end;
    this.compact();
    return out;
  }

  clear(): number {
    const n = this.length;
    this.items = [];
    this.head = 0;
    return n;
  }

  /** Reclaims the consumed prefix once it dominates, so take/push stay amortised O(1). */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
