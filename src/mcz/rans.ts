/**
 * Order-0 rANS over byte symbols (after Duda; the byte-wise variant of ryg_rans): a 32-bit
 * state kept in [2^23, 2^31), renormalised a byte at a time, symbol frequencies scaled to
 * 2^bits (bits <= 15; tables in freq.ts), two states interleaved. Per symbol: an exact
 * reciprocal multiply to encode, a table lookup and a multiply to decode; no allocation
 * per symbol. Browser-safe.
 *
 * The state never leaves [0, 2^31), so plain JS numbers and int32 shifts are exact, and a
 * hostile stream can make a decode fail its end check but never loop or write out of range.
 */

/** Lower bound of the normalised state interval. */
export const RANS_L = 2 ** 23;
/** Largest frequency precision: 2^15 slots. */
export const MAX_SCALE_BITS = 15;
/** Bytes of each flushed final state at the start of a coded stream (two states). */
export const STATE_BYTES = 4;

/** Count of each byte value among `n` symbols at src[off], src[off + stride], ... (added to `hist`). */
export function histogram(src: Uint8Array, off: number, stride: number, n: number, hist: Uint32Array): Uint32Array {
  if (stride === 1) for (let i = off, e = off + n; i < e; i++) hist[src[i]]++;
  else for (let i = 0, j = off; i < n; i++, j += stride) hist[src[j]]++;
  return hist;
}

/**
 * Histograms of every byte plane of `n` elements of `width` bytes (plane k: byte k of each
 * element), in one pass: for 4-byte elements (and 2-byte, and 8-byte as two words) read a
 * word at a time when aligned, which is several times faster than a strided pass per plane.
 */
export function planeHistograms(src: Uint8Array, width: number, n: number): Uint32Array[] {
  const hists = Array.from({ length: width }, () => new Uint32Array(256));
  const aligned = src.byteOffset % 4 === 0 && LITTLE_ENDIAN;
  if (aligned && (width === 4 || width === 8)) {
    const w = new Uint32Array(src.buffer, src.byteOffset, (n * width) >>> 2);
    for (let g = 0; g < width; g += 4) {
      const [h0, h1, h2, h3] = hists.slice(g, g + 4);
      for (let i = g >>> 2, step = width >>> 2; i < w.length; i += step) {
        const x = w[i];
        h0[x & 255]++;
        h1[(x >>> 8) & 255]++;
        h2[(x >>> 16) & 255]++;
        h3[x >>> 24]++;
      }
    }
    return hists;
  }
  if (aligned && width === 2) {
    const [h0, h1] = hists;
    const w = new Uint32Array(src.buffer, src.byteOffset, n >>> 1);
    for (let i = 0; i < w.length; i++) {
      const x = w[i];
      h0[x & 255]++;
      h1[(x >>> 8) & 255]++;
      h0[(x >>> 16) & 255]++;
      h1[x >>> 24]++;
    }
    if (n & 1) {
      h0[src[2 * n - 2]]++;
      h1[src[2 * n - 1]]++;
    }
    return hists;
  }
  for (let k = 0; k < width; k++) histogram(src, k, width, n, hists[k]);
  return hists;
}

/** Word reads assume little-endian order (every platform Node and browsers run on). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Order-0 Shannon information of a histogram over `n` symbols, in bits: sum c * log2(n / c). */
export function entropyBits(hist: ArrayLike<number>, n: number): number {
  let bits = 0;
  for (let s = 0; s < hist.length; s++) {
    const c = hist[s];
    if (c > 0) bits += c * Math.log2(n / c);
  }
  return bits;
}

/**
 * Encode `n` symbols at src[off + i * stride] with `freq` (sum 2^bits, every symbol that
 * occurs present), with two interleaved states (symbol i uses state i & 1) so a decoder
 * overlaps two dependency chains. Output: the two final states (4 bytes each,
 * little-endian, state 0 first), then the renormalisation bytes in the order the decoder
 * reads them. The result is a view at the end of a working buffer.
 */
