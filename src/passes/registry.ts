/**
 * The one table of passes. The CLI builds its --dtype / --scope / --pattern choices and
 * help from it, config validation checks against it, and docs describe it.
 */
import { McError } from '../errors.js';
import type { QuantizeStep, QuantizerName } from '../recipe.js';
import { encodeCluster } from './cluster.js';
import { encodeIntN } from './intn.js';
import { quantizeAffine, quantizeFloat16, quantizeInt8 } from './quantize.js';
import type { Encoded, WeightTensor } from './types.js';

/** Options every quantizer takes. */
export interface QuantizeOptions {
  /**
   * int8 per channel and per-channel clusters: the per-channel axis (null: one scale or
   * codebook per tensor); intN group codecs: the output-channel axis the groups run along
   * (null: the whole tensor is one channel).
   */
  axis: number | null;
  allowNonfinite: boolean;
  /** intN: weights per group (Infinity: one group per channel); int8: absent or null for plain int8. */
  groupSize?: number | null;
  /** intN: symmetric grid instead of affine. */
  symmetric?: boolean;
  /** cluster: centroids per codebook. */
  clusters?: number | null;
  /** cluster: seed of the k-means++ draws (default 0). */
  seed?: number;
}

/** A quantizer: how it encodes a float32 tensor and what the stock format can hold of it. */
export interface QuantizerDef {
  summary: string;
  /** Bytes per stored element. */
  bytesPerElement: number;
  /** True when it has a per-channel form (which the stock manifest cannot hold). */
  perChannel: boolean;
  /** True when no form of it fits a stock tfjs manifest (intN, clusters): only a .mcz holds it. */
  containerOnly?: boolean;
  encode(t: WeightTensor, o: QuantizeOptions): Encoded;
  /**
   * The forms of this quantizer that `sensitivity` and `tune` try on a tensor (each costs
   * the search time, so the list is short); `label` names the form in their tables.
   */
  candidates: ReadonlyArray<Partial<QuantizeStep> & { label: string }>;
}

/** Every quantizer, by its --dtype name. */
export const QUANTIZERS: Readonly<Record<QuantizerName, QuantizerDef>> = {
  float16: {
    summary: 'IEEE half precision, round to nearest even; 2x smaller; stock tfjs loads it',
    bytesPerElement: 2,
    perChannel: false,
    encode: (t, o) => quantizeFloat16(t, { allowNonfinite: o.allowNonfinite }),
    candidates: [{ label: 'float16', perChannel: false }],
  },
  int8: {
    summary: 'symmetric int8 in [-127, 127], zero point 0; per tensor (stock, as uint8) or per channel (.mcz); 4x smaller; with --group-size the 8-bit group codec (.mcz only)',
    bytesPerElement: 1,
    perChannel: true,
    // With a group size it is the 8-bit group codec (.mcz only), otherwise plain symmetric int8.
    encode: (t, o) => (o.groupSize != null ? intn(8)(t, o) : quantizeInt8(t, { axis: o.axis, allowNonfinite: o.allowNonfinite })),
    candidates: [
      { label: 'int8 per channel', perChannel: true },
      { label: 'int8', perChannel: false },
    ],
  },
  uint8: {
    summary: 'per-tensor affine uint8 as the tfjs converter writes it (0.0 exact); 4x smaller',
    bytesPerElement: 1,
    perChannel: false,
    encode: (t, o) => quantizeAffine(t, { dtype: 'uint8', allowNonfinite: o.allowNonfinite }),
    candidates: [{ label: 'uint8', perChannel: false }],
  },
  uint16: {
    summary: 'per-tensor affine uint16 as the tfjs converter writes it (0.0 exact); 2x smaller',
    bytesPerElement: 2,
    perChannel: false,
    encode: (t, o) => quantizeAffine(t, { dtype: 'uint16', allowNonfinite: o.allowNonfinite }),
    // Same bytes as float16, which the search already tries as its safe 2-byte form: kept off the list to keep searches short.
    candidates: [],
  },
  // int5 and int7 sit between forms the search tries (int4/int6, int6/int8): left off its list to keep it short.
  int2: intnDef(2, [{ label: 'int2 g64', groupSize: 64, symmetric: false, perChannel: false }]),
  int3: intnDef(3, [
    { label: 'int3 g64', groupSize: 64, symmetric: false, perChannel: false },
    // One scale per output channel: the scales of g64 cost 1/4 bit per weight (affine: 1/2), which low-bit tensors notice.
    { label: 'int3 per channel', symmetric: false, perChannel: true },
  ]),
  int4: intnDef(4, [
    { label: 'int4 g64', groupSize: 64, symmetric: false, perChannel: false },
    { label: 'int4 per channel', symmetric: false, perChannel: true },
  ]),
  int5: intnDef(5, []),
  int6: intnDef(6, [{ label: 'int6 g64', groupSize: 64, symmetric: false, perChannel: false }]),
  int7: intnDef(7, []),
  cluster: {
    summary: 'cluster<K> (K in 2..256): each weight the nearest of K float16 centroids (k-means++, seeded), per tensor or --per-channel; indices entropy coded (.mcz only)',
    bytesPerElement: 1,
    perChannel: true,
    containerOnly: true,
    encode: (t, o) => {
      if (o.clusters == null) throw new McError('USAGE', `tensor "${t.name}": cluster needs a number of centroids (cluster16)`);
      return encodeCluster(t, { k: o.clusters, perChannel: o.axis !== null, axis: o.axis, seed: o.seed ?? 0, allowNonfinite: o.allowNonfinite });
    },
    candidates: [
      { label: 'cluster16', clusters: 16, perChannel: false },
      { label: 'cluster4', clusters: 4, perChannel: false },
    ],
  },
};

