/**
 * The math of symmetric int8 quantization (the TFLite weight spec: q in [-127, 127], zero
 * point 0, value = q * scale), one scale per tensor or one per slice along an axis.
 * Rounding is half to even, like the affine pass (numpy's np.round).
 */
import { roundHalfEven, stepFloat32 } from './affine.js';

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

/** Symmetric int8 codes of one tensor, their scales, and the values they decode to. */
export interface Int8Codes {
  q: Int8Array;
  scales: Float32Array;
  decoded: Float32Array;
}

/**
 * Quantize `values` of `shape` with one scale per slice along `axis` (null: one scale).
 * The tensor is walked as [outer, dim, inner] (dim = shape[axis]), so any axis of any
 * rank costs one pass for the maxima and one for the codes. NaN takes code 0 (exactly
 * 0.0), ±Infinity the codes ±127; maxima come from finite values only, and in a slice
 * with no finite non-zero value every element takes code 0.
 * `stockDecode`: decode as stock tfjs would the uint8 form (q + 128, min = -128 * scale),
 * fround((q + 128) * scale + min); it equals fround(q * scale), since both products are
 * exact in double, but it is computed that way so the claim is tested, not assumed.
 */
export function int8Encode(values: Float32Array, shape: readonly number[], axis: number | null, stockDecode: boolean): Int8Codes {
  const n = values.length;
  const dim = axis === null ? 1 : shape[axis];
  let inner = 1;
  if (axis !== null) for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  else inner = n;
  const outer = dim * inner === 0 ? 0 : n / (dim * inner);

  const maxAbs = new Float64Array(dim);
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < dim; c++) {
      let m = maxAbs[c];
      for (let k = 0; k < inner; k++, i++) {
        const a = Math.abs(values[i]);
        if (a > m && a !== Infinity) m = a; // NaN fails a > m
      }
      maxAbs[c] = m;
    }
  }
  const scales = new Float32Array(dim);
  for (let c = 0; c < dim; c++) scales[c] = int8Scale(maxAbs[c]);

  const q = new Int8Array(n);
  const decoded = new Float32Array(n);
  const used = new Uint8Array(dim); // 1 when a slice has a non-zero code
  i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < dim; c++) {
      const s = scales[c];
      const stockMin = -128 * s;
      const empty = maxAbs[c] === 0; // scale 1 means nothing here: ±Infinity would decode to ±127
      for (let k = 0; k < inner; k++, i++) {
        const v = values[i];
        let r = empty || v !== v ? 0 : roundHalfEven(v / s);
        if (r > 127) r = 127;
        else if (r < -127) r = -127;
        q[i] = r;
        if (r !== 0) used[c] = 1;
        // From the stored code, so a -0 from rounding a tiny negative decodes as +0, as a loader's would.
        decoded[i] = stockDecode ? (q[i] + 128) * s + stockMin : q[i] * s;
      }
    }
  }
  // A slice that rounds to all zeros decodes like an all-zero one, so it takes scale 1 too.
  for (let c = 0; c < dim; c++) if (!used[c]) scales[c] = 1;
  return { q, scales, decoded };
}
