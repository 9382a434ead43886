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
}
