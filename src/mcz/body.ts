/**
 * The body of a tensor section: the tensor's stored-form bytes (`count` elements of
 * `width` bytes, little-endian) as byte planes, dense or sparse, or a string blob.
 * - dense: one stream per byte plane (plane k = byte k of every element);
 * - sparse (sparse.ts): the elements that differ from a fill element (the most common
 *   symbol for 1- and 2-byte elements, all-zero bytes for wider ones), their positions,
 *   and their values;
 * - strings: the stored bytes (length prefixes included) as one stream.
 * The writer estimates dense and sparse from histograms and writes the smaller.
 */
import { type ByteReader, type ByteWriter, varintBytes } from './bytes.js';
import { planeHistograms } from './rans.js';
import { type Channels, type SparseRef, decodeSparse, planSparse, readSparse, writeSparse } from './sparse.js';
import { type StreamRef, analyze, decodeStream, planStream, readStream, writeStream } from './stream.js';

/** Body layouts (the first byte of a body). */
export const LAYOUT = { dense: 0, sparse: 1, strings: 2 } as const;

/** The stored-form bytes of one tensor. */
export interface BodyInput {
  bytes: Uint8Array;
  count: number;
  width: number;
  strings: boolean;
  /** int8 sections: how elements map to channels (enables sign-magnitude sparse values). */
  channels?: Channels;
}

/** What writing a body did: its layout and the order-0 bound of its symbols. */
export interface BodyResult {
  sparse: boolean;
  /** Order-0 bound in bits: of the dense planes or of positions + sparse planes, whichever is lower. */
  boundBits: number;
}

/**
 * The fill element and how many elements equal it: the most common symbol for 1- and
 * 2-byte elements (`plane0` is the histogram of byte plane 0), zero bytes otherwise.
 */
function chooseFill(bytes: Uint8Array, count: number, width: number, plane0: Uint32Array): { fill: Uint8Array; fills: number } {
  const fill = new Uint8Array(width);
  let fills = 0;
  if (width <= 2) {
    const hist = width === 1 ? plane0 : new Uint32Array(65536);
    if (width === 2) for (let i = 0; i < count; i++) hist[bytes[2 * i] | (bytes[2 * i + 1] << 8)]++;
    let best = 0;
    for (let s = 1; s < hist.length; s++) if (hist[s] > hist[best]) best = s;
    fill[0] = best & 255;
    fill[1 % width] = width === 2 ? best >> 8 : fill[0];
    return { fill, fills: hist[best] };
  }
  if (bytes.byteOffset % 4 === 0) {
    const u = new Uint32Array(bytes.buffer, bytes.byteOffset, (count * width) >>> 2);
    const words = width >>> 2;
    if (words === 1) {
      for (let i = 0; i < u.length; i++) fills += +(u[i] === 0);
      return { fill, fills };
    }
    for (let i = 0; i < u.length; i += words) {
      let zero = u[i] === 0;
      for (let k = 1; k < words && zero; k++) zero = u[i + k] === 0;
      if (zero) fills++;
    }
    return { fill, fills };
  }
  for (let j = 0; j < count * width; j += width) {
    let zero = true;
    for (let k = 0; k < width && zero; k++) zero = bytes[j + k] === 0;
    if (zero) fills++;
  }
  return { fill, fills };
}

/** Positions of non-fill elements as a bitmask (bit i & 7 of byte i >> 3). */
function fillMask(bytes: Uint8Array, count: number, width: number, fill: Uint8Array): Uint8Array {
  const mask = new Uint8Array((count + 7) >>> 3);
  if (width === 1) {
    const f = fill[0];
    // Branch-free: which elements differ is data, not a pattern a predictor learns.
    for (let i = 0; i < count; i++) mask[i >>> 3] |= +(bytes[i] !== f) << (i & 7);
    return mask;
  }
  if (width === 4 && bytes.byteOffset % 4 === 0 && fill.every((b) => b === 0)) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, count);
    // The fill of a 4-byte element is all zeros (chooseFill), whatever the byte order.
    for (let i = 0; i < count; i++) mask[i >>> 3] |= +(words[i] !== 0) << (i & 7);
    return mask;
  }
  for (let i = 0, j = 0; i < count; i++, j += width) {
    let diff = bytes[j] !== fill[0];
    for (let k = 1; k < width && !diff; k++) diff = bytes[j + k] !== fill[k];
    if (diff) mask[i >>> 3] |= 1 << (i & 7);
  }
  return mask;
}

