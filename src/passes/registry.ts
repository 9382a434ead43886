/**
 * The one table of passes. The CLI builds its --dtype / --scope / --pattern choices and
 * help from it, config validation checks against it, and docs describe it.
 */
import type { QuantizeStep, QuantizerName } from '../recipe.js';
import { quantizeAffine, quantizeFloat16, quantizeInt8 } from './quantize.js';
import type { Encoded, WeightTensor } from './types.js';

/** Options every quantizer takes. */
export interface QuantizeOptions {
  /** Per-channel axis (int8 only); null: one scale per tensor. */
  axis: number | null;
  allowNonfinite: boolean;
}

/** A quantizer: how it encodes a float32 tensor and what the stock format can hold of it. */
export interface QuantizerDef {
  summary: string;
  /** Bytes per stored element. */
  bytesPerElement: number;
  /** True when it has a per-channel form (which the stock manifest cannot hold). */
  perChannel: boolean;
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
    summary: 'symmetric int8 in [-127, 127], zero point 0; per tensor (stock, as uint8) or per channel (.mcz); 4x smaller',
    bytesPerElement: 1,
    perChannel: true,
    encode: (t, o) => quantizeInt8(t, { axis: o.axis, allowNonfinite: o.allowNonfinite }),
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
};

/** Quantizer names, for flag choices. */
export const QUANTIZER_NAMES = Object.keys(QUANTIZERS) as QuantizerName[];

/** Pruning scopes, for flag choices and help. */
export const PRUNE_SCOPES = {
  layer: 'each targeted tensor reaches the sparsity exactly',
  global: 'one magnitude threshold across all targeted tensors; their combined sparsity is the target',
} as const;
