/**
 * The column sweep of GPTQ (quantization) and SparseGPT (pruning), one loop for both:
 * the weight matrix W [rows, cols] (one row per output, one column per input) is fixed
 * column by column in a given order; fixing column q (to its grid value, or to 0 when
 * pruned) moves each row's error e = (w - q) / U_qq onto the columns not yet fixed along
 * row q of U, the upper Cholesky factor of H⁻¹ (the OBS update restricted to the
 * remaining weights). Columns are taken in blocks of `block`: inside a block the update
 * is applied at once, to the rest of the matrix once per block (GPTQ's lazy batch
 * update, the same arithmetic in another order).
 *
 * Masks (SparseGPT): unstructured masks are chosen per mask block of columns (all rows
 * at once) by the OBS saliency w² / U_qq² of the current, already-updated weights; a
 * mask block as wide as the matrix chooses across the whole layer. N:M masks are chosen
 * per group of m consecutive columns of each row, at the group's first column.
 */

/** The grid a codec quantizes onto, seen from the solver's matrix coordinates. */
export interface LayerGrid {
  /**
   * Called before column `col` is fixed; `read(r, c)` gives the current (updated) weight
   * at row r, column c. A grid whose groups start at this column fixes their parameters
   * here (GPTQ fixes a group's scale from the weights as they are when it is reached).
   */
  begin?(col: number, read: (r: number, c: number) => number): void;
  /** The grid value nearest `v` for weight (row, col), exactly as the loader decodes it (a float32). */
  nearest(row: number, col: number, v: number): number;
}

/** How the sweep chooses what to prune. */
export type PruneChoice =
  | { kind: 'unstructured'; sparsity: number; /** Columns per mask choice (cols: the whole layer at once). */ maskBlock: number }
  | { kind: 'nm'; n: number; m: number; /** Columns per run of the N:M axis (groups never cross a run). */ run: number }
  | { kind: 'fixed'; mask: Uint8Array };

/** Options of sweep(). */
export interface SweepOptions {
  /** Quantize onto this grid (null: keep the values, only prune). */
  grid: LayerGrid | null;
  /** Prune (null: quantize only). */
  prune: PruneChoice | null;
  /** Lazy-update block width (GPTQ: 128). */
  block?: number;
}

/**
 * Sweep W (row-major [rows, cols], float64, updated in place to the fixed values) with
 * `u`, the upper Cholesky factor of the damped H⁻¹. Returns the mask (1 = pruned) when
 * pruning, and the summed squared-error proxy Σ e² (the layer-output error the sweep
 * added, in units of H / 2).
 */
