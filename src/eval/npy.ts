/**
 * Reading NumPy .npy arrays (format versions 1-3, C order, either byte order). Values
 * come back as what a model consumes: float dtypes as float32 (f4 copied as is, f8
 * rounded, f2 widened), integer and bool dtypes as int32 (an integer outside the int32
 * range is an error, never a wrapped value). Nothing is sized before it is checked
 * against the bytes present: the data must be exactly shape product × item size bytes.
 */
import { McError } from '../errors.js';
import { MAX_ELEMENTS } from '../model/dtypes.js';
import { decodeTable } from '../model/float16.js';

/** A decoded .npy array. */
export interface NpyArray {
  /** Dimensions; [] for a 0-d array (one value). */
  shape: number[];
  /** float32 for float dtypes, int32 for integer and bool dtypes. */
  dtype: 'float32' | 'int32';
  /** Row-major values. */
  values: Float32Array | Int32Array;
  /** The file's dtype, as NumPy writes it ('<f4', '|u1', '>i8', ...). */
  descr: string;
}

/** The dtypes read, as kind + item size (any byte order: '<', '>', or '|' for one byte). */
export const NPY_DTYPES = ['f2', 'f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'b1'] as const;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** True on a little-endian host (typed arrays use host order; .npy data usually is little-endian). */
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The header dict's fields, from its Python literal text. */
function parseHeader(header: string, bad: (why: string) => McError): { descr: string; fortran: boolean; dims: string } {
  if (!/^\s*\{[^{}]*\}\s*$/.test(header)) throw bad(`found a header that is not a Python dict: ${JSON.stringify(header.slice(0, 60))}`);
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)\b/.exec(header)?.[1];
  const dims = /['"]shape['"]\s*:\s*\(([^()]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || dims === undefined) throw bad('found a header without descr, fortran_order or shape');
  return { descr, fortran: fortran === 'True', dims };
}

/** The dims of a shape tuple's text ("3, 28, 28" or "5," or ""), each at most 2^31 - 1. */
function parseDims(text: string, bad: (why: string) => McError): number[] {
  if (!/^\s*(\d+\s*(,\s*\d+\s*)*,?\s*)?$/.test(text)) throw bad(`found shape (${text.slice(0, 40)}), expected a tuple of integers`);
  const dims = text.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  for (const d of dims) if (d > MAX_ELEMENTS) throw bad(`found a dim of ${d} in shape (${text}), over 2^31 - 1`);
  return dims;
}

/** Parse the bytes of a .npy file; `where` names it in errors (a file, or "file.npz: member"). */
export function parseNpy(bytes: Uint8Array, where: string): NpyArray {
  const bad = (why: string) => new McError('BAD_VALUE', `${where}: expected a NumPy .npy array, ${why}`);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('found no \\x93NUMPY header');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major < 1 || major > 3) throw bad(`found format version ${major}.${bytes[7]} (supported: 1.0 to 3.0)`);
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start) throw bad('the header is cut off');
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  if (headerLen > bytes.length - start) throw bad(`the header claims ${headerLen} bytes, ${bytes.length - start} remain`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const h = parseHeader(header, bad);
  const m = /^([<>|=])([fiub])(\d+)$/.exec(h.descr);
  const type = m ? `${m[2]}${m[3]}` : '';
  if (!m || !(NPY_DTYPES as readonly string[]).includes(type)) throw bad(`found dtype ${JSON.stringify(h.descr)} (supported: ${NPY_DTYPES.join(', ')}, either byte order)`);
  if (h.fortran) throw bad('found Fortran order; save it in C order (np.ascontiguousarray)');
  const shape = parseDims(h.dims, bad);
  const size = Number(m[3]);
  const dataAt = start + headerLen;
  const present = bytes.length - dataAt;
  // The product is checked against the bytes present as it grows, so it never overflows.
  let count = shape.includes(0) ? 0 : 1;
  let k = 0;
  while (count > 0 && k < shape.length && count * size <= present) count *= shape[k++];
  const partial = count > 0 && k < shape.length;
  if (partial || count * size !== present) throw bad(`shape (${h.dims.trim()}) of ${h.descr} needs ${partial ? 'more than ' : ''}${count * size} bytes of data, found ${present}`);
  const little = m[1] !== '>';
  const values = decodeValues(dv, dataAt, count, type, little, `${where}: `);
  return { shape, dtype: values instanceof Float32Array ? 'float32' : 'int32', values, descr: h.descr };
}

/** The values of `count` items of `type` from byte `at` on. */
function decodeValues(dv: DataView, at: number, count: number, type: string, le: boolean, where: string): Float32Array | Int32Array {
  const raw = new Uint8Array(dv.buffer, dv.byteOffset + at, count * Number(type.slice(1)));
  if ((type === 'f4' || type === 'i4') && le === HOST_LE) {
    // The bytes are the values: one copy, no per-value work.
    const out = type === 'f4' ? new Float32Array(count) : new Int32Array(count);
    new Uint8Array(out.buffer).set(raw);
    return out;
  }
  const range = (i: number, v: number): McError =>
    new McError('BAD_VALUE', `${where}value ${v} at index ${i} is outside the int32 range (integer data is read as int32)`);
  if (type[0] === 'f') {
    const out = new Float32Array(count);
    if (type === 'f4') for (let i = 0; i < count; i++) out[i] = dv.getFloat32(at + 4 * i, le);
    else if (type === 'f2') {
      const table = decodeTable();
      for (let i = 0; i < count; i++) out[i] = table[dv.getUint16(at + 2 * i, le)];
    } else {
      for (let i = 0; i < count; i++) {
        const v = dv.getFloat64(at + 8 * i, le);
        out[i] = v;
        if (out[i] - out[i] !== 0 && v - v === 0) throw new McError('BAD_VALUE', `${where}value ${v} at index ${i} is outside the float32 range`);
      }
    }
    return out;
  }
  const out = new Int32Array(count);
  switch (type) {
    case 'b1':
      for (let i = 0; i < count; i++) out[i] = raw[i] === 0 ? 0 : 1;
      break;
    case 'u1':
      out.set(raw);
      break;
    case 'i1':
      out.set(new Int8Array(raw.buffer, raw.byteOffset, count));
      break;
    case 'i2':
      for (let i = 0; i < count; i++) out[i] = dv.getInt16(at + 2 * i, le);
      break;
    case 'u2':
      for (let i = 0; i < count; i++) out[i] = dv.getUint16(at + 2 * i, le);
      break;
    case 'i4':
      for (let i = 0; i < count; i++) out[i] = dv.getInt32(at + 4 * i, le);
      break;
    case 'u4':
      for (let i = 0; i < count; i++) {
        const v = dv.getUint32(at + 4 * i, le);
        if (v > 0x7fffffff) throw range(i, v);
        out[i] = v;
      }
      break;
    default: {
      // i8 / u8 as two 32-bit halves (no BigInt per value): in range when the high half is the low half's sign.
      const signed = type === 'i8';
      for (let i = 0; i < count; i++) {
        const p = at + 8 * i;
        const lo = dv.getUint32(le ? p : p + 4, le);
        const hi = signed ? dv.getInt32(le ? p + 4 : p, le) : dv.getUint32(le ? p + 4 : p, le);
        if (!((hi === 0 && lo <= 0x7fffffff) || (signed && hi === -1 && lo > 0x7fffffff))) throw range(i, hi * 2 ** 32 + lo);
        out[i] = lo | 0;
      }
    }
  }
  return out;
}