export function ransEncode(src: Uint8Array, off: number, stride: number, n: number, freq: Uint32Array, bits: number): Uint8Array {
  const start = new Int32Array(256);
  const xmax = new Int32Array(256);
  const rcp = new Float64Array(256);
  for (let s = 0, c = 0; s < 256; s++) {
    start[s] = c;
    c += freq[s];
    // Renormalise before coding s while x >= freq * 2^(31 - bits) (< 2^31: freq < 2^bits),
    // so the new state stays < 2^31.
    xmax[s] = freq[s] * 2 ** (31 - bits);
    rcp[s] = freq[s] ? 1 / freq[s] : 0;
  }
  // At most ceil(bits / 8) <= 2 bytes leave per symbol; written from the end (only the
  // pages written become resident).
  const buf = new Uint8Array(2 * n + 2 * STATE_BYTES);
  let p = buf.length;
  let x0 = RANS_L;
  let x1 = RANS_L;
  // Symbol i uses state i & 1. Walk from the end: the last symbol alone when n is odd,
  // then pairs, written out (no helper) so that p and the states stay in registers.
  // floor(x / f) by reciprocal: (x + 0.5) / f lies at least 0.5 / f >= 2^-16 from an
  // integer, and x * fl(1 / f) errs by under 2^-21 for x < 2^31, so the floor is exact.
  let j = off + (n - 1) * stride;
  if (n & 1) {
    const s = src[j];
    while (x0 >= xmax[s]) {
      buf[--p] = x0 & 255;
      x0 >>>= 8;
    }
    const q = ((x0 + 0.5) * rcp[s]) | 0;
    x0 = (q << bits) + (x0 - Math.imul(q, freq[s])) + start[s];
    j -= stride;
  }
  for (let k = n >>> 1; k > 0; k--) {
    let s = src[j];
    let xm = xmax[s];
    while (x1 >= xm) {
      buf[--p] = x1 & 255;
      x1 >>>= 8;
    }
    let q = ((x1 + 0.5) * rcp[s]) | 0;
    x1 = (q << bits) + (x1 - Math.imul(q, freq[s])) + start[s];
    j -= stride;
    s = src[j];
    xm = xmax[s];
    while (x0 >= xm) {
      buf[--p] = x0 & 255;
      x0 >>>= 8;
    }
    q = ((x0 + 0.5) * rcp[s]) | 0;
    x0 = (q << bits) + (x0 - Math.imul(q, freq[s])) + start[s];
    j -= stride;
  }
  for (const x of [x1, x0]) {
    buf[--p] = x >>> 24;
    buf[--p] = (x >>> 16) & 255;
    buf[--p] = (x >>> 8) & 255;
    buf[--p] = x & 255;
  }
  return buf.subarray(p);
}

/**
 * Decode `n` symbols into out[off + i * stride]. Returns false when the stream is not
 * exactly consumed or does not end in the encoder's initial states (a corrupt stream);
 * reads past the end yield zero bits, so no input can loop or throw here.
 */
export function ransDecode(coded: Uint8Array, freq: Uint32Array, bits: number, out: Uint8Array, off: number, stride: number, n: number): boolean {
  const total = 2 ** bits;
  const mask = total - 1;
  const sym = new Uint8Array(total);
  // Per slot: frequency in the high 16 bits, (slot - start) in the low 16.
  const info = new Uint32Array(total);
  for (let s = 0, c = 0; s < 256; s++) {
    const f = freq[s];
    for (let k = 0; k < f; k++) {
      sym[c + k] = s;
      info[c + k] = (f << 16) | k;
    }
    c += f;
  }
  const end = coded.length;
  if (end < 2 * STATE_BYTES) return false;
  const dv = new DataView(coded.buffer, coded.byteOffset, end);
  let x0 = dv.getUint32(0, true);
  let x1 = dv.getUint32(STATE_BYTES, true);
  if (x0 < RANS_L || x0 >= 2 ** 31 || x1 < RANS_L || x1 >= 2 ** 31) return false;
  let p = 2 * STATE_BYTES;
  let j = off;
  const pairs = n >>> 1;
  for (let i = 0; i < pairs; i++) {
    let slot = x0 & mask;
    out[j] = sym[slot];
    let inf = info[slot];
    x0 = Math.imul(inf >>> 16, x0 >>> bits) + (inf & 0xffff);
    while (x0 < RANS_L) x0 = (x0 << 8) | coded[p++];
    j += stride;
    slot = x1 & mask;
    out[j] = sym[slot];
    inf = info[slot];
    x1 = Math.imul(inf >>> 16, x1 >>> bits) + (inf & 0xffff);
    while (x1 < RANS_L) x1 = (x1 << 8) | coded[p++];
    j += stride;
  }
  if (n & 1) {
    const slot = x0 & mask;
    out[j] = sym[slot];
    const inf = info[slot];
    x0 = Math.imul(inf >>> 16, x0 >>> bits) + (inf & 0xffff);
    while (x0 < RANS_L) x0 = (x0 << 8) | coded[p++];
  }
  return x0 === RANS_L && x1 === RANS_L && p === end;
}
