/**
 * One layer's solve: prune with reconstruction (SparseGPT-style sweep, then the exact
 * least-squares optimum for the chosen mask where that is affordable), then quantize
 * with error compensation (GPTQ-style sweep, pruned weights held at 0, optionally in
 * activation order), then the bias correction of the mean output shift. Pure numerics on
 * the layer's matrix W [rows = outputs, cols = inputs] and its input statistics.
 */
import { exactCost, outputError, reconstructExact } from './exact.js';
import { type Damped, upperCholeskyOfInverse } from './linalg.js';
import { type LayerGrid, type PruneChoice, sweep } from './sweep.js';

/** Default relative damping of H (GPTQ: 1 % of the mean diagonal). */
export const DEFAULT_DAMP = 0.01;

/** Largest rows · cols² for which the solution's layer-output error is computed (it is a report figure, not needed for the solve). */
export const ERROR_WORK = 3e8;

/** Default work allowed for the exact reconstruction of one layer (float64 multiply-adds). */
export const DEFAULT_EXACT_BUDGET = 4e9;

/** A layer's problem: its weights and the statistics of its inputs. */
export interface LayerProblem {
  /** Names the layer (its kernel tensor) in errors. */
  name: string;
  rows: number;
  cols: number;
  /** Original weights, row-major [rows, cols]. */
  w0: Float64Array;
  /** H = 2 X Xᵀ / N over the calibration inputs, [cols, cols]. */
  h: Float64Array;
  /** Mean input, [cols]. */
  mean: Float64Array;
  /** upperCholeskyOfInverse(h, cols, damp) when the caller has it already (it is the costly part: cols³ / 3). */
  factor?: { u: Float64Array; damped: Damped };
}

/** What to do to a layer. */
export interface LayerPlan {
  /** How to prune (null: not pruned); a fixed mask (1 = pruned) is held at 0 by the quantization sweep, which compensates for it. */
  prune: PruneChoice | null;
  /** The grid to quantize onto, built from the weights as they are after pruning (null: not quantized). */
  grid: ((w: Float64Array) => LayerGrid) | null;
  /** Quantize the columns in order of decreasing H diagonal (GPTQ's act-order). */
  actOrder?: boolean;
  /** Relative damping (default DEFAULT_DAMP). */
  damp?: number;
  /** Unstructured pruning in this many growing steps (default 1). */
  rounds?: number;
  /** Work allowed for the exact reconstruction (default DEFAULT_EXACT_BUDGET; 0: sweep only). */
  exactBudget?: number;
}

/** A solved layer. */
export interface LayerSolution {
  /** Solved weights, row-major [rows, cols]. */
  w: Float64Array;
  /** 1 = pruned (null when not pruned). */
  mask: Uint8Array | null;
  /** Per output row: (Ŵ - W) · mean(x), the mean output shift to subtract from the bias. */
  shift: Float64Array;
  /** Layer-output error ½ Σ (ŵ - w)ᵀ H (ŵ - w) of the result (undamped H); NaN for layers over ERROR_WORK, where it is not computed. */
  error: number;
  /** True when the exact reconstruction replaced the sweep's pruned weights. */
  exact: boolean;
  /** The relative damping the factorisations needed. */
  damp: number;
}