/** The encode function of the intN group codec of `bits` bits. */
function intn(bits: number): QuantizerDef['encode'] {
  return (t, o) => {
    const g = o.groupSize === undefined ? 64 : o.groupSize === null ? Infinity : o.groupSize;
    return encodeIntN(t, o.axis, { bits, groupSize: g === Infinity ? 2 ** 31 : g, symmetric: Boolean(o.symmetric), allowNonfinite: o.allowNonfinite });
  };
}

/** The table entry of int2..int7. */
function intnDef(bits: number, candidates: QuantizerDef['candidates']): QuantizerDef {
  return {
    summary: `${bits}-bit codes, one float16 scale per --group-size weights (default 64) of each output channel (or --per-channel), affine (default) or --symmetric (.mcz only)`,
    bytesPerElement: bits / 8,
    perChannel: true,
    containerOnly: true,
    encode: intn(bits),
    candidates,
  };
}

/** Quantizer names, for flag choices. */
export const QUANTIZER_NAMES = Object.keys(QUANTIZERS) as QuantizerName[];

/** Pruning scopes, for flag choices and help. */
export const PRUNE_SCOPES = {
  layer: 'each targeted tensor reaches the sparsity exactly',
  global: 'one magnitude threshold across all targeted tensors; their combined sparsity is the target',
} as const;

/** Why a quantize step cannot be written to a stock tfjs folder (intN, clusters, int8 in groups), or null when it can. */
export function containerOnlyReason(q: Pick<QuantizeStep, 'dtype' | 'groupSize' | 'clusters'>): string | null {
  const grouped = q.dtype === 'int8' && q.groupSize != null;
  if (!QUANTIZERS[q.dtype].containerOnly && !grouped) return null;
  const what = q.dtype === 'cluster' ? `cluster${q.clusters ?? ''} (indices into float16 centroids)` : `${q.dtype} in groups (a float16 scale per group)`;
  return `${what} cannot be written to a tfjs folder: the stock manifest holds one scale and min per tensor; write a packed container (-o model.mcz)`;
}

/** True when a quantize step encodes along the output-channel axis: int8 per channel, the intN group codecs, per-channel clusters. */
export function usesChannelAxis(q: Pick<QuantizeStep, 'dtype' | 'perChannel' | 'groupSize'>): boolean {
  if (q.dtype === 'int8') return q.perChannel || q.groupSize != null;
  return q.perChannel || (QUANTIZERS[q.dtype].containerOnly === true && q.dtype !== 'cluster');
}

/** The codec options of a quantize step, as QuantizeOptions carries them to `encode`. */
export function codecOptions(q: Pick<QuantizeStep, 'groupSize' | 'symmetric' | 'clusters'> | null | undefined): Pick<QuantizeOptions, 'groupSize' | 'symmetric' | 'clusters'> {
  return q ? { groupSize: q.groupSize, symmetric: q.symmetric, clusters: q.clusters } : {};
}
