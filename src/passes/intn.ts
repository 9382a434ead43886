/**
 * intN group codecs (N in 2..8): each output channel's weights, in input-index order, in
 * groups of `groupSize`, each group with its own float16 scale (and, affine, zero code).
 * The layout (which group a weight is in) is IntNGrid's, in types.ts; codes.ts walks it.
 *
 * The round-to-nearest grid of a group spans [min(0, lo), max(0, hi)] of its finite
 * values, so 0.0 is always a code and pruned weights stay exactly 0:
 * - symmetric: scale = max|v| / (2^(N-1) - 1), q in [-(2^(N-1) - 1), 2^(N-1) - 1];
 * - affine: scale = (hi - lo) / (2^N - 1), zero = round(-lo / scale), q in [0, 2^N - 1];
 * each scale rounded up to a float16 (so the grid still covers the group: |error| <=
 * scale / 2), at least 2^-24 (the smallest float16), and 1 for a group of zeros.
 * Codes round half to even and clamp to the range; a value already on the grid keeps its
 * code exactly (x / scale is then an exact integer), which is what lets a solver hand its
 * codes over as values on a grid it fixed (encodeIntN with `grid`).
 *
 * Non-finite values are refused unless allowed; then the grid comes from the finite
 * values, NaN takes the code of 0.0 and ±Infinity the end codes.
 */
import { McError } from '../errors.js';
import { FLOAT16_MAX, decodeTable, toFloat16Bits } from '../model/float16.js';
import { type GroupLayout, decodeIntN, forEachRun, groupLayout } from './codes.js';
import type { EncodeStats, Encoded, IntNGrid, WeightTensor } from './types.js';
import { withLazyDecoded } from './types.js';

/** The group layout and group-index helpers, for solvers that walk a tensor by channel and input index. */
export { type GroupLayout, elementIndex, groupIndex, groupLayout } from './codes.js';
/** The grid type (defined beside Encoding). */
export type { IntNGrid } from './types.js';

/** Options of the intN codecs. */
export interface IntNOptions {
  /** Bits per code, 2..8. */
  bits: number;
  /** Consecutive input-axis weights of one output channel per scale; >= the channel's length means one scale per channel. */
  groupSize: number;
  /** Symmetric grid (no zero codes) instead of affine. */
  symmetric: boolean;
  /** Encode NaN/Infinity instead of failing. */
  allowNonfinite: boolean;
}

/** 1.5 * 2^52: x + RNE - RNE is x rounded half to even, for |x| < 2^51. */
const RNE = 6755399441055744;
/** Smallest positive float16 (subnormal): the floor of scales. */
const F16_MIN = 2 ** -24;

/** The smallest float16 >= x (x > 0, finite); Infinity past the float16 range. */
export function float16Up(x: number): number {
  if (x <= F16_MIN) return F16_MIN;
  const t = decodeTable();
  let h = toFloat16Bits(x);
  if (t[h] < x) h++;
  return t[h];
}

/** Check bits and group size, and the axis against the shape; returns the axis made non-negative. */
function checkOptions(t: WeightTensor, axis: number | null, o: IntNOptions): number | null {
  const at = `tensor "${t.name}"`;
  if (!(Number.isInteger(o.bits) && o.bits >= 2 && o.bits <= 8)) throw new McError('USAGE', `${at}: expected bits in 2..8, found ${o.bits}`);
  if (!(Number.isInteger(o.groupSize) && o.groupSize >= 1)) throw new McError('USAGE', `${at}: expected a group size >= 1, found ${o.groupSize}`);
  const rank = t.shape.length;
  const count = t.shape.reduce((a, d) => a * d, 1);
  if (count !== t.values.length) throw new McError('SIZE_MISMATCH', `${at}: shape [${t.shape.join(', ')}] has ${count} elements, found ${t.values.length} values`);
  if (axis === null) return null;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) throw new McError('USAGE', `${at}: expected an output-channel axis in [${-rank}, ${rank - 1}] for shape [${t.shape.join(', ')}], found ${axis}`);
  return axis < 0 ? axis + rank : axis;
}

/** Count NaN/Infinity; throw BAD_VALUE unless allowed. */
function checkFinite(t: WeightTensor, allow: boolean): number {
  let count = 0;
  let first = -1;
  const v = t.values;
  for (let i = 0; i < v.length; i++) {
    if (v[i] - v[i] !== 0 && count++ === 0) first = i;
  }
  if (count > 0 && !allow) {
    throw new McError('BAD_VALUE', `tensor "${t.name}": expected finite values, found ${count} NaN/Infinity (first at index ${first}); pass --allow-nonfinite to keep them`);
  }
  return count;
}

