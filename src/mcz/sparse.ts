/**
 * The sparse body: the elements that differ from a fill element, their positions (a
 * bitmask, gap bytes or per-element flags, whichever codes smallest), and their values,
 * as byte planes or, for int8 sections with fill 0, in sign-magnitude form (signmag.ts),
 * whichever codes smaller.
 */
import { type ByteReader, type ByteWriter, varintBytes } from './bytes.js';
import { McError } from '../errors.js';
import { type Channels, type SignMagPlan, type SignMagRef, decodeSignMagnitude, planSignMagnitude, readSignMagnitude, writeSignMagnitude } from './signmag.js';
import { type StreamPlan, type StreamRef, analyze, decodeStream, planStream, readStream, writeStream } from './stream.js';

/** How int8 elements map to channels (see signmag.ts). */
export type { Channels } from './signmag.js';

/**
 * Position codings: a bitmask coded as bytes (sees clusters within 8 elements), gap bytes
 * (long runs), or one 0/1 flag symbol per element (iid positions: a 2-entry frequency
 * table instead of a 256-entry one).
 */
const POS = { mask: 0, gaps: 1, flags: 2 } as const;
/** Value codings. */
const VALUES = { planes: 0, signMagnitude: 1 } as const;

/** The sparse plan of one tensor, ready to write. */
export interface SparsePlan {
  fill: Uint8Array;
  nnz: number;
  posMode: number;
  pos: Uint8Array;
  posPlan: StreamPlan;
  /** Value byte planes, with their plans (planes mode). */
  planes: Array<{ data: Uint8Array; off: number; stride: number; n: number; plan: StreamPlan }>;
  /** The sign-magnitude form, when it codes smaller. */
  signMag: SignMagPlan | null;
  bytes: number;
  boundBits: number;
}

/** Binary entropy of `k` marked among `n`, in bits (the bound of a position set). */
function positionBits(k: number, n: number): number {
  if (k === 0 || k === n) return 0;
  const p = k / n;
  return -n * (p * Math.log2(p) + (1 - p) * Math.log2(1 - p));
}

/** Gap bytes: for each marked position, the unmarked run before it, as 255s then the remainder. */
function gapBytes(mask: Uint8Array, count: number, nnz: number): Uint8Array {
  const out = new Uint8Array(nnz + Math.floor(count / 255) + 1);
  let n = 0;
  let prev = 0;
  // Set bits byte by byte, lowest first (m & -m), rather than a test per element.
  for (let j = 0; j < mask.length; j++) {
    for (let m = mask[j]; m !== 0; ) {
      const low = m & -m;
      const i = (j << 3) + 31 - Math.clz32(low);
      let g = i - prev;
      for (; g >= 255; g -= 255) out[n++] = 255;
      out[n++] = g;
      prev = i + 1;
      m ^= low;
    }
  }
  return out.subarray(0, n);
}

/** Plan the sparse form of `count` elements of `width` bytes given their non-fill mask. */
export function planSparse(bytes: Uint8Array, count: number, width: number, fill: Uint8Array, mask: Uint8Array, nnz: number, ch?: Channels): SparsePlan {
  const gaps = gapBytes(mask, count, nnz);
  // The flags' histogram is known without a pass; they are only built if they win.
  const flagHist = new Uint32Array(256);
  flagHist[0] = count - nnz;
  flagHist[1] = nnz;
  const options = [
    { mode: POS.mask, data: mask, plan: analyze(mask, 0, 1, mask.length), extra: 0 },
    { mode: POS.gaps, data: gaps, plan: analyze(gaps, 0, 1, gaps.length), extra: varintBytes(gaps.length) },
    // Flags take 8 rANS symbols per mask byte; what they save (the mask's 256-entry table)
    // only matters below about 2^20 elements, so larger tensors skip them for speed.
    { mode: POS.flags, data: mask, plan: planStream(flagHist, count), extra: count > 1 << 20 ? Infinity : 0 },
  ];
  const best = options.reduce((a, b) => (b.plan.bytes + b.extra < a.plan.bytes + a.extra ? b : a));
  const signed = ch !== undefined && width === 1 && fill[0] === 0;
  const values = new Uint8Array(nnz * width);
  const chan = new Int32Array(signed ? nnz : 0);
  if (signed) {
    // int8: the values and the channel of each, counting through channels (no division per element).
    // Branch-free compaction (which elements are zero is data): every element is written at
    // o, which only advances past non-zeros; the last write may fall one past the end, which
    // a typed array ignores.
    const { inner, dim } = ch;
    for (let i = 0, o = 0, c = 0, inC = 0; i < count; i++) {
      const b = bytes[i];
      chan[o] = c;
      values[o] = b;
      o += +(b !== 0);
      if (++inC === inner) {
        inC = 0;
        if (++c === dim) c = 0;
      }
    }
  } else {
    // The same compaction by the mask, `width` bytes an element.
    for (let i = 0, o = 0; i < count; i++) {
      for (let k = 0, j = i * width, at = o * width; k < width; k++) values[at + k] = bytes[j + k];
      o += (mask[i >>> 3] >>> (i & 7)) & 1;
    }
  }
  const planes = Array.from({ length: width }, (_, k) => ({ data: values, off: k, stride: width, n: nnz, plan: analyze(values, k, width, nnz) }));
  const planeBytes = planes.reduce((a, x) => a + x.plan.bytes, 0);
  // The bound is that of the positions and of the plain value planes, whatever coding wins.
  const boundBits = planes.reduce((a, x) => a + x.plan.boundBits, positionBits(nnz, count));
  let signMag = signed ? planSignMagnitude(values, chan, ch) : null;
  if (signMag && signMag.bytes >= planeBytes) signMag = null;
  const posBytes = best.plan.bytes + (best.mode === POS.gaps ? best.extra : 0);
  const bytesTotal = 3 + varintBytes(nnz) + width + posBytes + (signMag ? signMag.bytes : planeBytes);
  let pos = best.data;
  if (best.mode === POS.flags) {
    pos = new Uint8Array(count);
    for (let i = 0; i < count; i++) pos[i] = (mask[i >>> 3] >>> (i & 7)) & 1;
  }
  return { fill, nnz, posMode: best.mode, pos, posPlan: best.plan, planes, signMag, bytes: bytesTotal, boundBits };
}

