/**
 * The quantize passes, each a pure function over one float32 tensor: float16, per-tensor
 * affine uint8/uint16 (the stock tfjs form, as the Python converter computes it), and
 * symmetric int8 per tensor or per channel. Their math lives in affine.ts and int8.ts.
 *
 * Guarantees, all property-tested: an exact 0.0 decodes to exactly 0; quantizing the
 * decoded values again with the same options gives the same symbols and encoding
 * (idempotence; affine: except at the float32 limit, see affine.ts); `decoded` is
 * exactly what a loader gets back (stock tfjs for float16, affine, and per-tensor int8
 * stored as uint8).
 *
 * Non-finite values (NaN, ±Infinity). By default every pass refuses them (BAD_VALUE,
 * naming the tensor, how many and the first index): a model that carries a NaN weight
 * outputs NaN, and silently turning it into a number would hide that. With
 * allowNonfinite:
 * - float16 keeps them as float16 NaN / ±Infinity (the format has them);
 * - affine and int8 take their range (min/max, max |v|) from the finite values only and
 *   store NaN as the code of 0.0 (affine: the code nearest 0.0 when the range excludes
 *   0), +Infinity as the top code and -Infinity as the bottom code, so they decode to
 *   finite values; where the finite values leave one code (a zero-range affine tensor,
 *   an int8 slice with no finite non-zero value) all take that code, and a tensor with
 *   no finite value at all decodes to zeros.
 * Each pass then pushes one warning naming the tensor.
 */
import { McError } from '../errors.js';
import { F16_NORMAL_HI, F16_NORMAL_LO, FLOAT16_MAX, decodeTable, float16FromBits, float16FromNormalBits, float16ToFloat32 } from '../model/float16.js';
import { affineEncode } from './affine.js';
import { flipSignBits, int8Decode, int8Encode } from './int8.js';
import { type Encoded, type WeightTensor, withLazyDecoded } from './types.js';

/** float16 bits of +65504 (the largest finite float16); | 0x8000 for -65504. */
const FLOAT16_MAX_BITS = 0x7bff;

/** The error for `count` NaN/Infinity values in a tensor, the first at index `first`. */
function nonFiniteError(name: string, count: number, first: number): McError {
  return new McError('BAD_VALUE', `tensor "${name}": expected finite values, found ${count} NaN/Infinity (first at index ${first}); pass --allow-nonfinite to keep them`);
}

/** Count the non-finite values of `t`; throw BAD_VALUE unless allowed. */
function checkFinite(t: WeightTensor, allowNonfinite: boolean | undefined): number {
  const v = t.values;
  let count = 0;
  let first = -1;
  for (let i = 0; i < v.length; i++) {
    if (v[i] - v[i] !== 0) {
      // x - x is NaN exactly for NaN and ±Infinity.
      if (first < 0) first = i;
      count++;
    }
  }
  if (count > 0 && !allowNonfinite) throw nonFiniteError(t.name, count, first);
  return count;
}

/** Options of the float16 pass. */
export interface Float16Options {
  allowNonfinite?: boolean;
}

/**
 * IEEE half precision, round to nearest even (subnormals included). Finite values beyond
 * ±65504 saturate to ±65504 with one warning, instead of becoming Infinity.
 */
export function quantizeFloat16(t: WeightTensor, opts: Float16Options): Encoded {
  const v = t.values;
  // On the bit patterns (a view, no copy): |x| > 65504 and finite is 0x477fe000 < |bits| < 0x7f800000.
  // The float16 normal range, by far the most common, is converted inline; the same pass
  // counts non-finite values and gathers the statistics of the decoded values.
  const u = new Uint32Array(v.buffer, v.byteOffset, v.length);
  const bits = new Uint16Array(v.length);
  const table = decodeTable();
  let saturated = 0;
  let nonfinite = 0;
  let first = -1;
  let inputZeros = 0;
  let zeros = 0;
  let maxError = 0;
  let sumSq = 0;
  for (let i = 0; i < u.length; i++) {
    const x = u[i];
    const a = x & 0x7fffffff;
    let h: number;
    if (a >= F16_NORMAL_LO && a <= F16_NORMAL_HI) {
      h = ((x >>> 16) & 0x8000) | float16FromNormalBits(a);
    } else if (a > F16_NORMAL_HI && a < 0x7f800000) {
      h = FLOAT16_MAX_BITS | ((x >>> 16) & 0x8000);
      saturated++;
    } else {
      h = float16FromBits(x);
      if (a >= 0x7f800000 && nonfinite++ === 0) first = i;
    }
    bits[i] = h;
    const w = v[i];
    const d = table[h];
    inputZeros += +(w === 0);
    zeros += +(d === 0);
    const e = Math.abs(d - w);
    if (e > maxError) maxError = e;
    sumSq += e * e;
  }
  if (nonfinite > 0 && !opts.allowNonfinite) throw nonFiniteError(t.name, nonfinite, first);
  const warnings: string[] = [];
  if (saturated > 0) {
    warnings.push(`tensor "${t.name}": ${saturated} value(s) beyond ±${FLOAT16_MAX} (the float16 range) saturated to ±${FLOAT16_MAX}`);
  }
  if (nonfinite > 0) {
    warnings.push(`tensor "${t.name}": kept ${nonfinite} NaN/Infinity value(s) as float16 NaN/Infinity (--allow-nonfinite)`);
  }
  const stats = { inputZeros, zeros, maxError, sumSq };
  return withLazyDecoded({ encoding: { kind: 'float16' }, symbols: bits, warnings, stats }, () => float16ToFloat32(bits));
}

/** Options of the affine pass. */
export interface AffineOptions {
  dtype: 'uint8' | 'uint16';
  allowNonfinite?: boolean;
}