/** The scale (and zero code) of a group of finite range [lo, hi] (lo <= 0 <= hi). */
function groupScale(lo: number, hi: number, bits: number, symmetric: boolean, name: string): { s: number; z: number } {
  if (lo === 0 && hi === 0) return { s: 1, z: 0 };
  const steps = symmetric ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
  const s = float16Up(symmetric ? Math.max(-lo, hi) / steps : (hi - lo) / steps);
  if (!(s <= FLOAT16_MAX)) {
    throw new McError('BAD_VALUE', `tensor "${name}": values up to ${Math.max(-lo, hi)} need an int${bits} scale beyond the float16 range (${FLOAT16_MAX}); keep this tensor int8 or float32`);
  }
  if (symmetric) return { s, z: 0 };
  const z = -lo / s + RNE - RNE;
  return { s, z: Math.min(steps, Math.max(0, z)) };
}

/** The grid round-to-nearest uses for `t` with output channels along `axis` (null: one channel). See the file comment. */
export function intnGrid(t: WeightTensor, axis: number | null, o: IntNOptions): IntNGrid {
  const ax = checkOptions(t, axis, o);
  checkFinite(t, o.allowNonfinite);
  return rtnGrid(t, ax, o, groupLayout(t.shape, ax, o.groupSize));
}

/** intnGrid once the options and values are checked. */
function rtnGrid(t: WeightTensor, ax: number | null, o: IntNOptions, l: GroupLayout): IntNGrid {
  const n = l.dim * l.groups;
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  const v = t.values;
  forEachRun(l, (start, end, g) => {
    let a = lo[g];
    let b = hi[g];
    for (let i = start; i < end; i++) {
      const x = v[i];
      // NaN fails both tests; ±Infinity is skipped so the range stays finite.
      if (x < a && x !== -Infinity) a = x;
      if (x > b && x !== Infinity) b = x;
    }
    lo[g] = a;
    hi[g] = b;
  });
  const scales = new Float32Array(n);
  const zeros = o.symmetric ? null : new Uint8Array(n);
  for (let g = 0; g < n; g++) {
    const r = groupScale(lo[g], hi[g], o.bits, o.symmetric, t.name);
    scales[g] = r.s;
    if (zeros) zeros[g] = r.z;
  }
  return { bits: o.bits, symmetric: o.symmetric, axis: ax, groupSize: l.groupSize, scales, zeros };
}

/** Check that `grid` fits `t` and the options (a solver's grid is trusted for nothing). */
function checkGrid(t: WeightTensor, ax: number | null, o: IntNOptions, grid: IntNGrid, l: GroupLayout): void {
  const at = `tensor "${t.name}"`;
  const n = l.dim * l.groups;
  const ok = grid.bits === o.bits && grid.symmetric === o.symmetric && grid.axis === ax && grid.groupSize === l.groupSize && grid.scales.length === n;
  if (!ok) {
    throw new McError('USAGE', `${at}: the grid given (int${grid.bits}, ${grid.symmetric ? 'symmetric' : 'affine'}, axis ${grid.axis}, groups of ${grid.groupSize}, ${grid.scales.length} scales) does not fit int${o.bits} ${o.symmetric ? 'symmetric' : 'affine'}, axis ${ax}, groups of ${l.groupSize} (${n} scales)`);
  }
  if (o.symmetric ? grid.zeros !== null : grid.zeros === null || grid.zeros.length !== n) throw new McError('USAGE', `${at}: ${o.symmetric ? 'a symmetric grid has no zero codes' : `an affine grid needs ${n} zero codes`}`);
  const t16 = decodeTable();
  const top = (1 << o.bits) - 1;
  for (let g = 0; g < n; g++) {
    const s = grid.scales[g];
    if (!(s > 0 && s <= FLOAT16_MAX) || t16[toFloat16Bits(s)] !== s) throw new McError('USAGE', `${at}: grid scale ${g} is ${s}, expected a positive float16 value`);
    if (grid.zeros && grid.zeros[g] > top) throw new McError('USAGE', `${at}: grid zero code ${g} is ${grid.zeros[g]}, outside [0, ${top}]`);
  }
}