/** Write a sparse body after its layout byte. */
export function writeSparse(w: ByteWriter, s: SparsePlan): void {
  w.varint(s.nnz);
  w.bytes(s.fill);
  w.u8(s.posMode);
  if (s.posMode === POS.gaps) w.varint(s.pos.length);
  writeStream(w, s.pos, 0, 1, s.pos.length, s.posPlan);
  w.u8(s.signMag ? VALUES.signMagnitude : VALUES.planes);
  if (s.signMag) writeSignMagnitude(w, s.signMag);
  else for (const x of s.planes) writeStream(w, x.data, x.off, x.stride, x.n, x.plan);
}

/** A validated sparse body. */
export interface SparseRef {
  nnz: number;
  fill: Uint8Array;
  posMode: number;
  pos: StreamRef;
  /** Value planes (planes mode). */
  planes: StreamRef[];
  signMag: SignMagRef | null;
  channels: Channels | null;
}

/** Read a sparse body's headers (after the layout byte), checking counts against the shape. */
export function readSparse(r: ByteReader, count: number, width: number, ch: Channels | null): SparseRef {
  const nnz = r.count('non-fill element count', count);
  const fill = new Uint8Array(width);
  for (let k = 0; k < width; k++) fill[k] = r.u8('fill element');
  const posMode = r.u8('position coding');
  let pos: StreamRef;
  if (posMode === POS.mask) pos = readStream(r, (count + 7) >>> 3, 'position mask');
  else if (posMode === POS.gaps) pos = readStream(r, r.count('gap byte count', nnz + Math.floor(count / 255) + 1), 'position gaps');
  else if (posMode === POS.flags) pos = readStream(r, count, 'position flags');
  else throw r.bad(`unknown position coding ${posMode}`);
  const valueMode = r.u8('value coding');
  const planes: StreamRef[] = [];
  let signMag: SignMagRef | null = null;
  if (valueMode === VALUES.planes) {
    for (let k = 0; k < width; k++) planes.push(readStream(r, nnz, `value plane ${k}`));
  } else if (valueMode === VALUES.signMagnitude && ch && width === 1 && fill[0] === 0) {
    signMag = readSignMagnitude(r, nnz, ch);
  } else {
    throw r.bad(`value coding ${valueMode} does not fit this tensor`);
  }
  return { nnz, fill, posMode, pos, planes, signMag, channels: ch };
}

/** Decode a sparse body into `out` (count x width bytes). */
export function decodeSparse(s: SparseRef, file: Uint8Array, out: Uint8Array, count: number, width: number, where: string): void {
  const bad = () => new McError('BAD_MANIFEST', `${where}: positions do not match the ${s.nnz} of ${count} elements declared (corrupt file)`);
  const posBytes = new Uint8Array(s.pos.n);
  decodeStream(s.pos, file, posBytes, 0, 1, `${where} positions`);
  // Plain values: the planes interleaved back into elements; or floors, signs and magnitudes.
  const values = new Uint8Array(s.signMag ? 0 : s.nnz * width);
  s.planes.forEach((ref, k) => decodeStream(ref, file, values, k, width, `${where} values`));
  const sm = s.signMag ? decodeSignMagnitude(s.signMag, file, s.channels as Channels, where) : null;
  for (let k = 0; k < width; k++) if (s.fill[k] !== 0) for (let j = k; j < out.length; j += width) out[j] = s.fill[k];
  const ch = s.channels as Channels;
  let found = 0;
  const put = (i: number): void => {
    if (found >= s.nnz || i >= count) throw bad();
    if (sm) {
      const mag = sm.mags[found] + sm.floors[Math.floor(i / ch.inner) % ch.dim] + 1;
      out[i] = sm.signs[found >>> 3] & (1 << (found & 7)) ? -mag & 255 : mag & 255;
    } else {
      for (let k = 0, src = found * width, dst = i * width; k < width; k++) out[dst + k] = values[src + k];
    }
    found++;
  };
  if (s.posMode === POS.mask) {
    // Set bits lowest first (m & -m), rather than a test per bit.
    for (let j = 0; j < posBytes.length; j++) {
      for (let m = posBytes[j]; m !== 0; ) {
        const low = m & -m;
        put((j << 3) + 31 - Math.clz32(low));
        m ^= low;
      }
    }
  } else if (s.posMode === POS.flags) {
    for (let i = 0; i < count; i++) {
      if (posBytes[i] === 1) put(i);
      else if (posBytes[i] !== 0) throw bad();
    }
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
    if (acc !== 0) throw bad();
  }
  if (found !== s.nnz) throw bad();
}
