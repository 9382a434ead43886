/** Summary statistics of tensor values, in one O(n) pass. */
import type { TensorValues } from './model/decode.js';

/** Statistics of a numeric tensor; NaN entries are counted, not folded into the moments. */
export interface TensorStats {
  min: number;
  max: number;
  mean: number;
  std: number;
  /** Fraction of elements exactly zero (0 for an empty tensor). */
  sparsity: number;
  /** Count of NaN or ±Infinity elements. */
  nonFinite: number;
}

/** Statistics of numeric values; null for string tensors. */
export function tensorStats(values: TensorValues): TensorStats | null {
  if (Array.isArray(values)) return null;
  const v = values as Float32Array | Int32Array | Uint8Array;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSq = 0;
  let zeros = 0;
  let nonFinite = 0;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    zeros += +(x === 0); // no branch: zeros lie at random in pruned tensors
    if (!Number.isFinite(x)) {
      nonFinite++;
      continue;
    }
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    sumSq += x * x;
    n++;
  }
  const mean = n ? sum / n : 0;
  const variance = n ? Math.max(0, sumSq / n - mean * mean) : 0;
  return {
    min: n ? min : 0,
    max: n ? max : 0,
    mean,
    std: Math.sqrt(variance),
    sparsity: v.length ? zeros / v.length : 0,
    nonFinite,
  };
}