/** A body planned (layout and stream modes chosen), ready to write. */
export interface BodyPlan {
  /** Bytes the body will take (estimated from the streams' plans, exact but for rANS rounding). */
  bytes: number;
  /** Write it; returns its layout and bound. */
  write(w: ByteWriter): BodyResult;
}

/** Plan a body: histograms of every stream, dense against sparse, every stream's mode. */
export function planBody(b: BodyInput): BodyPlan {
  const { bytes, count, width } = b;
  if (b.strings) {
    const plan = analyze(bytes, 0, 1, bytes.length);
    return {
      bytes: 1 + varintBytes(bytes.length) + plan.bytes,
      write: (w) => {
        w.u8(LAYOUT.strings);
        w.varint(bytes.length);
        writeStream(w, bytes, 0, 1, bytes.length, plan);
        return { sparse: false, boundBits: plan.boundBits };
      },
    };
  }
  const dense = planeHistograms(bytes, width, count).map((h) => planStream(h, count));
  let denseBytes = 1;
  let denseBound = 0;
  for (const p of dense) {
    denseBytes += p.bytes;
    denseBound += p.boundBits;
  }
  if (count >= 64) {
    const { fill, fills } = chooseFill(bytes, count, width, dense[0].hist);
    // Too few fill elements cannot pay for their positions.
    if (fills >= count / 16) {
      const sparse = planSparse(bytes, count, width, fill, fillMask(bytes, count, width, fill), count - fills, b.channels);
      const boundBits = Math.min(denseBound, sparse.boundBits);
      if (sparse.bytes < denseBytes) {
        return {
          bytes: 1 + sparse.bytes,
          write: (w) => {
            w.u8(LAYOUT.sparse);
            writeSparse(w, sparse);
            return { sparse: true, boundBits };
          },
        };
      }
      denseBound = boundBits;
    }
  }
  return {
    bytes: denseBytes,
    write: (w) => {
      w.u8(LAYOUT.dense);
      for (let k = 0; k < width; k++) writeStream(w, bytes, k, width, count, dense[k]);
      return { sparse: false, boundBits: denseBound };
    },
  };
}

/** Write a body; returns its layout and bound. */
export function writeBody(w: ByteWriter, b: BodyInput): BodyResult {
  return planBody(b).write(w);
}

/** A validated body: its layout, streams, and the bytes its decoded form takes. */
export interface BodyRef {
  layout: number;
  count: number;
  width: number;
  /** Bytes of the decoded stored form. */
  byteLength: number;
  /** dense: one stream per plane; strings: one stream. */
  planes: StreamRef[];
  sparse: SparseRef | null;
}

/** Read a body's headers, checking every count against the shape and every length against the bytes present. */
export function readBody(r: ByteReader, count: number, width: number, strings: boolean, maxStringBytes: number, ch: Channels | null): BodyRef {
  const layout = r.u8('body layout');
  const ref: BodyRef = { layout, count, width, byteLength: count * width, planes: [], sparse: null };
  if (strings !== (layout === LAYOUT.strings)) throw r.bad(`body layout ${layout} does not fit a ${strings ? 'string' : 'fixed-size'} tensor`);
  if (layout === LAYOUT.strings) {
    // Each string has a 4-byte length prefix, so fewer bytes than that cannot be valid.
    ref.byteLength = r.count('string bytes', maxStringBytes);
    if (ref.byteLength < 4 * count) throw r.bad(`${count} strings need at least ${4 * count} bytes, found ${ref.byteLength}`);
    ref.planes.push(readStream(r, ref.byteLength, 'string stream'));
  } else if (layout === LAYOUT.dense) {
    for (let k = 0; k < width; k++) ref.planes.push(readStream(r, count, `byte plane ${k}`));
  } else if (layout === LAYOUT.sparse) {
    ref.sparse = readSparse(r, count, width, ch);
  } else {
    throw r.bad(`unknown body layout ${layout}`);
  }
  return ref;
}

/** Decode a body into its stored-form bytes; `file` is the container's bytes, `where` names the tensor. */
export function decodeBody(ref: BodyRef, file: Uint8Array, where: string): Uint8Array {
  const out = new Uint8Array(ref.byteLength);
  if (ref.sparse) decodeSparse(ref.sparse, file, out, ref.count, ref.width, where);
  else ref.planes.forEach((p, k) => decodeStream(p, file, out, k, ref.layout === LAYOUT.strings ? 1 : ref.width, `${where} plane ${k}`));
  return out;
}
