/**
 * A recipe: which passes to run with which options. CLI flags and config are validated
 * into a Recipe before any weight is read (plan, then execute).
 */

/** The quantizers, by the name `--dtype` takes. */
export type QuantizerName = 'float16' | 'int8' | 'uint8' | 'uint16';

/** N:M structured pattern, or unstructured magnitude pruning. */
export type PrunePattern = 'unstructured' | { n: number; m: number };

/** Options of the quantize step. */
export interface QuantizeStep {
  dtype: QuantizerName;
  /** int8 only: one scale per output channel (stored in .mcz only). */
  perChannel: boolean;
  include: string[];
  exclude: string[];
  /** Tensors with fewer elements stay float32. */
  minElements: number;
  /** Encode NaN/Infinity instead of failing (see docs/quantization.md). */
  allowNonfinite: boolean;
}

/** Options of the prune step. */
export interface PruneStep {
  /** Fraction of the targeted weights to be zero, in [0, 1]. */
  sparsity: number;
  scope: 'layer' | 'global';
  pattern: PrunePattern;
  include: string[];
  exclude: string[];
  /** Tensors with fewer elements are not pruned. */
  minElements: number;
  /** Global scope: allow a tensor to end up all zeros. */
  allowEmpty: boolean;
}

/** Passes to run, in order: prune, then quantize. */
export interface Recipe {
  prune?: PruneStep;
  quantize?: QuantizeStep;
}

/**
 * Default --min-elements of quantize and prune: smaller tensors are left alone. They hold
 * little of a model's bytes (under 1 % of the MNIST MLP) and are the most sensitive:
 * pruning its 100x10 output kernel at 50 % alone costs 2 points of accuracy
 * (docs/pruning.md), and quantizing biases saves almost nothing.
 */
export const DEFAULT_MIN_ELEMENTS = 1024;

/** A short human description of a recipe, e.g. "prune 50 % (layer) + int8 per channel". */
export function describeRecipe(r: Recipe): string {
  const parts: string[] = [];
  if (r.prune) {
    const p = r.prune.pattern === 'unstructured' ? `${Math.round(r.prune.sparsity * 1000) / 10} % (${r.prune.scope})` : `${r.prune.pattern.n}:${r.prune.pattern.m}`;
    parts.push(`prune ${p}`);
  }
  if (r.quantize) parts.push(`${r.quantize.dtype}${r.quantize.perChannel ? ' per channel' : ''}`);
  return parts.join(' + ') || 'no passes';
}
