/**
 * IEEE 754 binary16 conversions. Decoding is exact; encoding rounds to nearest, ties to
 * even, with subnormals, as hardware does. Saturation policy is the pass's business:
 * here a value beyond the float16 range becomes ±Infinity, as in IEEE.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Largest finite float16 value. */
export const FLOAT16_MAX = 65504;

/** Round one number to float16 bits. */
export function toFloat16Bits(v: number): number {
  f32[0] = v;
  return float16FromBits(u32[0]);
}

/** Sign-cleared float32 bits from 2^-14 to 65504 (the float16 normal range), 0x38800000..0x477fe000. */
export const F16_NORMAL_LO = 0x38800000;
/** See F16_NORMAL_LO. */
export const F16_NORMAL_HI = 0x477fe000;

/**
 * float16 bits of a sign-cleared float32 bit pattern `a` whose exponent is in float16's
 * normal range (or just above it, which the carry turns into Infinity): rebias the
 * exponent, then round the 13 dropped mantissa bits half to even by adding 0xfff plus
 * the lowest kept bit. Small, so loops inline it.
 */
export function float16FromNormalBits(a: number): number {
  return (a - 0x38000000 + 0xfff + ((a >>> 13) & 1)) >>> 13;
}

/**
 * Round a float32, given as its bit pattern, to float16 bits (what toFloat16Bits does
 * after reading the value's bits). Integer operations only, so a loop over a Uint32Array
 * view of a Float32Array converts without touching a float.
 */
export function float16FromBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp > 112) {
    if (exp > 142) return sign | 0x7c00;
    return sign | float16FromNormalBits(x & 0x7fffffff);
  }
  // Subnormal float16 (or zero): value = M * 2^(exp - 150), subnormal unit 2^-24.
  const shift = 126 - exp;
  if (shift > 24) return sign;
  const m = mant | 0x800000;
  let q = m >>> shift;
  const rest = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (q & 1) === 1)) q++;
  return sign | q;
}

let table: Float32Array | undefined;

/** Float32 value of every float16 bit pattern, built once (a loop may look values up in it directly). */
export function decodeTable(): Float32Array {
  if (table) return table;
  const t = new Float32Array(65536);
  const bits = new Uint32Array(t.buffer);
  for (let h = 0; h < 65536; h++) {
    const s = (h & 0x8000) << 16;
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) t[h] = (s ? -1 : 1) * m * 2 ** -24;
    else if (e === 31) bits[h] = (s | 0x7f800000 | (m << 13)) >>> 0;
    else bits[h] = (s | ((e + 112) << 23) | (m << 13)) >>> 0;
  }
  table = t;
  return t;
}

/** Decode float16 bits to float32 values (exact). */
export function float16ToFloat32(src: Uint16Array): Float32Array {
  const t = decodeTable();
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = t[src[i]];
  return out;
}

/** Encode float32 values to float16 bits, rounding to nearest even. */
export function float32ToFloat16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    const a = x & 0x7fffffff;
    out[i] = a >= F16_NORMAL_LO && a <= F16_NORMAL_HI ? ((x >>> 16) & 0x8000) | float16FromNormalBits(a) : float16FromBits(x);
  }
  return out;
}
