/**
 * The body of a tensor section: the tensor's stored-form bytes (`count` elements of
 * `width` bytes, little-endian) as byte planes, dense or sparse, or a string blob.
 * - dense: one stream per byte plane (plane k = byte k of every element);
 * - sparse: the elements that differ from a fill element (the most common symbol for 1-
 *   and 2-byte elements, all-zero bytes for wider ones), their positions as a bitmask or
 *   as gap bytes, whichever codes smaller, and one stream per byte plane of those elements;
 * - strings: the stored bytes (length prefixes included) as one stream.
 * The writer estimates both dense and sparse from histograms and writes the smaller.
 */
import { type ByteReader, type ByteWriter, varintBytes } from './bytes.js';
import { McError } from '../errors.js';
import { type StreamPlan, type StreamRef, analyze, decodeStream, readStream, writeStream } from './stream.js';

/** Body layouts (the first byte of a body). */
export const LAYOUT = { dense: 0, sparse: 1, strings: 2 } as const;
/** Position codings of a sparse body. */
const POS = { mask: 0, gaps: 1 } as const;

/** The stored-form bytes of one tensor. */
export interface BodyInput {
  bytes: Uint8Array;
  count: number;
  width: number;
  strings: boolean;
}

/** What writing a body did: its layout and the order-0 bound of its symbols. */
export interface BodyResult {
  sparse: boolean;
  /** Order-0 bound in bits: of the dense planes or of mask + sparse planes, whichever is lower. */
  boundBits: number;
}

/** Binary entropy of `k` marked among `n`, in bits (the bound of a position set). */
function positionBits(k: number, n: number): number {
  if (k === 0 || k === n) return 0;
  const p = k / n;
  return -n * (p * Math.log2(p) + (1 - p) * Math.log2(1 - p));
}

/** The fill element: the most common symbol for 1- and 2-byte elements, zero bytes otherwise. */
function chooseFill(bytes: Uint8Array, count: number, width: number): Uint8Array {
  const fill = new Uint8Array(width);
  if (width > 2) return fill;
  const hist = new Uint32Array(width === 1 ? 256 : 65536);
  if (width === 1) for (let i = 0; i < count; i++) hist[bytes[i]]++;
  else for (let i = 0; i < count; i++) hist[bytes[2 * i] | (bytes[2 * i + 1] << 8)]++;
  let best = 0;
  for (let s = 1; s < hist.length; s++) if (hist[s] > hist[best]) best = s;
  fill[0] = best & 255;
  if (width === 2) fill[1] = best >> 8;
  return fill;
}

/** Positions of non-fill elements as a bitmask (bit i & 7 of byte i >> 3); returns it and their number. */
function fillMask(bytes: Uint8Array, count: number, width: number, fill: Uint8Array): { mask: Uint8Array; nnz: number } {
  const mask = new Uint8Array((count + 7) >>> 3);
  let nnz = 0;
  for (let i = 0, j = 0; i < count; i++, j += width) {
    let diff = bytes[j] !== fill[0];
    for (let k = 1; k < width && !diff; k++) diff = bytes[j + k] !== fill[k];
    if (diff) {
      mask[i >>> 3] |= 1 << (i & 7);
      nnz++;
    }
  }
  return { mask, nnz };
}

/** Gap bytes: for each marked position, the unmarked run before it, as 255s then the remainder. */
function gapBytes(mask: Uint8Array, count: number, nnz: number): Uint8Array {
  const out = new Uint8Array(nnz + Math.floor(count / 255) + 1);
  let n = 0;
  let prev = 0;
  for (let i = 0; i < count; i++) {
    if (!(mask[i >>> 3] & (1 << (i & 7)))) continue;
    let g = i - prev;
    for (; g >= 255; g -= 255) out[n++] = 255;
    out[n++] = g;
    prev = i + 1;
  }
  return out.subarray(0, n);
}

