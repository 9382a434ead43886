/**
 * The math of per-tensor affine quantization (value = q * scale + min, q in [0, qmax]),
 * the stock tfjs uint8 / uint16 form. The grid is the tfjs Python converter's
 * (tensorflowjs/quantization.py, in float64):
 *   scale = (max - min) / qmax; when min <= 0 <= max, zp = round_half_even(-min / scale),
 *   min' = -zp * scale, max' = qmax * scale + min'; q = round_half_even((clip(v, min',
 *   max') - min') / scale). A zero-range tensor (min == max) is all q = 0, scale 1.
 *
 * One change, for idempotence: stock tfjs decodes q * scale + min into a float32, so a
 * second pass over what was decoded sees float32 end points and, for some nudged grids
 * (about a quarter of random mixed-sign tensors, measured), derives a scale that differs
 * in the last bits (it re-derives from fround(min') and
 * fround(max'), not min' and max'). So the converter's grid is kept only when it is
 * already a fixed point (re-quantizing its decoded values gives the same scale, min and
 * q: checked, O(n)); otherwise the first of a few nearby grids that is one is used
 * (fallbackEnds: one end rounded to float32, or a neighbour, the other derived so 0.0
 * stays a code): its ends move by about one float32 ulp and every error stays within
 * scale/2 (+ 2^-23 |v| for the float32 ends). Only at the float32 limit (|v| near 3.4e38
 * with 0 in range) may none exist; then the converter's grid is kept (`idempotent`
 * false).
 */

/** Largest finite float32. */
const F32_MAX = 3.4028234663852886e38;
/** Smallest positive float32 (subnormal). */
const F32_MIN_SUBNORMAL = 2 ** -149;

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** Round half to even, as numpy's np.round (Math.round rounds halves up). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The float32 next to float32 `x`, upwards (dir 1) or downwards (dir -1). */
export function stepFloat32(x: number, dir: 1 | -1): number {
  if (x === 0) return dir * F32_MIN_SUBNORMAL;
  f32[0] = x;
  i32[0] += x > 0 ? dir : -dir;
  return f32[0];
}

/** An affine grid: code q decodes to q * scale + min in double, stored as float32. */
export interface AffineGrid {
  scale: number;
  min: number;
}

/** The converter's grid for the data range [lo, hi], lo < hi. */
export function converterGrid(lo: number, hi: number, qmax: number): AffineGrid {
  const scale = (hi - lo) / qmax;
  if (lo <= 0 && 0 <= hi) {
    const zp = roundHalfEven((0 - lo) / scale);
    // -zp * scale is the exact negation of zp * scale, so code zp decodes to exactly 0.
    return { scale, min: -zp * scale };
  }
  return { scale, min: lo };
}

/**
 * Codes of `values` on `grid` (clip, then round half to even), and what stock tfjs
 * decodes from them. Clipping gives +Infinity the top code and -Infinity code 0; NaN
 * takes the code of 0.0 (clipped, so the code nearest 0 when 0 is outside the grid).
 */
function encodeOn(values: Float32Array, grid: AffineGrid, qmax: number, q: Uint8Array | Uint16Array, decoded: Float32Array): void {
  const { scale, min } = grid;
  const max = qmax * scale + min;
  const code = (v: number): number => {
    if (v <= min) return 0;
    if (v >= max) return qmax;
    const r = roundHalfEven((v - min) / scale);
    return r > qmax ? qmax : r;
  };
  const nanCode = code(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const c = v !== v ? nanCode : code(v);
    q[i] = c;
    decoded[i] = c * scale + min;
  }
}

/** True when a second pass over `decoded` derives `grid` and `q` again. */
function isFixedPoint(decoded: Float32Array, grid: AffineGrid, qmax: number, q: Uint8Array | Uint16Array): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < decoded.length; i++) {
    const d = decoded[i];
    if (d < lo) lo = d;
    if (d > hi) hi = d;
  }
  if (!(lo < hi) || lo < -F32_MAX || hi > F32_MAX) return false;
  const again = converterGrid(lo, hi, qmax);
  if (again.scale !== grid.scale || again.min !== grid.min) return false;
  const { scale, min } = grid;
  const max = qmax * scale + min;
  for (let i = 0; i < decoded.length; i++) {
    const d = decoded[i];
    const c = d <= min ? 0 : d >= max ? qmax : Math.min(qmax, roundHalfEven((d - min) / scale));
    if (c !== q[i]) return false;
  }
  return true;
}