/**
 * Quantize `t` onto `grid` (default: intnGrid(t, axis, o)): round half to even, clamp to
 * the range; values on the grid keep their codes exactly. Symbols are the bytes
 * (q - zero) mod 256 (symmetric: q mod 256), so 0.0 is byte 0 in every group.
 */
export function encodeIntN(t: WeightTensor, axis: number | null, o: IntNOptions, grid?: IntNGrid): Encoded {
  const ax = checkOptions(t, axis, o);
  const l = groupLayout(t.shape, ax, o.groupSize);
  const nf = checkFinite(t, o.allowNonfinite);
  if (grid) checkGrid(t, ax, o, grid, l);
  const g0 = grid ?? rtnGrid(t, ax, o, l);
  const { scales, zeros } = g0;
  const v = t.values;
  const sym = new Uint8Array(v.length);
  const lowest = zeros ? 0 : -((1 << (o.bits - 1)) - 1);
  const highest = zeros ? (1 << o.bits) - 1 : (1 << (o.bits - 1)) - 1;
  // Statistics in a typed array (not closure variables, which the hot loop would reach through a context).
  const acc = new Float64Array(4);
  if (l.inner === 1) {
    // Channels on the last axis (Dense, Conv): row j holds input index j of every channel;
    // the loop of encodeRange, inlined, since every run here is one element.
    let [inputZeros, dz, maxError, sumSq] = acc;
    for (let i = 0, j = 0; i < v.length; j++) {
      const gj = Math.floor(j / l.groupSize);
      for (let c = 0, g = gj; c < l.dim; c++, i++, g += l.groups) {
        const s = scales[g];
        const z = zeros ? zeros[g] : 0;
        const x = v[i];
        const r = x / s + z;
        const q = r > highest ? highest : r < lowest ? lowest : r === r ? r + RNE - RNE : z;
        sym[i] = (q - z) & 255;
        const d = (q - z) * s;
        inputZeros += +(x === 0);
        dz += +(d === 0);
        const e = Math.abs(d - x);
        if (e > maxError) maxError = e;
        sumSq += e * e;
      }
    }
    acc.set([inputZeros, dz, maxError, sumSq]);
  } else {
    forEachRun(l, (start, end, g) => encodeRange(v, start, end, scales[g], zeros ? zeros[g] : 0, lowest, highest, sym, acc));
  }
  const stats: EncodeStats = { inputZeros: acc[0], zeros: acc[1], maxError: acc[2], sumSq: acc[3] };
  const warnings: string[] = [];
  if (nf > 0) warnings.push(`tensor "${t.name}": stored ${nf} NaN/Infinity value(s) as int${o.bits} codes (NaN as 0.0, ±Infinity as the end codes) (--allow-nonfinite)`);
  const encoding = { kind: 'intn' as const, ...g0 };
  return withLazyDecoded({ encoding, symbols: sym, warnings, stats }, () => {
    const out = new Float32Array(sym.length);
    decodeIntN(sym, l, o.bits, scales, zeros, out);
    return out;
  });
}

/**
 * Codes of v[start, end) on scale `s` and zero code `z` (q clamped to [lowest, highest]),
 * as bytes (q - z) mod 256 into `sym`; adds input zeros, decoded zeros, the largest error
 * and the squared errors to acc[0..3].
 */
function encodeRange(v: Float32Array, start: number, end: number, s: number, z: number, lowest: number, highest: number, sym: Uint8Array, acc: Float64Array): void {
  let [inputZeros, zeros, maxError, sumSq] = acc;
  for (let i = start; i < end; i++) {
    const x = v[i];
    const r = x / s + z;
    // Clamped first (±Infinity too), then rounded half to even; NaN takes the code of 0.0.
    const q = r > highest ? highest : r < lowest ? lowest : r === r ? r + RNE - RNE : z;
    sym[i] = (q - z) & 255;
    const d = (q - z) * s;
    inputZeros += +(x === 0);
    zeros += +(d === 0);
    const e = Math.abs(d - x);
    if (e > maxError) maxError = e;
    sumSq += e * e;
  }
  acc[0] = inputZeros;
  acc[1] = zeros;
  acc[2] = maxError;
  acc[3] = sumSq;
}

/** The values an intN encoding decodes to (as the .mcz reader and the loader compute them). */
export function intnDecode(symbols: Uint8Array, shape: readonly number[], grid: IntNGrid): Float32Array {
  const out = new Float32Array(symbols.length);
  decodeIntN(symbols, groupLayout(shape, grid.axis, grid.groupSize), grid.bits, grid.scales, grid.zeros, out);
  return out;
}
