/**
 * The math of symmetric int8 quantization (the TFLite weight spec: q in [-127, 127], zero
 * point 0, value = q * scale), one scale per tensor or one per slice along an axis.
 * Rounding is half to even, like the affine pass (numpy's np.round).
 */
import { stepFloat32 } from './affine.js';
import type { EncodeStats } from './types.js';

/** 1.5 * 2^52: x + RNE - RNE is x rounded half to even, for |x| < 2^51 (doubles round to nearest even). */
const RNE = 6755399441055744;

/** Smallest normal float32: the floor of int8 scales. */
const F32_MIN_NORMAL = 2 ** -126;

/**
 * The float32 scale of a slice whose largest |value| is `maxAbs`: fround(maxAbs / 127),
 * or 1 for an all-zero slice (any scale decodes 0 there; 1 is a plain, valid float32).
 * Never below 2^-126: a subnormal scale has too few bits for the decoded maximum to
 * re-derive it, so slices under 127 * 2^-126 (~1.5e-36) share that floor (their error
 * stays within scale/2; a slice that then rounds to all zeros takes scale 1, see
 * int8Encode). Why the loop: a second pass sees max |v| = fround(127 * scale) and must
 * derive the same scale. That holds for fround(m / 127) of any float32 m, but at the
 * float32 limit 127 * scale overflows to Infinity, so the scale steps down, to a float32
 * for which it holds again (checked here, not assumed).
 */
export function int8Scale(maxAbs: number): number {
  if (maxAbs === 0) return 1;
  let s = Math.max(Math.fround(maxAbs / 127), F32_MIN_NORMAL);
  let dir: 1 | -1 = 1;
  for (let k = 0; k < 8 && s > F32_MIN_NORMAL; k++) {
    const top = Math.fround(127 * s);
    if (top === Infinity) dir = -1;
    else if (Math.fround(top / 127) === s) break;
    s = stepFloat32(s, dir);
  }
  return s;
}

/**
 * The int8 code of x = value / scale: clipped first (±Infinity too), then rounded half to
 * even by adding and subtracting 1.5 * 2^52 (exact for |x| < 2^51), which also turns -0
 * into +0, as a loader's decode of the stored code would; NaN takes code 0.
 */
function code(x: number): number {
  return x > 127 ? 127 : x < -127 ? -127 : x === x ? x + RNE - RNE : 0;
}

/** Non-finite values seen by a scan: how many, and the first index (-1: none). */
export interface NonFinite {
  count: number;
  first: number;
}

/** max(m, largest finite |values[i]|) over [start, end); NaN and ±Infinity are skipped and counted in `nf`. */
function maxAbsOf(values: Float32Array, start: number, end: number, m: number, nf: NonFinite): number {
  let count = 0;
  let first = -1;
  for (let i = start; i < end; i++) {
    const a = Math.abs(values[i]);
    if (a > m && a !== Infinity) m = a; // NaN fails a > m
    if (!(a < Infinity)) {
      if (count++ === 0) first = i;
    }
  }
  if (count > 0 && nf.first < 0) nf.first = first;
  nf.count += count;
  return m;
}

/** Statistics of decoded values against the input, gathered while encoding (see EncodeStats). */
function newStats(): EncodeStats {
  return { inputZeros: 0, zeros: 0, maxError: 0, sumSq: 0 };
}

/**
 * Codes (and, unless null, decoded values) of values[start, end) at scale `s`, with the
 * statistics of the decoded values d (as a loader computes them, then stored as float32)
 * against the input added to `st`; returns non-zero when a code is.
 */
function encodeRange(values: Float32Array, start: number, end: number, s: number, stockDecode: boolean, q: Int8Array, decoded: Float32Array | null, st: EncodeStats): number {
  let nonzero = 0;
  let { inputZeros, zeros, maxError, sumSq } = st;
  // Stock decode: (q + 128) * s + (-128 * s), what stock tfjs computes from the uint8 form.
  const off = stockDecode ? 128 : 0;
  const m = stockDecode ? -128 * s : 0;
  for (let i = start; i < end; i++) {
    const v = values[i];
    const r = code(v / s);
    q[i] = r;
    nonzero |= r;
    const d = Math.fround((r + off) * s + m);
    if (decoded !== null) decoded[i] = d;
    inputZeros += +(v === 0);
    zeros += +(d === 0);
    const e = Math.abs(d - v);
    if (e > maxError) maxError = e;
    sumSq += e * e;
  }
  st.inputZeros = inputZeros;
  st.zeros = zeros;
  st.maxError = maxError;
  st.sumSq = sumSq;
  return nonzero;
}

/** Statistics of a slice that decodes to zeros (no finite non-zero value), added to `st`. */
function zeroRange(values: Float32Array, start: number, end: number, st: EncodeStats): void {
  for (let i = start; i < end; i++) {
    const v = values[i];
    st.inputZeros += +(v === 0);
    st.zeros++;
    const e = Math.abs(0 - v);
    if (e > st.maxError) st.maxError = e;
    st.sumSq += e * e;
  }
}

/** Symmetric int8 codes of one tensor, their scales, and the values they decode to. */
export interface Int8Codes {
  q: Int8Array;
  scales: Float32Array;
  /** Null when not asked for (int8Decode gives the same values later). */
  decoded: Float32Array | null;
  /** The decoded values against the input (see EncodeStats). */
  stats: EncodeStats;
  /** NaN and ±Infinity among the input. */
  nonfinite: NonFinite;
}

