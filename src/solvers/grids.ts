/**
 * Codec grids as the solvers see them. Every codec's Encoding describes the grid its
 * values lie on (int8 scales, the affine scale and min, intN group scales, cluster
 * centroids), so a grid is taken from the ordinary encoder run on the weights before
 * the sweep (the original weights, or the reconstructed ones after pruning: the grid
 * then fits the surviving weights), and the sweep rounds onto it (LayerGrid). The grid
 * is fixed before the sweep, groups included; GPTQ fixes a group's scale when the sweep
 * reaches it, from the updated weights, which differs only where the updates push a
 * weight past its group's original range (it is then clipped).
 *
 * encodeOnGrid then stores solved values on that same grid: values already on it keep
 * their exact value (the ordinary encoders would derive a new grid from them, e.g. a
 * per-channel int8 scale from a maximum the sweep moved, and round every value again).
 */
import { groupIndex, groupLayout } from '../passes/codes.js';
import { encodeCluster } from '../passes/cluster.js';
import { encodeIntN } from '../passes/intn.js';
import type { Encoded, Encoding, EncodeStats } from '../passes/types.js';
import type { LayerGrid } from './sweep.js';

/** Where weight (row, col) of the solver's matrix lives in the tensor. */
export interface MatrixLayout {
  rows: number;
  cols: number;
  /** Element index of (row, col) in the tensor's row-major values. */
  at(row: number, col: number): number;
}

/** Round half to even (1.5 * 2^52 trick; |x| < 2^51). */
const RNE = 6755399441055744;
const rne = (x: number): number => x + RNE - RNE;

/** Channel of element i for a per-channel axis walked as [outer, dim, inner]. */
function channelOf(i: number, dim: number, inner: number): number {
  return Math.floor(i / inner) % dim;
}

/** The inner size (product of dims after `axis`) and the channel count of a per-channel axis. */
function axisDims(shape: readonly number[], axis: number | null): { dim: number; inner: number } {
  if (axis === null) return { dim: 1, inner: 1 };
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return { dim: shape[axis], inner };
}

/**
 * The nearest grid value of `v` for tensor element i under `enc`, as a loader decodes it
 * (float32); null for encodings without a grid to solve on (float32, float16). The layout
 * constants are computed once here, not per element.
 */
export function nearestOn(enc: Encoding, shape: readonly number[]): ((i: number, v: number) => number) | null {
  switch (enc.kind) {
    case 'int8': {
      const { dim, inner } = axisDims(shape, enc.axis);
      const sc = enc.scales;
      const one = enc.axis === null;
      return (i, v) => {
        const s = sc[one ? 0 : channelOf(i, dim, inner)];
        return Math.fround(Math.max(-127, Math.min(127, rne(v / s))) * s);
      };
    }
    case 'affine': {
      const top = enc.dtype === 'uint8' ? 255 : 65535;
      const { scale, min } = enc;
      return (_i, v) => Math.fround(Math.max(0, Math.min(top, rne((v - min) / scale))) * scale + min);
    }
    case 'intn': {
      const l = groupLayout(shape, enc.axis, enc.groupSize);
      const { scales, zeros, bits } = enc;
      const one = enc.axis === null;
      return (i, v) => {
        const c = one ? 0 : channelOf(i, l.dim, l.inner);
        const j = Math.floor(i / (l.dim * l.inner)) * l.inner + (i % l.inner);
        const g = groupIndex(l, c, j);
        const s = scales[g];
        if (zeros) {
          const z = zeros[g];
          return Math.fround((Math.max(0, Math.min((1 << bits) - 1, rne(v / s) + z)) - z) * s);
        }
        const top = (1 << (bits - 1)) - 1;
        return Math.fround(Math.max(-top, Math.min(top, rne(v / s))) * s);
      };
    }
    case 'cluster': {
      const { dim, inner } = axisDims(shape, enc.axis);
      const { k, centroids } = enc;
      const one = enc.axis === null;
      return (i, v) => {
        const base = one ? 0 : channelOf(i, dim, inner) * k;
        let best = centroids[base];
        for (let x = 1; x < k; x++) {
          const c = centroids[base + x];
          if (Math.abs(c - v) < Math.abs(best - v)) best = c;
        }
        return best;
      };
    }
    default:
      return null;
  }
}

