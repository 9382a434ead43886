/**
 * The exact least-squares reconstruction of a pruned layer for a fixed mask: per output
 * row, the kept weights S minimise the layer-output error (w - w0)ᵀ H (w - w0) with the
 * pruned ones M at 0, which gives w_S = w0_S + H_SS⁻¹ H_SM w0_M (Layer-wise OBS solved
 * exactly instead of one weight at a time). The sweep only moves weights it has not yet
 * fixed, so this is at least as good for the same mask; it costs about |S|³ / 3 per row,
 * which callers bound (exactCost).
 */
import { cholesky, choleskySolve } from './linalg.js';

/** Floating-point work of reconstructExact for this mask: Σ over rows of |S|³ / 3 + |S|² · |M|. */
export function exactCost(mask: Uint8Array, rows: number, cols: number): number {
  let cost = 0;
  for (let r = 0; r < rows; r++) {
    let kept = 0;
    for (let c = 0; c < cols; c++) kept += mask[r * cols + c] ^ 1;
    cost += (kept * kept * kept) / 3 + kept * (cols - kept);
  }
  return cost;
}

/**
 * Set W (row-major [rows, cols]) to the exact optimum for `mask` (1 = pruned): each row
 * from the original row w0 and `h` (the damped Hessian the sweep used, H + λI). Returns
 * false, leaving W unchanged from where that row failed on, when a row's H_SS is not
 * positive definite (it is a principal submatrix of a positive definite matrix, so only
 * float64 breakdown does that).
 */
export function reconstructExact(w: Float64Array, w0: Float64Array, h: Float64Array, rows: number, cols: number, mask: Uint8Array): boolean {
  const kept = new Int32Array(cols);
  const pruned = new Int32Array(cols);
  const hss = new Float64Array(cols * cols);
  const rhs = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const rw = r * cols;
    let ns = 0;
    let nm = 0;
    for (let c = 0; c < cols; c++) {
      if (mask[rw + c]) pruned[nm++] = c;
      else kept[ns++] = c;
    }
    // Nothing pruned: the row stays as it is; nothing kept: all zeros.
    if (nm === 0) {
      for (let c = 0; c < cols; c++) w[rw + c] = w0[rw + c];
      continue;
    }
    for (let c = 0; c < cols; c++) w[rw + c] = 0;
    if (ns === 0) continue;
    for (let a = 0; a < ns; a++) {
      const ha = kept[a] * cols;
      for (let b = 0; b <= a; b++) hss[a * ns + b] = h[ha + kept[b]];
      let s = 0;
      for (let k = 0; k < nm; k++) s += h[ha + pruned[k]] * w0[rw + pruned[k]];
      rhs[a] = s;
    }
    if (!cholesky(hss.subarray(0, ns * ns), ns)) return false;
    const x = rhs.subarray(0, ns);
    choleskySolve(hss.subarray(0, ns * ns), ns, x);
    for (let a = 0; a < ns; a++) w[rw + kept[a]] = w0[rw + kept[a]] + x[a];
  }
  return true;
}

/** The layer-output error ½ Σ_rows (w - w0)ᵀ H (w - w0) (H = 2XXᵀ/N: the mean squared output error per sample). */
export function outputError(w: ArrayLike<number>, w0: ArrayLike<number>, h: Float64Array, rows: number, cols: number): number {
  const d = new Float64Array(cols);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) d[c] = w[r * cols + c] - w0[r * cols + c];
    for (let i = 0; i < cols; i++) {
      if (d[i] === 0) continue;
      let s = 0;
      const hi = i * cols;
      for (let j = 0; j < cols; j++) s += h[hi + j] * d[j];
      total += d[i] * s;
    }
  }
  return total / 2;
}