/** `x` rounded to float32, and its two float32 neighbours. */
function around(x: number): number[] {
  const r = Math.fround(x);
  return [r, stepFloat32(r, 1), stepFloat32(r, -1)];
}

/**
 * Float32 end-point pairs to try after the converter's own (lo, hi): for a nudged grid,
 * one end rounded to float32 (the larger in magnitude, and its neighbours) and the other
 * derived from it so that 0.0 stays exactly on the grid, for the converter's zero point
 * and the two next to it (they matter when a data end sits on a half step); for a
 * one-signed range, the far end's neighbours, and the range stretched to reach 0.0.
 */
function fallbackEnds(lo: number, hi: number, qmax: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const scale = (hi - lo) / qmax;
  if (lo <= 0 && 0 <= hi) {
    const zp0 = roundHalfEven(-lo / scale);
    for (const zp of [zp0, zp0 - 1, zp0 + 1]) {
      if (zp < 0 || zp > qmax) continue;
      const a = -zp * scale;
      const b = (qmax - zp) * scale;
      if (zp === 0) for (const h of around(b)) out.push([0, h]);
      else if (zp === qmax) for (const l of around(a)) out.push([l, 0]);
      else if (zp >= qmax - zp) for (const l of around(a)) out.push([l, Math.fround((-l * (qmax - zp)) / zp)]);
      else for (const h of around(b)) out.push([Math.fround((-h * zp) / (qmax - zp)), h]);
    }
  } else {
    for (const h of around(hi)) out.push([lo, h]);
    for (const l of around(lo)) out.push([l, hi]);
    out.push(lo > 0 ? [0, hi] : [lo, 0]);
  }
  return out;
}

/** Affine codes of one tensor, and what stock tfjs decodes from them. */
export interface AffineCodes {
  scale: number;
  min: number;
  q: Uint8Array | Uint16Array;
  decoded: Float32Array;
  /** False only when no fixed-point grid was found (none is known to occur); the converter's grid is used. */
  idempotent: boolean;
}

/** Quantize `values` (range [lo, hi] of its finite values) to codes 0..qmax: see the file comment. */
export function affineEncode(values: Float32Array, lo: number, hi: number, qmax: 255 | 65535): AffineCodes {
  const n = values.length;
  const make = (): Uint8Array | Uint16Array => (qmax === 255 ? new Uint8Array(n) : new Uint16Array(n));
  const q = make();
  const decoded = new Float32Array(n);
  if (!(lo < hi)) {
    // One value (or none finite): every code 0, scale 1, min that value, as the converter.
    const min = (lo === hi ? lo : 0) + 0; // + 0 turns -0 into 0
    decoded.fill(min);
    return { scale: 1, min, q, decoded, idempotent: true };
  }
  const first = converterGrid(lo, hi, qmax);
  encodeOn(values, first, qmax, q, decoded);
  if (isFixedPoint(decoded, first, qmax, q)) return { ...first, q, decoded, idempotent: true };

  const q2 = make();
  const decoded2 = new Float32Array(n);
  for (const [l, h] of fallbackEnds(lo, hi, qmax)) {
    if (!(l < h) || l < -F32_MAX || h > F32_MAX) continue;
    const grid = converterGrid(l, h, qmax);
    const top = qmax * grid.scale + grid.min;
    const slack = (v: number): number => (grid.scale / 2) * (1 + 2 ** -20) + 2 ** -23 * Math.abs(v);
    // Clipped data ends must stay within half a step (+ float32 rounding) of the grid.
    if (grid.min - lo > slack(lo) || hi - top > slack(hi)) continue;
    encodeOn(values, grid, qmax, q2, decoded2);
    if (isFixedPoint(decoded2, grid, qmax, q2)) return { ...grid, q: q2, decoded: decoded2, idempotent: true };
  }
  return { ...first, q, decoded, idempotent: false };
}