/** Solve one layer (see the file comment). */
export function solveLayer(p: LayerProblem, plan: LayerPlan): LayerSolution {
  const { rows, cols, h, name } = p;
  const damp = plan.damp ?? DEFAULT_DAMP;
  const w = new Float64Array(p.w0);
  let mask: Uint8Array | null = null;
  let exact = false;
  let used = damp;
  let factor = p.factor ?? null;
  const natural = (): { u: Float64Array; damped: Damped } => (factor ??= upperCholeskyOfInverse(h, cols, damp, `tensor "${name}"`));
  if (plan.prune?.kind === 'fixed') mask = plan.prune.mask;
  else if (plan.prune) {
    const { u, damped } = natural();
    used = damped.relative;
    const budget = plan.exactBudget ?? DEFAULT_EXACT_BUDGET;
    const hd = new Float64Array(h);
    for (let i = 0; i < cols; i++) hd[i * cols + i] += damped.lambda;
    // Unstructured masks grow over `rounds` steps: each step's mask is chosen from the weights
    // the previous step reconstructed (its zeros score 0 and stay pruned), each reconstruction
    // targets the original weights.
    const rounds = plan.prune.kind === 'unstructured' ? Math.max(1, plan.rounds ?? 1) : 1;
    for (let k = 1; k <= rounds; k++) {
      const choice = plan.prune.kind === 'unstructured' ? { ...plan.prune, sparsity: (plan.prune.sparsity * k) / rounds } : plan.prune;
      const start = new Float64Array(w);
      mask = sweep(w, rows, cols, u, { grid: null, prune: choice }).mask as Uint8Array;
      exact = false;
      if (budget > 0 && exactCost(mask, rows, cols) <= budget) {
        const ex = new Float64Array(rows * cols);
        // Exact for the damped H; kept only when it is also better for the undamped one.
        if (reconstructExact(ex, p.w0, hd, rows, cols, mask) && outputError(ex, p.w0, h, rows, cols) <= outputError(w, p.w0, h, rows, cols)) {
          w.set(ex);
          exact = true;
        }
      }
      void start;
    }
  }
  if (plan.grid) {
    // The grid is fitted to the weights that survive (pruned ones at 0).
    const grid = plan.grid(mask ? w.map((v, i) => ((mask as Uint8Array)[i] ? 0 : v)) : w);
    const order = plan.actOrder ? activationOrder(h, cols) : null;
    if (order) {
      const hp = permuteSym(h, cols, order);
      const { u, damped } = upperCholeskyOfInverse(hp, cols, damp, `tensor "${name}"`);
      used = Math.max(used, damped.relative);
      const wp = permuteCols(w, rows, cols, order);
      const mp = mask ? permuteCols(mask, rows, cols, order) : null;
      const g: LayerGrid = { nearest: (r, c, v) => grid.nearest(r, order[c], v) };
      sweep(wp, rows, cols, u, { grid: g, prune: mp ? { kind: 'fixed', mask: mp } : null });
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) w[r * cols + order[c]] = wp[r * cols + c];
    } else {
      const { u, damped } = natural();
      used = Math.max(used, damped.relative);
      sweep(w, rows, cols, u, { grid, prune: mask ? { kind: 'fixed', mask } : null });
    }
  }
  // The exact error costs rows · cols² multiply-adds: only for layers where that is small.
  const error = rows * cols * cols <= ERROR_WORK ? outputError(w, p.w0, h, rows, cols) : NaN;
  return { w, mask, shift: meanShift(w, p.w0, p.mean, rows, cols), error, exact, damp: used };
}

/** Per row: (w - w0) · mean. */
export function meanShift(w: ArrayLike<number>, w0: ArrayLike<number>, mean: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += (w[r * cols + c] - w0[r * cols + c]) * mean[c];
    out[r] = s;
  }
  return out;
}

/** Columns by decreasing H diagonal (ties: lower index first). */
function activationOrder(h: Float64Array, n: number): Int32Array {
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => h[b * n + b] - h[a * n + a] || a - b);
  return Int32Array.from(idx);
}

/** H with rows and columns taken in `order`. */
function permuteSym(h: Float64Array, n: number, order: Int32Array): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = h[order[i] * n + order[j]];
  return out;
}

/** A [rows, cols] matrix with its columns taken in `order`. */
function permuteCols<T extends Float64Array | Uint8Array>(m: T, rows: number, cols: number, order: Int32Array): T {
  const out = new (m.constructor as { new (n: number): T })(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = m[r * cols + order[c]];
  return out;
}
