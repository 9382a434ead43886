/**
 * Reused read buffers. Every tensor the pipeline reads would otherwise be a fresh
 * allocation: for a model of gigabytes that is gigabytes of new pages to fault in and,
 * after garbage collection, to unmap, which costs as much as a pass over the data and lets
 * memory run ahead of what is live. A buffer returns here once its tensor is done with
 * (or written, when the output is the input pruned in place) and serves the next read of
 * no more than its size, so the pipeline settles on a few buffers of the largest size.
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  /** `keep`: most buffers held while unused. */
  constructor(private readonly keep: number) {}

  /** `n` bytes: a view at the start of the smallest free buffer that is big enough, or a new one. */
  take(n: number): Uint8Array {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (b.byteLength >= n && (best < 0 || b.byteLength < this.free[best].byteLength)) best = i;
    }
    if (best < 0) return new Uint8Array(n);
    const [b] = this.free.splice(best, 1);
    return new Uint8Array(b, 0, n);
  }

  /** Hand a buffer back (nothing may use it afterwards); the smallest go first when too many are kept. */
  give(b: ArrayBufferLike): void {
    if (!(b instanceof ArrayBuffer) || b.byteLength === 0) return;
    this.free.push(b);
    if (this.free.length > this.keep) {
      this.free.sort((x, y) => y.byteLength - x.byteLength);
      this.free.length = this.keep;
    }
  }
}
