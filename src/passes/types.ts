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
 *   (axis null) or per slice along `axis` (per channel);
 * - intn: N-bit codes (N in 2..8) with one float16 scale per group of input-axis weights
 *   of each output channel (see IntNGrid; passes/intn.ts);
 * - cluster: an index into K float16 centroids, per tensor or per channel (see
 *   ClusterCodebook; passes/cluster.ts).
 */
export type Encoding =
  | { kind: 'float32' }
  | { kind: 'float16' }
  | { kind: 'affine'; dtype: 'uint8' | 'uint16'; scale: number; min: number }
  | { kind: 'int8'; axis: number | null; scales: Float32Array }
  | ({ kind: 'intn' } & IntNGrid)
  | ({ kind: 'cluster' } & ClusterCodebook);

/**
 * The grid of an intN group codec. The tensor is walked as [outer, dim, inner] around
 * `axis` (the output-channel axis; null: the whole tensor is one channel, dim = inner =
 * 1): element i is in channel c = floor(i / inner) mod dim at input index
 * j = floor(i / (dim * inner)) * inner + (i mod inner), i.e. a channel's weights in
 * row-major order with the channel axis removed (Dense [in, out]: j = in; Conv2D
 * [h, w, in, out]: j = (h * W + w) * IN + in, the im2col order; DepthwiseConv2D
 * [h, w, in, mult] with axis 2: j = (h * W + w) * MULT + m; graph MatMul [in, out], or
 * [out, in] with transpose_b (axis 0): j = in). Group g of channel c holds
 * j in [g * groupSize, (g + 1) * groupSize); its index in `scales` / `zeros` is
 * c * groups + g, groups = ceil(length / groupSize), length = count / dim (passes/codes.ts).
 */
export interface IntNGrid {
  /** Bits per code, 2..8. */
  bits: number;
  /** Symmetric: value = q * scale, q in [-(2^(bits-1) - 1), 2^(bits-1) - 1]. Affine: value = (q - zero) * scale, q in [0, 2^bits - 1]. */
  symmetric: boolean;
  /** Output-channel axis (null: one channel). */
  axis: number | null;
  /** Weights per group along the input index, at most the channel's length (= length: one group per channel). */
  groupSize: number;
  /** Per group, float16 values (finite, > 0) held as float32. */
  scales: Float32Array;
  /** Affine: the zero code of each group (in [0, 2^bits - 1]; the code of exactly 0.0); symmetric: null. */
  zeros: Uint8Array | null;
}

/** The centroids of a cluster codec: value = centroids[c * k + index], c the element's channel along `axis` (null: one set for the tensor). */
export interface ClusterCodebook {
  /** Centroids per set, 1..256. */
  k: number;
  /** Per-channel axis (channel c = floor(i / inner) mod shape[axis]), or null. */
  axis: number | null;
  /** float16 values held as float32, k per channel, ascending within a set when fitted. */
  centroids: Float32Array;
}

/** Result of an encoding pass. */
export interface Encoded {
  encoding: Encoding;
  /**
   * Stored symbols: Float32Array (float32), Uint16Array (float16 bits), Uint8Array /
   * Uint16Array (affine q), Int8Array (int8 q), Uint8Array (intn: the byte (q - zero) mod
   * 256, symmetric q mod 256, so 0.0 is always byte 0; cluster: the centroid index).
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
