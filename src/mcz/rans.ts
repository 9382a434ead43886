/**
 * Order-0 rANS over byte symbols (after Duda; the byte-wise variant of ryg_rans): a 32-bit
 * state kept in [2^23, 2^31), renormalised a byte at a time, symbol frequencies scaled to
 * 2^bits (bits <= 15). One division per symbol to encode, one table lookup and one
 * multiply per symbol to decode; no allocation per symbol. Browser-safe.
 *
 * The state never leaves [0, 2^31), so plain JS numbers and int32 shifts are exact, and a
 * hostile stream can make a decode fail its end check but never loop or write out of range.
 */
import type { ByteReader, ByteWriter } from './bytes.js';
import { varintBytes } from './bytes.js';

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
 * Frequencies summing to 2^bits, at least 1 for every symbol present, from counts: rounded
 * shares, then the sum corrected one unit at a time where the coded size changes least.
 * Null when more symbols are present than slots.
 */
export function normalize(hist: Uint32Array, n: number, bits: number): Uint32Array | null {
  const total = 2 ** bits;
  const f = new Uint32Array(256);
  let sum = 0;
  let present = 0;
  for (let s = 0; s < 256; s++) {
    const c = hist[s];
    if (c === 0) continue;
    present++;
    const v = Math.max(1, Math.round((c * total) / n));
    f[s] = v;
    sum += v;
  }
  if (present > total) return null;
  while (sum !== total) {
    let best = -1;
    let bestCost = Infinity;
    const up = sum < total;
    for (let s = 0; s < 256; s++) {
      const c = hist[s];
      if (c === 0 || (!up && f[s] === 1)) continue;
      // Bits added to the stream by moving f[s] one unit (negative: saved).
      const cost = up ? c * Math.log2(f[s] / (f[s] + 1)) : c * Math.log2(f[s] / (f[s] - 1));
      if (cost < bestCost) {
        bestCost = cost;
        best = s;
      }
    }
    f[best] += up ? 1 : -1;
    sum += up ? 1 : -1;
  }
  return f;
}

/** Bits the symbols of `hist` take when coded with frequencies `freq` at precision `bits`. */
export function codedBits(hist: Uint32Array, freq: Uint32Array, bits: number): number {
  let total = 0;
  for (let s = 0; s < 256; s++) if (hist[s] > 0) total += hist[s] * (bits - Math.log2(freq[s]));
  return total;
}

/**
 * Serialised table: u8 (symbols present - 1); the symbols as a list when at most 32 are
 * present, else a 256-bit map; then varint (f - 1) for each present symbol in increasing
 * order except the last, whose frequency is what makes the sum 2^bits.
 */
export function tableBytes(freq: Uint32Array): number {
  let present = 0;
  let n = 1;
  let last = 0;
  for (let s = 0; s < 256; s++) {
    if (freq[s] === 0) continue;
    present++;
    last = varintBytes(freq[s] - 1);
    n += last;
  }
  return n - last + (present <= 32 ? present : 32);
}

/** Write a frequency table (see tableBytes). At least two symbols must be present. */
export function writeTable(w: ByteWriter, freq: Uint32Array): void {
  const syms: number[] = [];
  for (let s = 0; s < 256; s++) if (freq[s] > 0) syms.push(s);
  w.u8(syms.length - 1);
  if (syms.length <= 32) for (const s of syms) w.u8(s);
  else {
    const map = new Uint8Array(32);
    for (const s of syms) map[s >> 3] |= 1 << (s & 7);
    w.bytes(map);
  }
  for (let i = 0; i < syms.length - 1; i++) w.varint(freq[syms[i]] - 1);
}