/** Write a body; returns its layout and bound. */
export function writeBody(w: ByteWriter, b: BodyInput): BodyResult {
  const { bytes, count, width } = b;
  if (b.strings) {
    const plan = analyze(bytes, 0, 1, bytes.length);
    w.u8(LAYOUT.strings);
    w.varint(bytes.length);
    writeStream(w, bytes, 0, 1, bytes.length, plan);
    return { sparse: false, boundBits: plan.boundBits };
  }
  const dense: StreamPlan[] = [];
  let denseBytes = 1;
  let denseBound = 0;
  for (let k = 0; k < width; k++) {
    const p = analyze(bytes, k, width, count);
    dense.push(p);
    denseBytes += p.bytes;
    denseBound += p.boundBits;
  }
  const sparse = count >= 64 ? planSparse(b) : null;
  if (sparse && sparse.bytes < denseBytes) {
    writeSparse(w, b, sparse);
    return { sparse: true, boundBits: Math.min(denseBound, sparse.boundBits) };
  }
  w.u8(LAYOUT.dense);
  for (let k = 0; k < width; k++) writeStream(w, bytes, k, width, count, dense[k]);
  return { sparse: false, boundBits: sparse ? Math.min(denseBound, sparse.boundBits) : denseBound };
}

interface SparsePlan {
  fill: Uint8Array;
  nnz: number;
  pos: Uint8Array;
  posMode: number;
  posPlan: StreamPlan;
  values: Uint8Array;
  planes: StreamPlan[];
  bytes: number;
  boundBits: number;
}

/** Plan the sparse form, or null when the fill element is too rare to pay for positions. */
function planSparse(b: BodyInput): SparsePlan | null {
  const { bytes, count, width } = b;
  const fill = chooseFill(bytes, count, width);
  const { mask, nnz } = fillMask(bytes, count, width, fill);
  if (count - nnz < count / 16) return null;
  const gaps = gapBytes(mask, count, nnz);
  const maskPlan = analyze(mask, 0, 1, mask.length);
  const gapPlan = analyze(gaps, 0, 1, gaps.length);
  const useGaps = gapPlan.bytes + varintBytes(gaps.length) < maskPlan.bytes;
  const values = new Uint8Array(nnz * width);
  for (let i = 0, o = 0; i < count; i++) {
    if (mask[i >>> 3] & (1 << (i & 7))) for (let k = 0, j = i * width; k < width; k++) values[o++] = bytes[j + k];
  }
  const planes: StreamPlan[] = [];
  let bytesTotal = 2 + varintBytes(nnz) + width + (useGaps ? gapPlan.bytes + varintBytes(gaps.length) : maskPlan.bytes);
  let boundBits = positionBits(nnz, count);
  for (let k = 0; k < width; k++) {
    const p = analyze(values, k, width, nnz);
    planes.push(p);
    bytesTotal += p.bytes;
    boundBits += p.boundBits;
  }
  const pos = useGaps ? gaps : mask;
  return { fill, nnz, pos, posMode: useGaps ? POS.gaps : POS.mask, posPlan: useGaps ? gapPlan : maskPlan, values, planes, bytes: bytesTotal, boundBits };
}

function writeSparse(w: ByteWriter, b: BodyInput, s: SparsePlan): void {
  w.u8(LAYOUT.sparse);
  w.varint(s.nnz);
  w.bytes(s.fill);
  w.u8(s.posMode);
  if (s.posMode === POS.gaps) w.varint(s.pos.length);
  writeStream(w, s.pos, 0, 1, s.pos.length, s.posPlan);
  for (let k = 0; k < b.width; k++) writeStream(w, s.values, k, b.width, s.nnz, s.planes[k]);
}

/** A validated body: its layout, streams, and the bytes its decoded form takes. */
export interface BodyRef {
  layout: number;
  count: number;
  width: number;
  /** Bytes of the decoded stored form. */
  byteLength: number;
  planes: StreamRef[];
  nnz: number;
  fill: Uint8Array;
  posMode: number;
  pos: StreamRef | null;
}

