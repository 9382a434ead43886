/**
 * Decoding stored entry bytes into values, matching stock tfjs (io_utils.decodeWeight)
 * value for value: affine entries are computed as q * scale + min in double precision,
 * then stored as float32 (or rounded, for int32 entries).
 */
import { McError } from '../errors.js';
import { STRING_LENGTH_BYTES, elementCount } from './dtypes.js';
import { float16ToFloat32 } from './float16.js';
import type { ManifestEntry } from './manifest.js';

/** Decoded values: float32 (complex64 interleaved re, im), int32, bool (0/1), or string bytes. */
export type TensorValues = Float32Array | Int32Array | Uint8Array | Uint8Array[];

/** View `bytes` as a typed array without copying (bytes must be aligned, as GroupReader's are). */
function view<T>(Ctor: new (b: ArrayBufferLike, o: number, n: number) => T, bytes: Uint8Array, size: number): T {
  return new Ctor(bytes.buffer, bytes.byteOffset, bytes.byteLength / size);
}

/** Decode one entry's stored bytes. */
export function decodeEntry(entry: ManifestEntry, bytes: Uint8Array): TensorValues {
  const q = entry.quantization;
  if (q) {
    if (q.dtype === 'float16') return float16ToFloat32(view(Uint16Array, bytes, 2));
    const stored = q.dtype === 'uint8' ? bytes : view(Uint16Array, bytes, 2);
    const scale = q.scale as number;
    const min = q.min as number;
    if (entry.dtype === 'int32') {
      const out = new Int32Array(stored.length);
      for (let i = 0; i < stored.length; i++) out[i] = Math.round(stored[i] * scale + min);
      return out;
    }
    const out = new Float32Array(stored.length);
    for (let i = 0; i < stored.length; i++) out[i] = stored[i] * scale + min;
    return out;
  }
  switch (entry.dtype) {
    case 'float32':
    case 'complex64':
      return view(Float32Array, bytes, 4);
    case 'int32':
      return view(Int32Array, bytes, 4);
    case 'bool':
      return bytes;
    case 'string':
      return decodeStrings(entry, bytes);
  }
}

/**
 * Check that a string entry's bytes are exactly its element count of strings, each a
 * 4-byte length and that many bytes (no length prefix cut off or running past the end,
 * nothing left over), without allocating; `where` prefixes errors (default: the tensor).
 */
export function checkStrings(entry: ManifestEntry, bytes: Uint8Array, where = `tensor "${entry.name}"`): void {
  const count = elementCount(entry.shape, where);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + STRING_LENGTH_BYTES > bytes.length) {
      throw new McError('SIZE_MISMATCH', `${where}: expected ${count} strings, the bytes end after ${i} (a length prefix is cut off at byte ${at})`);
    }
    const n = dv.getUint32(at, true);
    at += STRING_LENGTH_BYTES;
    if (n > bytes.length - at) {
      throw new McError('SIZE_MISMATCH', `${where}: string ${i} claims ${n} bytes, only ${bytes.length - at} remain`);
    }
    at += n;
  }
  if (at !== bytes.length) {
    throw new McError('SIZE_MISMATCH', `${where}: expected ${count} strings in ${bytes.length} bytes, found ${bytes.length - at} bytes after the last one`);
  }
}

/** Split a string entry's bytes into its strings (4-byte LE length, then the bytes); checked as checkStrings does. */
export function decodeStrings(entry: ManifestEntry, bytes: Uint8Array): Uint8Array[] {
  checkStrings(entry, bytes);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = dv.getUint32(at, true);
    at += STRING_LENGTH_BYTES;
    out.push(bytes.slice(at, at + n));
    at += n;
  }
  return out;
}

/** Encode string bytes the way tfjs stores them. */
export function encodeStrings(values: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const v of values) total += STRING_LENGTH_BYTES + v.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  let at = 0;
  for (const v of values) {
    dv.setUint32(at, v.length, true);
    out.set(v, at + STRING_LENGTH_BYTES);
    at += STRING_LENGTH_BYTES + v.length;
  }
  return out;
}