export function sweep(w: Float64Array, rows: number, cols: number, u: Float64Array, o: SweepOptions): { mask: Uint8Array | null; loss: number } {
  const p = o.prune;
  // A mask choice reads the weights it chooses among, so they must be current: it happens
  // at a block start (unstructured: blocks as wide as the mask block), or inside a block
  // that reaches the end of its group (N:M: a block end moves to the end of its group).
  const block = p?.kind === 'unstructured' && p.maskBlock < cols ? p.maskBlock : Math.max(1, o.block ?? 128);
  const widest = block + (p?.kind === 'nm' ? p.m : 0);
  const mask = p ? (p.kind === 'fixed' ? p.mask : new Uint8Array(rows * cols)) : null;
  const err = new Float64Array(rows * widest);
  const read = (r: number, c: number): number => w[r * cols + c];
  const score = p && p.kind !== 'fixed' ? new Float64Array(p.kind === 'unstructured' ? rows * Math.min(cols, p.maskBlock) : p.m) : null;
  let loss = 0;
  for (let b0 = 0; b0 < cols; ) {
    let b1 = Math.min(cols, b0 + block);
    if (p?.kind === 'nm') b1 = groupEnd(b1 - 1, p.m, p.run, cols);
    const bw = b1 - b0;
    for (let c = b0; c < b1; c++) {
      if (p?.kind === 'unstructured' && c % p.maskBlock === 0) chooseUnstructured(w, rows, cols, u, c, Math.min(cols, c + p.maskBlock), p.sparsity, mask as Uint8Array, score as Float64Array);
      if (p?.kind === 'nm' && (c % p.run) % p.m === 0) chooseNM(w, rows, cols, u, c, groupEnd(c, p.m, p.run, cols), p.n, mask as Uint8Array, score as Float64Array);
      o.grid?.begin?.(c, read);
      const d = u[c * cols + c];
      const uc = c * cols;
      for (let r = 0; r < rows; r++) {
        const at = r * cols + c;
        const v = w[at];
        const q = mask && mask[at] ? 0 : o.grid ? o.grid.nearest(r, c, v) : v;
        w[at] = q;
        const e = (v - q) / d;
        loss += e * e;
        err[r * widest + (c - b0)] = e;
        if (e === 0) continue;
        // Inside the block: the columns after c take the update now.
        const rw = r * cols;
        for (let j = c + 1; j < b1; j++) w[rw + j] -= e * u[uc + j];
      }
    }
    // The rest of the matrix: W[:, b1:] -= Err · U[b0:b1, b1:], row by row.
    if (b1 < cols) {
      for (let r = 0; r < rows; r++) {
        const rw = r * cols;
        for (let k = 0; k < bw; k++) {
          const e = err[r * widest + k];
          if (e === 0) continue;
          const uk = (b0 + k) * cols;
          for (let j = b1; j < cols; j++) w[rw + j] -= e * u[uk + j];
        }
      }
    }
    b0 = b1;
  }
  return { mask, loss: loss / 2 };
}

/** One past the last column of the N:M group holding column c (groups of m inside runs of `run` columns). */
function groupEnd(c: number, m: number, run: number, cols: number): number {
  const start = Math.floor(c / run) * run;
  return Math.min(cols, start + run, start + (Math.floor((c - start) / m) + 1) * m);
}

/** Mask the `sparsity` share of weights in columns [c0, c1) (all rows) with the smallest w² / U_cc². */
function chooseUnstructured(w: Float64Array, rows: number, cols: number, u: Float64Array, c0: number, c1: number, sparsity: number, mask: Uint8Array, score: Float64Array): void {
  const width = c1 - c0;
  const n = rows * width;
  const k = Math.round(sparsity * n);
  if (k === 0) return;
  for (let r = 0; r < rows; r++) {
    for (let c = c0; c < c1; c++) {
      const d = u[c * cols + c];
      const v = w[r * cols + c];
      score[r * width + (c - c0)] = (v * v) / (d * d);
    }
  }
  const sorted = score.slice(0, n).sort();
  const t = sorted[k - 1];
  let below = 0;
  for (let i = 0; i < k; i++) if (sorted[i] < t) below++;
  let ties = k - below;
  // Below the threshold always; at it, the first in row-major order until the count is exact.
  for (let r = 0; r < rows; r++) {
    for (let c = c0; c < c1; c++) {
      const s = score[r * width + (c - c0)];
      if (s < t || (s === t && ties-- > 0)) mask[r * cols + c] = 1;
    }
  }
}

/** In each row, keep the n largest w² / U_cc² among columns [c0, c1) and mask the rest (ties keep the lower column). */
function chooseNM(w: Float64Array, rows: number, cols: number, u: Float64Array, c0: number, c1: number, n: number, mask: Uint8Array, score: Float64Array): void {
  const width = c1 - c0;
  for (let r = 0; r < rows; r++) {
    for (let c = c0; c < c1; c++) {
      const d = u[c * cols + c];
      const v = w[r * cols + c];
      score[c - c0] = (v * v) / (d * d);
    }
    // Rank of each column among the group (at most 64 wide): kept when fewer than n beat it.
    for (let a = 0; a < width; a++) {
      let better = 0;
      for (let b = 0; b < width; b++) if (score[b] > score[a] || (score[b] === score[a] && b < a)) better++;
      if (better >= n) mask[r * cols + c0 + a] = 1;
    }
  }
}
