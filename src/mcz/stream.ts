/**
 * One symbol stream: `n` byte symbols (a byte plane of a tensor, its position mask or gap
 * bytes), stored the cheapest of three ways: raw, constant (one symbol repeated), or
 * order-0 rANS at the frequency precision that minimises coded size + table size.
 * The number of symbols is never stored: the reader knows it from the shape.
 */
import { type ByteReader, type ByteWriter, varintBytes } from './bytes.js';
import { McError } from '../errors.js';
import { codedBits, normalize, readTable, tableBytes, writeTable } from './freq.js';
import { MAX_SCALE_BITS, STATE_BYTES, entropyBits, histogram, ransDecode, ransEncode } from './rans.js';

/** Stream modes (the first byte of a stream). */
export const STREAM = { raw: 0, constant: 1, rans: 2 } as const;

/** How a stream will be written, chosen from its histogram. */
export interface StreamPlan {
  mode: number;
  /** Estimated bytes of the whole stream (mode byte included). */
  bytes: number;
  /** Order-0 Shannon bound of the symbols, in bits. */
  boundBits: number;
  /** constant: the symbol. */
  symbol: number;
  /** rans: precision and frequencies. */
  bits: number;
  freq: Uint32Array | null;
  /** The histogram the plan was made from. */
  hist: Uint32Array;
}

/** Pick the cheapest form for `n` symbols with histogram `hist`. */
export function planStream(hist: Uint32Array, n: number): StreamPlan {
  const boundBits = entropyBits(hist, n);
  let present = 0;
  let symbol = 0;
  for (let s = 0; s < 256; s++) {
    if (hist[s] === 0) continue;
    present++;
    symbol = s;
  }
  if (n > 0 && present === 1) return { mode: STREAM.constant, bytes: 2, boundBits, symbol, bits: 0, freq: null, hist };
  let best: StreamPlan = { mode: STREAM.raw, bytes: 1 + n, boundBits, symbol: 0, bits: 0, freq: null, hist };
  if (n < 16) return best;
  // Precision beyond a few times the symbol count buys nothing but table bytes.
  const top = Math.min(MAX_SCALE_BITS, Math.ceil(Math.log2(n)) + 2);
  for (let bits = Math.max(1, Math.ceil(Math.log2(present))); bits <= top; bits++) {
    const freq = normalize(hist, n, bits);
    if (!freq) continue;
    const body = Math.ceil(codedBits(hist, freq, bits) / 8) + 2 * STATE_BYTES;
    const bytes = 2 + tableBytes(freq) + varintBytes(body) + body;
    if (bytes < best.bytes) best = { mode: STREAM.rans, bytes, boundBits, symbol: 0, bits, freq, hist };
  }
  return best;
}

/** Histogram and plan of the symbols at src[off + i * stride], i < n. */
export function analyze(src: Uint8Array, off: number, stride: number, n: number): StreamPlan {
  return planStream(histogram(src, off, stride, n, new Uint32Array(256)), n);
}

/** Write the stream of `plan`; returns the bytes written. */
export function writeStream(w: ByteWriter, src: Uint8Array, off: number, stride: number, n: number, plan: StreamPlan): number {
  const at = w.length;
  w.u8(plan.mode);
  if (plan.mode === STREAM.constant) w.u8(plan.symbol);
  else if (plan.mode === STREAM.raw) {
    if (stride === 1) w.bytes(src.subarray(off, off + n));
    else w.strided(src, off, stride, n);
  } else {
    const freq = plan.freq as Uint32Array;
    w.u8(plan.bits);
    writeTable(w, freq);
    const coded = ransEncode(src, off, stride, n, freq, plan.bits);
    w.varint(coded.length);
    w.bytes(coded);
  }
  return w.length - at;
}

/** A validated stream inside the file: where its payload is and how to decode it. */
export interface StreamRef {
  mode: number;
  n: number;
  /** Payload range in the file bytes (raw bytes, or the rANS coded bytes). */
  start: number;
  end: number;
  symbol: number;
  bits: number;
  freq: Uint32Array | null;
}

/** Read a stream header of `n` symbols, checking every length against the bytes present. */
export function readStream(r: ByteReader, n: number, what: string): StreamRef {
  const mode = r.u8(what);
  const ref: StreamRef = { mode, n, start: r.pos, end: r.pos, symbol: 0, bits: 0, freq: null };
  if (mode === STREAM.raw) {
    ref.start = r.skip(n, `${what} (${n} raw symbols)`);
    ref.end = r.pos;
  } else if (mode === STREAM.constant) {
    ref.symbol = r.u8(what);
  } else if (mode === STREAM.rans) {
    if (n === 0) throw r.bad(`${what}: an empty stream must be stored raw`);
    const bits = r.u8(what);
    if (bits < 1 || bits > MAX_SCALE_BITS) throw r.bad(`${what}: frequency precision 2^${bits} is outside 2^1..2^${MAX_SCALE_BITS}`);
    ref.bits = bits;
    ref.freq = readTable(r, bits, `${what} frequency table`);
    const len = r.count(`${what} coded length`, r.left);
    if (len < 2 * STATE_BYTES) throw r.bad(`${what}: coded length ${len} is shorter than the rANS state`);
    ref.start = r.skip(len, what);
    ref.end = r.pos;
  } else {
    throw r.bad(`${what}: unknown stream mode ${mode}`);
  }
  return ref;
}

/** Decode a stream into out[off + i * stride]; `file` is the container's bytes. */
export function decodeStream(ref: StreamRef, file: Uint8Array, out: Uint8Array, off: number, stride: number, what: string): void {
  const { n } = ref;
  if (ref.mode === STREAM.constant) {
    for (let i = 0, j = off; i < n; i++, j += stride) out[j] = ref.symbol;
  } else if (ref.mode === STREAM.raw) {
    if (stride === 1) out.set(file.subarray(ref.start, ref.end), off);
    else for (let i = 0, j = off, k = ref.start; i < n; i++, j += stride, k++) out[j] = file[k];
  } else if (!ransDecode(file.subarray(ref.start, ref.end), ref.freq as Uint32Array, ref.bits, out, off, stride, n)) {
    throw new McError('BAD_MANIFEST', `${what}: corrupt entropy-coded stream (wrong end state or length)`);
  }
}
