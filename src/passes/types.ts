/**
 * The shapes passes work on. A pass is a small pure function over one tensor (no file
 * access, no printing); passes are registered in one table (registry.ts), from which
 * the CLI flags, config validation and docs are derived.
 */

/** A float32 weight tensor as a pass sees it. */
export interface WeightTensor {
  /** Manifest name (layers: `dense_1/kernel`; graph: the Const node name). */
  name: string;
  /** Dimensions. */
  shape: readonly number[];
  /** Decoded values, row-major; a pass never mutates its input. */
  values: Float32Array;
}

/**
 * How a float32 tensor is stored after an encoding pass.
 * - float32: as is;
 * - float16: IEEE binary16 bits;
 * - affine: unsigned q with value = q * scale + min (the stock tfjs uint8/uint16 form);
 * - int8: signed symmetric q in [-127, 127], value = q * scale, one scale per tensor
 *   (axis null) or per slice along `axis` (per channel).
 */
export type Encoding =
  | { kind: 'float32' }
  | { kind: 'float16' }
  | { kind: 'affine'; dtype: 'uint8' | 'uint16'; scale: number; min: number }
  | { kind: 'int8'; axis: number | null; scales: Float32Array };

/** Result of an encoding pass. */
export interface Encoded {
  encoding: Encoding;
  /**
   * Stored symbols: Float32Array (float32), Uint16Array (float16 bits), Uint8Array /
   * Uint16Array (affine q), Int8Array (int8 q).
   */
  symbols: Float32Array | Uint16Array | Uint8Array | Int8Array;
  /** The values a loader gets back (what accuracy is measured on). */
  decoded: Float32Array;
  /** Warnings naming the tensor (e.g. float16 saturation). */
  warnings: string[];
  /** The decoded values against the input, when the pass gathered them while encoding (int8, float16). */
  stats?: EncodeStats;
}

/**
 * What a pass can tell about its output while it encodes, at no extra pass over the data:
 * over the input values v and the decoded values d (float32, what a loader gets back).
 */
export interface EncodeStats {
  /** Input values equal to 0 (-0 included). */
  inputZeros: number;
  /** Decoded values equal to 0. */
  zeros: number;
  /** Largest |d - v| (NaN inputs do not count; an infinite input makes it Infinity). */
  maxError: number;
  /** Sum of (d - v)^2 (NaN when an input is NaN). */
  sumSq: number;
}

/**
 * `e` with a `decoded` property computed on first use and kept: passes whose decoded
 * values are a cheap function of their symbols (float16, int8) leave them to whoever
 * needs them, so a pipeline that only writes the symbols never holds them.
 */
export function withLazyDecoded(e: Omit<Encoded, 'decoded'>, decode: () => Float32Array): Encoded {
  let kept: Float32Array | undefined;
  return Object.defineProperty(e, 'decoded', { get: () => (kept ??= decode()), enumerable: true, configurable: true }) as Encoded;
}
