/**
 * The layer-input Hessian H = 2 X Xᵀ / N of the layer solvers, accumulated over streamed
 * batches of input rows (N rows of `dim` values each), never holding the activations:
 * only H (dim² doubles) and the mean input (for bias correction).
 */

/** Rows gathered before they are folded into H: the block the symmetric rank-k update walks. */
const CHUNK = 256;

/**
 * A streamed H = 2/N Σ x xᵀ and mean(x) over input rows x of length `dim`; with `cross`,
 * also C = 2/N Σ x₀ xᵀ and mean(x₀) over paired reference rows x₀ (the same layer's input
 * in the uncompressed model), from which the solvers aim at the original layer's output.
 */
export class HessianAccumulator {
  /** Input dimension (the columns of the layer's weight matrix). */
  readonly dim: number;
  /** Σ x xᵀ so far (lower triangle kept until `hessian()` mirrors it). */
  private readonly sum: Float64Array;
  private readonly mean: Float64Array;
  /** Rows folded in. */
  private n = 0;
  /** Pending rows, transposed: column j of the chunk is contiguous (pending[j * CHUNK + r]). */
  private readonly pending: Float64Array;
  private rows = 0;
  /** Paired reference rows: Σ x₀ xᵀ (full), Σ x₀, and their pending chunk; null without `cross`. */
  private readonly cross: { sum: Float64Array; mean: Float64Array; pending: Float64Array } | null;

  /** An empty accumulator for rows of `dim` values (`cross`: rows come in pairs, addPairs). */
  constructor(dim: number, cross = false) {
    this.dim = dim;
    this.sum = new Float64Array(dim * dim);
    this.mean = new Float64Array(dim);
    this.pending = new Float64Array(dim * CHUNK);
    this.cross = cross ? { sum: new Float64Array(dim * dim), mean: new Float64Array(dim), pending: new Float64Array(dim * CHUNK) } : null;
  }

  /** Add one row x (from `xs` at `at`) with its reference row x₀ (from `refs` at `refAt`). */
  addPair(xs: ArrayLike<number>, at: number, refs: ArrayLike<number>, refAt: number): void {
    const d = this.dim;
    const c = this.cross;
    if (!c) throw new Error('HessianAccumulator: addPair without cross');
    const slot = this.rows;
    for (let j = 0; j < d; j++) {
      this.pending[j * CHUNK + slot] = xs[at + j];
      c.pending[j * CHUNK + slot] = refs[refAt + j];
    }
    if (++this.rows === CHUNK) this.flush();
  }

  /** Rows folded in so far. */
  get count(): number {
    return this.n + this.rows;
  }

  /** Add `rows` rows of `dim` values each from `x` (row-major, from `offset`). */
  addRows(x: ArrayLike<number>, rows: number, offset = 0): void {
    const d = this.dim;
    for (let r = 0; r < rows; r++) {
      const at = offset + r * d;
      const slot = this.rows;
      for (let j = 0; j < d; j++) this.pending[j * CHUNK + slot] = x[at + j];
      if (++this.rows === CHUNK) this.flush();
    }
  }

  /** Fold the pending rows into the sums (lower triangle; each entry one contiguous dot product). */
  private flush(): void {
    const d = this.dim;
    const r = this.rows;
    if (r === 0) return;
    const p = this.pending;
    const s = this.sum;
    for (let i = 0; i < d; i++) {
      const ci = i * CHUNK;
      let m = 0;
      for (let k = 0; k < r; k++) m += p[ci + k];
      this.mean[i] += m;
      for (let j = 0; j <= i; j++) {
        const cj = j * CHUNK;
        let dot = 0;
        for (let k = 0; k < r; k++) dot += p[ci + k] * p[cj + k];
        s[i * d + j] += dot;
      }
    }
    const c = this.cross;
    if (c) {
      for (let i = 0; i < d; i++) {
        const ci = i * CHUNK;
        let m = 0;
        for (let k = 0; k < r; k++) m += c.pending[ci + k];
        c.mean[i] += m;
        for (let j = 0; j < d; j++) {
          const cj = j * CHUNK;
          let dot = 0;
          for (let k = 0; k < r; k++) dot += c.pending[ci + k] * p[cj + k];
          c.sum[i * d + j] += dot;
        }
      }
    }
    this.n += r;
    this.rows = 0;
  }

  /** H = 2/N Σ x xᵀ (a new full symmetric matrix), mean(x); with `cross`, C = 2/N Σ x₀ xᵀ ([i][j] = Σ x₀_i x_j) and mean(x₀); N = 0 gives zeros. */
  result(): { h: Float64Array; mean: Float64Array; count: number; cross: Float64Array | null; refMean: Float64Array | null } {
    this.flush();
    const d = this.dim;
    const h = new Float64Array(d * d);
    const scale = this.n > 0 ? 2 / this.n : 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        const v = this.sum[i * d + j] * scale;
        h[i * d + j] = v;
        h[j * d + i] = v;
      }
    }
    const mean = new Float64Array(d);
    for (let i = 0; i < d; i++) mean[i] = this.n > 0 ? this.mean[i] / this.n : 0;
    const c = this.cross;
    const cross = c ? c.sum.map((v) => v * scale) : null;
    const refMean = c ? c.mean.map((v) => (this.n > 0 ? v / this.n : 0)) : null;
    return { h, mean, count: this.n, cross, refMean };
  }
}