/**
 * Per-tensor affine uint8 / uint16 exactly as the tfjs converter (range nudged so 0.0 is
 * a code), decoded as stock tfjs does: fround(q * scale + min). See affine.ts for the one
 * float32 snap of the range ends that makes it idempotent.
 */
export function quantizeAffine(t: WeightTensor, opts: AffineOptions): Encoded {
  if (opts.dtype !== 'uint8' && opts.dtype !== 'uint16') {
    throw new McError('USAGE', `tensor "${t.name}": expected affine dtype uint8 or uint16, found ${JSON.stringify(opts.dtype)}`);
  }
  const nonfinite = checkFinite(t, opts.allowNonfinite);
  const v = t.values;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x - x !== 0) continue;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (lo > hi) lo = hi = 0; // no finite value (or no value): all zeros
  const r = affineEncode(v, lo, hi, opts.dtype === 'uint8' ? 255 : 65535);
  const warnings: string[] = [];
  if (nonfinite > 0) {
    warnings.push(
      `tensor "${t.name}": stored ${nonfinite} NaN/Infinity value(s) as ${opts.dtype} codes (NaN as 0.0 or the code nearest it, +Infinity the top code, -Infinity the bottom code) (--allow-nonfinite)`,
    );
  }
  if (!r.idempotent) {
    for (let i = 0; i < v.length; i++) {
      if (r.decoded[i] - r.decoded[i] !== 0 && v[i] - v[i] === 0) {
        throw new McError(
          'BAD_VALUE',
          `tensor "${t.name}": values span [${lo}, ${hi}], too close to the float32 limit for ${opts.dtype} with 0.0 kept exact (value ${v[i]} at index ${i} would decode to ${r.decoded[i]}); use int8 or keep this tensor float32`,
        );
      }
    }
    warnings.push(`tensor "${t.name}": no ${opts.dtype} grid found that re-quantizes to itself; kept the converter's grid`);
  }
  return {
    encoding: { kind: 'affine', dtype: opts.dtype, scale: r.scale, min: r.min + 0 },
    symbols: r.q,
    decoded: r.decoded,
    warnings,
  };
}

/** Options of the int8 pass. */
export interface Int8Options {
  /** Per-channel axis (negative counts from the end); null: one scale per tensor. */
  axis: number | null;
  allowNonfinite?: boolean;
}

/**
 * Symmetric int8 (q in [-127, 127], zero point 0, scale = max|v| / 127 as a float32, at
 * least 2^-126), one scale per tensor or per slice along `axis`; a tensor or slice whose
 * codes are all 0 (all zeros, or all below 2^-127) gets scale 1 (see int8.ts).
 * Per tensor, `decoded` is what stock tfjs decodes from the uint8 form (int8ToStockUint8).
 */
export function quantizeInt8(t: WeightTensor, opts: Int8Options): Encoded {
  const rank = t.shape.length;
  let axis = opts.axis;
  if (axis !== null) {
    if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
      throw new McError('USAGE', `tensor "${t.name}": expected a per-channel axis in [${-rank}, ${rank - 1}] for shape [${t.shape.join(', ')}], found ${axis}`);
    }
    if (axis < 0) axis += rank;
  }
  const count = t.shape.reduce((a, d) => a * d, 1);
  if (count !== t.values.length) {
    throw new McError('SIZE_MISMATCH', `tensor "${t.name}": shape [${t.shape.join(', ')}] has ${count} elements, found ${t.values.length} values`);
  }
  // The non-finite check rides on the pass for the maxima; the message is checkFinite's.
  const r = int8Encode(t.values, t.shape, axis, axis === null, false);
  const nonfinite = r.nonfinite.count;
  if (nonfinite > 0 && !opts.allowNonfinite) throw nonFiniteError(t.name, nonfinite, r.nonfinite.first);
  const warnings: string[] = [];
  if (nonfinite > 0) {
    warnings.push(`tensor "${t.name}": stored ${nonfinite} NaN/Infinity value(s) as int8 codes (NaN as 0, +Infinity as 127, -Infinity as -127) (--allow-nonfinite)`);
  }
  const shape = t.shape;
  return withLazyDecoded({ encoding: { kind: 'int8', axis, scales: r.scales }, symbols: r.q, warnings, stats: r.stats }, () => int8Decode(r.q, shape, axis, r.scales));
}

/**
 * Per-tensor int8 in the stock form: uint8 q + 128 with min = -128 * scale, so stock tfjs
 * decodes q * scale. `inPlace`: flip the codes where they are (enc.symbols then holds the
 * uint8 form; for a caller that is done with `enc`) instead of in a copy.
 */
export function int8ToStockUint8(enc: Encoded, name?: string, inPlace = false): { q: Uint8Array; scale: number; min: number } {
  const e = enc.encoding;
  const at = name === undefined ? 'tensor' : `tensor "${name}"`;
  if (e.kind !== 'int8' || !(enc.symbols instanceof Int8Array)) {
    throw new McError('USAGE', `${at}: expected an int8 encoding, found ${e.kind}`);
  }
  if (e.axis !== null) {
    throw new McError(
      'UNSUPPORTED',
      `${at}: per-channel int8 (axis ${e.axis}, ${e.scales.length} scales) cannot be stored in a stock tfjs manifest, which holds one scale and min per tensor; write -o model.mcz to keep per-channel scales, or drop --per-channel`,
    );
  }
  const s = enc.symbols;
  const codes = new Uint8Array(s.buffer, s.byteOffset, s.length);
  const q = inPlace ? codes : codes.slice();
  flipSignBits(q);
  const scale = e.scales[0];
  return { q, scale, min: -128 * scale };
}