/**
 * Quantize `values` of `shape` with one scale per slice along `axis` (null: one scale).
 * The tensor is walked as [outer, dim, inner] (dim = shape[axis]), so any axis of any
 * rank costs one pass for the maxima (counting NaN and ±Infinity on the way) and one for
 * the codes and the statistics of what they decode to. NaN takes code 0 (exactly 0.0),
 * ±Infinity the codes ±127; maxima come from finite values only, and in a slice with no
 * finite non-zero value every element takes code 0.
 * `stockDecode`: decode as stock tfjs would the uint8 form (q + 128, min = -128 * scale),
 * fround((q + 128) * scale + min); it equals fround(q * scale), since both products are
 * exact in double, but it is computed that way so the claim is tested, not assumed.
 * `withDecoded` false skips the decoded values (a pipeline that only writes the codes
 * saves their memory; int8Decode computes the same values on request).
 */
export function int8Encode(values: Float32Array, shape: readonly number[], axis: number | null, stockDecode: boolean, withDecoded = true): Int8Codes {
  const n = values.length;
  const dim = axis === null ? 1 : shape[axis];
  let inner = 1;
  if (axis !== null) for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  else inner = n;
  const outer = dim * inner === 0 ? 0 : n / (dim * inner);
  const lastAxis = inner === 1 && dim > 1;

  const maxAbs = new Float64Array(dim);
  const nonfinite: NonFinite = { count: 0, first: -1 };
  if (lastAxis) {
    // Channels on the last axis (Dense and Conv kernels): count through them per element.
    for (let i = 0, c = 0; i < n; i++) {
      const a = Math.abs(values[i]);
      if (a > maxAbs[c] && a !== Infinity) maxAbs[c] = a; // NaN fails a > m
      if (!(a < Infinity) && nonfinite.count++ === 0) nonfinite.first = i;
      if (++c === dim) c = 0;
    }
  } else {
    for (let o = 0, i = 0; o < outer; o++) for (let c = 0; c < dim; c++, i += inner) maxAbs[c] = maxAbsOf(values, i, i + inner, maxAbs[c], nonfinite);
  }
  const scales = new Float32Array(dim);
  for (let c = 0; c < dim; c++) scales[c] = int8Scale(maxAbs[c]);

  const q = new Int8Array(n);
  const decoded = withDecoded ? new Float32Array(n) : null;
  const used = new Uint8Array(dim); // 1 when a slice has a non-zero code
  const st = newStats();
  if (lastAxis) {
    let { inputZeros, zeros, maxError, sumSq } = st;
    for (let i = 0, c = 0; i < n; i++) {
      const s = scales[c];
      const v = values[i];
      // An all-zero slice: scale 1 means nothing there, so ±Infinity must not decode to ±127.
      const r = maxAbs[c] === 0 ? 0 : code(v / s);
      q[i] = r;
      used[c] |= +(r !== 0); // no branch: pruned zeros lie at random
      const d = Math.fround(stockDecode ? (r + 128) * s + -128 * s : r * s);
      if (decoded) decoded[i] = d;
      inputZeros += +(v === 0);
      zeros += +(d === 0);
      const e = Math.abs(d - v);
      if (e > maxError) maxError = e;
      sumSq += e * e;
      if (++c === dim) c = 0;
    }
    Object.assign(st, { inputZeros, zeros, maxError, sumSq });
  } else {
    for (let o = 0, i = 0; o < outer; o++) {
      for (let c = 0; c < dim; c++, i += inner) {
        // An all-zero slice: scale 1 means nothing there, so ±Infinity must not decode to ±127.
        if (maxAbs[c] === 0) zeroRange(values, i, i + inner, st);
        else if (encodeRange(values, i, i + inner, scales[c], stockDecode, q, decoded, st) !== 0) used[c] = 1;
      }
    }
  }
  // A slice that rounds to all zeros decodes like an all-zero one, so it takes scale 1 too.
  for (let c = 0; c < dim; c++) if (!used[c]) scales[c] = 1;
  return { q, scales, decoded, stats: st, nonfinite };
}

/**
 * int8 values as the pass decodes them: per tensor as stock tfjs decodes the uint8 form,
 * fround((q + 128) * s + (-128 * s)); per channel fround(q * s[c]), walking the tensor as
 * [outer, dim, inner] around the axis.
 */
export function int8Decode(q: Int8Array, shape: readonly number[], axis: number | null, scales: Float32Array): Float32Array {
  const out = new Float32Array(q.length);
  if (axis === null) {
    const s = scales[0];
    const min = -128 * s;
    for (let i = 0; i < q.length; i++) out[i] = (q[i] + 128) * s + min;
    return out;
  }
  const dim = shape[axis];
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  if (inner === 1) {
    // Channel on the last axis (Dense and Conv kernels): count through the channels.
    for (let i = 0, c = 0; i < q.length; i++) {
      out[i] = q[i] * scales[c];
      if (++c === dim) c = 0;
    }
    return out;
  }
  const outer = dim * inner === 0 ? 0 : q.length / (dim * inner);
  for (let o = 0, i = 0; o < outer; o++) {
    for (let c = 0; c < dim; c++) {
      const s = scales[c];
      for (let k = 0; k < inner; k++, i++) out[i] = q[i] * s;
    }
  }
  return out;
}

/** q + 128 (mod 256) in place, i.e. int8 codes to the stock uint8 form: flip bit 7 of every byte, four at a time. */
export function flipSignBits(q: Uint8Array): void {
  let i = 0;
  if (q.byteOffset % 4 === 0) {
    const words = new Uint32Array(q.buffer, q.byteOffset, q.length >>> 2);
    for (let k = 0; k < words.length; k++) words[k] ^= 0x80808080;
    i = words.length * 4;
  }
  for (; i < q.length; i++) q[i] ^= 0x80;
}
