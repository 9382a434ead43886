/**
 * The one dtype table: what each manifest dtype and quantization dtype is, and how many
 * bytes an element takes. Every byte-length computation goes through `entryByteLength`.
 */
import { McError } from '../errors.js';

/** Tensor dtypes a weights manifest entry may declare (tfjs-core io/types.ts). */
export type DType = 'float32' | 'int32' | 'bool' | 'string' | 'complex64';

/** Storage dtypes of `quantization.dtype` that stock tfjs accepts. */
export type QuantDType = 'uint8' | 'uint16' | 'float16';

/** Bytes per element of each fixed-size dtype; strings are variable. */
export const DTYPE_BYTES: Readonly<Record<Exclude<DType, 'string'>, number>> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
};

/** Bytes per stored element of each quantization dtype. */
export const QUANT_BYTES: Readonly<Record<QuantDType, number>> = {
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** Bytes of the little-endian length prefix before each string. */
export const STRING_LENGTH_BYTES = 4;

/** True when `d` is a manifest dtype. */
export function isDType(d: unknown): d is DType {
  return d === 'string' || (typeof d === 'string' && Object.hasOwn(DTYPE_BYTES, d));
}

/** True when `d` is a stock quantization dtype. */
export function isQuantDType(d: unknown): d is QuantDType {
  return typeof d === 'string' && Object.hasOwn(QUANT_BYTES, d);
}

/** Largest element count a tensor may have (typed arrays are indexed by int32 in tfjs). */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/**
 * Number of elements of `shape`, checked: every dim a non-negative integer of at most
 * MAX_ELEMENTS (also in a shape with a zero dim, whose other dims no bytes back) and the
 * product at most MAX_ELEMENTS (so no overflow can reach an allocation).
 */
export function elementCount(shape: readonly number[], where: string): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new McError('BAD_MANIFEST', `${where}: expected shape dims to be non-negative integers, found ${JSON.stringify(shape)}`);
    }
    if (d > MAX_ELEMENTS) {
      throw new McError('BAD_MANIFEST', `${where}: shape ${JSON.stringify(shape)} has a dim larger than ${MAX_ELEMENTS}`);
    }
    n *= d;
    if (n > MAX_ELEMENTS) {
      throw new McError('BAD_MANIFEST', `${where}: shape ${JSON.stringify(shape)} has more than ${MAX_ELEMENTS} elements`);
    }
  }
  return n;
}

/**
 * Bytes an entry occupies in the weights stream, or null for strings (their length is in
 * the data). The one place that multiplies counts by element sizes.
 */
export function fixedByteLength(count: number, dtype: DType, quant?: QuantDType): number | null {
  if (quant) return count * QUANT_BYTES[quant];
  if (dtype === 'string') return null;
  return count * DTYPE_BYTES[dtype];
}
