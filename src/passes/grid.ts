/**
 * Tensors the input already stores on a grid of the requested kind keep that grid.
 *
 * Re-quantizing decoded values onto a new grid is lossy even when the tensor already sits
 * on an 8-bit grid: a converter-written uint8 tensor (q * scale + min with min != 0)
 * asked for symmetric int8 lands on a different grid (on the MNIST uint8 fixture, up to
 * 232,058 of 235,200 kernel values change), and the converter's own uint8 grid is not
 * always a fixed point of the uint8 pass (its nudged min is often no float32). Keeping
 * the stored codes instead is lossless (the output decodes to the input's values bit for
 * bit), costs the same bytes, and is a stock form (also inside .mcz). So:
 * - stored uint8 affine, asked int8 (per tensor or per channel) or uint8: kept;
 * - stored uint16 affine, asked uint16: kept; stored float16, asked float16: kept;
 * - anything else (uint16 asked int8/uint8, uint8 asked uint16 or float16, ...) is
 *   decoded and quantized as asked.
 * A pruned tensor keeps its grid when 0.0 is exactly one of its codes (the converter's
 * grids have it whenever the range spans 0): pruned weights take that code, the others
 * keep theirs. When 0.0 is not on the grid, the pruned values are quantized as asked.
 */
import type { Quantization } from '../model/manifest.js';
import type { QuantizerName } from '../recipe.js';
import { roundHalfEven } from './affine.js';
import { type Encoded, type Encoding, withLazyDecoded } from './types.js';

/** True when a tensor stored as `stored` and asked for `requested` keeps its stored grid (see the file comment). */
export function keepsGrid(stored: Quantization | undefined, requested: QuantizerName, pruned: boolean): boolean {
  if (!stored) return false;
  const same = stored.dtype === requested || (stored.dtype === 'uint8' && requested === 'int8');
  if (!same) return false;
  return !pruned || stored.dtype === 'float16' || zeroCode(stored) >= 0;
}

/**
 * The affine code that decodes (as stock tfjs: q * scale + min in double, stored as
 * float32) to exactly +0, or -1 when none does.
 */
export function zeroCode(q: Quantization): number {
  const scale = q.scale as number;
  const min = q.min as number;
  const qmax = q.dtype === 'uint8' ? 255 : 65535;
  if (!(scale > 0)) return -1;
  const c = roundHalfEven(-min / scale) + 0; // + 0: min 0 gives -0
  if (!(c >= 0 && c <= qmax)) return -1;
  const d = Math.fround(c * scale + min);
  return d === 0 && 1 / d > 0 ? c : -1;
}

/** The affine grid of a stored uint8 / uint16 tensor as an Encoding (null for float16 or none). */
export function storedAffine(q: Quantization | undefined): Extract<Encoding, { kind: 'affine' }> | null {
  if (!q || (q.dtype !== 'uint8' && q.dtype !== 'uint16')) return null;
  return { kind: 'affine', dtype: q.dtype, scale: q.scale as number, min: q.min as number };
}

/**
 * The affine codes of `pruned` (the decoded values of `codes` with some set to 0 by a
 * prune pass) on the stored grid `q`: each value keeps its code, and a value that
 * pruning set to 0 takes the zero code, so the result decodes to `pruned` bit for bit.
 * Needs zeroCode(q) >= 0 (keepsGrid checks it when planning).
 */
export function recodeOnGrid(q: Quantization, codes: Uint8Array | Uint16Array, pruned: Float32Array): Encoded {
  const encoding = storedAffine(q);
  if (!encoding) throw new Error(`recodeOnGrid: ${q.dtype} has no affine grid`);
  const { scale, min } = encoding;
  const zc = zeroCode(q);
  const out = codes.slice();
  for (let i = 0; i < out.length; i++) {
    if (pruned[i] !== 0) continue;
    const d = Math.fround(out[i] * scale + min);
    // A stored -0 (or a value that underflows to -0) that pruning made +0 takes the zero code too.
    if (d !== 0 || 1 / d < 0) out[i] = zc;
  }
  const decode = (): Float32Array => {
    const d = new Float32Array(out.length);
    for (let i = 0; i < out.length; i++) d[i] = out[i] * scale + min;
    return d;
  };
  return withLazyDecoded({ encoding, symbols: out, warnings: [] }, decode);
}