/** Read and validate a frequency table at precision `bits`: every listed symbol >= 1, sum exactly 2^bits. */
export function readTable(r: ByteReader, bits: number, what: string): Uint32Array {
  const total = 2 ** bits;
  const present = r.u8(what) + 1;
  if (present < 2 || present > total) throw r.bad(`${what}: ${present} symbols cannot share 2^${bits} slots`);
  const syms: number[] = [];
  if (present <= 32) {
    for (let i = 0; i < present; i++) {
      const s = r.u8(what);
      if (syms.length > 0 && s <= syms[syms.length - 1]) throw r.bad(`${what}: symbols out of order`);
      syms.push(s);
    }
  } else {
    const at = r.skip(32, what);
    for (let s = 0; s < 256; s++) if (r.bytes[at + (s >> 3)] & (1 << (s & 7))) syms.push(s);
    if (syms.length !== present) throw r.bad(`${what}: symbol map lists ${syms.length} symbols, header says ${present}`);
  }
  const freq = new Uint32Array(256);
  let sum = 0;
  for (let i = 0; i < present - 1; i++) {
    const f = r.count(what, total - 1) + 1;
    freq[syms[i]] = f;
    sum += f;
  }
  if (sum >= total) throw r.bad(`${what}: frequencies exceed 2^${bits}`);
  freq[syms[present - 1]] = total - sum;
  return freq;
}

/**
 * Encode `n` symbols at src[off + i * stride] with `freq` (sum 2^bits, every symbol that
 * occurs present), with two interleaved states (symbol i uses state i & 1) so a decoder
 * overlaps two dependency chains. Output: the two final states (4 bytes each,
 * little-endian, state 0 first), then the renormalisation bytes in the order the decoder
 * reads them.
 */
export function ransEncode(src: Uint8Array, off: number, stride: number, n: number, freq: Uint32Array, bits: number): Uint8Array {
  const start = new Float64Array(256);
  const xmax = new Float64Array(256);
  const rcp = new Float64Array(256);
  for (let s = 0, c = 0; s < 256; s++) {
    start[s] = c;
    c += freq[s];
    // Renormalise before coding s while x >= freq * 2^(31 - bits), so the new state stays < 2^31.
    xmax[s] = freq[s] * 2 ** (31 - bits);
    rcp[s] = freq[s] ? 1 / freq[s] : 0;
  }
  // At most ceil(bits / 8) <= 2 bytes leave per symbol.
  const buf = new Uint8Array(2 * n + 2 * STATE_BYTES);
  let p = buf.length;
  let x0 = RANS_L;
  let x1 = RANS_L;
  const encodeOne = (s: number, x: number): number => {
    const f = freq[s];
    const xm = xmax[s];
    while (x >= xm) {
      buf[--p] = x & 255;
      x >>>= 8;
    }
    // floor(x / f) by reciprocal: (x + 0.5) / f lies at least 0.5 / f >= 2^-16 from an
    // integer, and x * fl(1 / f) errs by under 2^-21 for x < 2^31, so the floor is exact.
    const q = ((x + 0.5) * rcp[s]) | 0;
    return (q << bits) + (x - q * f) + start[s];
  };
  // Symbol i uses state i & 1; walk from the end: the last symbol when n is odd, then pairs.
  let j = off + (n - 1) * stride;
  if (n & 1) {
    x0 = encodeOne(src[j], x0);
    j -= stride;
  }
  for (let k = n >>> 1; k > 0; k--) {
    x1 = encodeOne(src[j], x1);
    j -= stride;
    x0 = encodeOne(src[j], x0);
    j -= stride;
  }
  for (const x of [x1, x0]) {
    buf[--p] = x >>> 24;
    buf[--p] = (x >>> 16) & 255;
    buf[--p] = (x >>> 8) & 255;
    buf[--p] = x & 255;
  }
  return buf.slice(p);
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
    x0 = (inf >>> 16) * (x0 >>> bits) + (inf & 0xffff);
    while (x0 < RANS_L) x0 = (x0 << 8) | coded[p++];
    j += stride;
    slot = x1 & mask;
    out[j] = sym[slot];
    inf = info[slot];
    x1 = (inf >>> 16) * (x1 >>> bits) + (inf & 0xffff);
    while (x1 < RANS_L) x1 = (x1 << 8) | coded[p++];
    j += stride;
  }
  if (n & 1) {
    const slot = x0 & mask;
    out[j] = sym[slot];
    const inf = info[slot];
    x0 = (inf >>> 16) * (x0 >>> bits) + (inf & 0xffff);
    while (x0 < RANS_L) x0 = (x0 << 8) | coded[p++];
  }
  return x0 === RANS_L && x1 === RANS_L && p === end;
}