/** Read a body's headers, checking every count against the shape and every length against the bytes present. */
export function readBody(r: ByteReader, count: number, width: number, strings: boolean, maxStringBytes: number): BodyRef {
  const layout = r.u8('body layout');
  const ref: BodyRef = { layout, count, width, byteLength: count * width, planes: [], nnz: count, fill: new Uint8Array(width), posMode: 0, pos: null };
  if (strings !== (layout === LAYOUT.strings)) throw r.bad(`body layout ${layout} does not fit a ${strings ? 'string' : 'fixed-size'} tensor`);
  if (layout === LAYOUT.strings) {
    // Each string has a 4-byte length prefix, so fewer bytes than that cannot be valid.
    ref.byteLength = r.count('string bytes', maxStringBytes);
    if (ref.byteLength < 4 * count) throw r.bad(`${count} strings need at least ${4 * count} bytes, found ${ref.byteLength}`);
    ref.planes.push(readStream(r, ref.byteLength, 'string stream'));
  } else if (layout === LAYOUT.dense) {
    for (let k = 0; k < width; k++) ref.planes.push(readStream(r, count, `byte plane ${k}`));
  } else if (layout === LAYOUT.sparse) {
    ref.nnz = r.count('non-fill element count', count);
    for (let k = 0; k < width; k++) ref.fill[k] = r.u8('fill element');
    ref.posMode = r.u8('position coding');
    if (ref.posMode === POS.mask) ref.pos = readStream(r, (count + 7) >>> 3, 'position mask');
    else if (ref.posMode === POS.gaps) ref.pos = readStream(r, r.count('gap byte count', ref.nnz + Math.floor(count / 255) + 1), 'position gaps');
    else throw r.bad(`unknown position coding ${ref.posMode}`);
    for (let k = 0; k < width; k++) ref.planes.push(readStream(r, ref.nnz, `byte plane ${k}`));
  } else {
    throw r.bad(`unknown body layout ${layout}`);
  }
  return ref;
}

/** Decode a body into its stored-form bytes; `file` is the container's bytes, `where` names the tensor. */
export function decodeBody(ref: BodyRef, file: Uint8Array, where: string): Uint8Array {
  const { count, width } = ref;
  const out = new Uint8Array(ref.byteLength);
  if (ref.layout !== LAYOUT.sparse) {
    ref.planes.forEach((p, k) => decodeStream(p, file, out, k, ref.layout === LAYOUT.strings ? 1 : width, `${where} ${k}`));
    return out;
  }
  const pos = ref.pos as StreamRef;
  const posBytes = new Uint8Array(pos.n);
  decodeStream(pos, file, posBytes, 0, 1, `${where} positions`);
  const values = new Uint8Array(ref.nnz * width);
  ref.planes.forEach((p, k) => decodeStream(p, file, values, k, width, `${where} plane ${k}`));
  for (let k = 0; k < width; k++) if (ref.fill[k] !== 0) for (let j = k; j < out.length; j += width) out[j] = ref.fill[k];
  let found = 0;
  const put = (i: number): void => {
    if (found >= ref.nnz || i >= count) throw new McError('BAD_MANIFEST', `${where}: positions do not match the ${ref.nnz} of ${count} elements declared`);
    for (let k = 0, src = found * width, dst = i * width; k < width; k++) out[dst + k] = values[src + k];
    found++;
  };
  if (ref.posMode === POS.mask) {
    for (let j = 0; j < posBytes.length; j++) for (let m = posBytes[j], i = j * 8; m !== 0; m >>>= 1, i++) if (m & 1) put(i);
  } else {
    let at = 0;
    let acc = 0;
    for (let j = 0; j < posBytes.length; j++) {
      acc += posBytes[j];
      if (posBytes[j] === 255) continue;
      put(at + acc);
      at += acc + 1;
      acc = 0;
    }
    if (acc !== 0) found = -1;
  }
  if (found !== ref.nnz) throw new McError('BAD_MANIFEST', `${where}: positions do not match the ${ref.nnz} of ${count} elements declared`);
  return out;
}