/** True when the solvers can round onto this encoding's grid. */
export function hasGrid(enc: Encoding): boolean {
  return enc.kind === 'int8' || enc.kind === 'affine' || enc.kind === 'intn' || enc.kind === 'cluster';
}

/** A LayerGrid over `enc` (the grid of the tensor of `shape`), in the matrix coordinates of `layout`. */
export function layerGrid(enc: Encoding, shape: readonly number[], layout: MatrixLayout): LayerGrid {
  const near = nearestOn(enc, shape);
  if (!near) throw new Error(`layerGrid: encoding ${enc.kind} has no grid`);
  return { nearest: (r, c, v) => near(layout.at(r, c), v) };
}

/**
 * The Encoded of `values` (solved, on the grid of `enc`: each the value nearestOn gives)
 * in the encoding `enc`: the codes are derived from the values, which decode back to
 * themselves (intN and clusters through their codecs, given the grid); the statistics
 * are against `reference` (the weights before solving).
 */
export function encodeOnGrid(name: string, values: Float32Array, shape: readonly number[], enc: Encoding, reference: Float32Array): Encoded {
  const t = { name, shape, values };
  let out: Encoded;
  if (enc.kind === 'intn') out = encodeIntN(t, enc.axis, { bits: enc.bits, groupSize: enc.groupSize, symmetric: enc.symmetric, allowNonfinite: false }, enc);
  else if (enc.kind === 'cluster') out = encodeCluster(t, { k: enc.k, perChannel: enc.axis !== null, axis: enc.axis, seed: 0 }, enc.centroids);
  else if (enc.kind === 'int8' || enc.kind === 'affine') out = encodeScalar(values, shape, enc);
  else throw new Error(`encodeOnGrid: encoding ${enc.kind} has no grid`);
  const d = out.decoded;
  const stats: EncodeStats = { inputZeros: 0, zeros: 0, maxError: 0, sumSq: 0 };
  for (let i = 0; i < d.length; i++) {
    const r = reference[i];
    stats.inputZeros += +(r === 0);
    stats.zeros += +(d[i] === 0);
    const e = Math.abs(d[i] - r);
    if (e > stats.maxError) stats.maxError = e;
    stats.sumSq += e * e;
  }
  return { encoding: out.encoding, symbols: out.symbols, decoded: d, warnings: out.warnings, stats };
}

/** int8 and affine codes of values on their grid. */
function encodeScalar(values: Float32Array, shape: readonly number[], enc: Extract<Encoding, { kind: 'int8' | 'affine' }>): Encoded {
  const n = values.length;
  const decoded = new Float32Array(n);
  if (enc.kind === 'int8') {
    const symbols = new Int8Array(n);
    const { dim, inner } = axisDims(shape, enc.axis);
    for (let i = 0; i < n; i++) {
      const s = enc.scales[enc.axis === null ? 0 : channelOf(i, dim, inner)];
      const q = Math.max(-127, Math.min(127, rne(values[i] / s)));
      symbols[i] = q;
      decoded[i] = q * s;
    }
    return { encoding: enc, symbols, decoded, warnings: [] };
  }
  const top = enc.dtype === 'uint8' ? 255 : 65535;
  const symbols = enc.dtype === 'uint8' ? new Uint8Array(n) : new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const q = Math.max(0, Math.min(top, rne((values[i] - enc.min) / enc.scale)));
    symbols[i] = q;
    decoded[i] = q * enc.scale + enc.min;
  }
  return { encoding: enc, symbols, decoded, warnings: [] };
}
