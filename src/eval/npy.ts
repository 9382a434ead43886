/** Reading NumPy .npy arrays (format versions 1-3, little-endian or byte-sized dtypes, C order). */
import { McError } from '../errors.js';

/** A decoded .npy array as float64 values and its shape. */
export interface NpyArray {
  shape: number[];
  values: Float64Array;
}

const READERS: Record<string, [number, (dv: DataView, at: number) => number]> = {
  '<f4': [4, (dv, at) => dv.getFloat32(at, true)],
  '<f8': [8, (dv, at) => dv.getFloat64(at, true)],
  '<f2': [2, (dv, at) => half(dv.getUint16(at, true))],
  '|u1': [1, (dv, at) => dv.getUint8(at)],
  '|i1': [1, (dv, at) => dv.getInt8(at)],
  '|b1': [1, (dv, at) => dv.getUint8(at)],
  '<u2': [2, (dv, at) => dv.getUint16(at, true)],
  '<i2': [2, (dv, at) => dv.getInt16(at, true)],
  '<u4': [4, (dv, at) => dv.getUint32(at, true)],
  '<i4': [4, (dv, at) => dv.getInt32(at, true)],
  '<i8': [8, (dv, at) => Number(dv.getBigInt64(at, true))],
  '<u8': [8, (dv, at) => Number(dv.getBigUint64(at, true))],
};

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Parse the bytes of a .npy file; `file` names it in errors. */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const bad = (why: string) => new McError('BAD_VALUE', `${file}: expected a NumPy .npy array, ${why}`);
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw bad('found no \\x93NUMPY header');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) throw bad('the header is cut off');
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*True/.test(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw bad('found a header without descr or shape');
  const reader = READERS[descr] ?? READERS[descr.replace('=', '<')];
  if (!reader) throw bad(`found dtype ${descr} (supported: ${Object.keys(READERS).join(', ')})`);
  if (fortran) throw bad('found Fortran order; save it with C order (np.ascontiguousarray)');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataAt = start + headerLen;
  if (!shape.every((d) => Number.isInteger(d) && d >= 0) || dataAt + count * reader[0] > bytes.length) {
    throw bad(`shape (${shapeText}) of ${descr} needs ${count * reader[0]} bytes, found ${bytes.length - dataAt}`);
  }
  const values = new Float64Array(count);
  const [size, read] = reader;
  for (let i = 0; i < count; i++) values[i] = read(dv, dataAt + i * size);
  return { shape, values };
}
