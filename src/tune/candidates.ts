/**
 * The encodings a search tries on one tensor: keep, every form every registered quantizer
 * lists (registry.ts `candidates`), and magnitude pruning at a few sparsities alone and
 * under each of those forms. Trying one runs the ordinary pipeline on that tensor alone
 * (planStep, runJobOn) and measures its .mcz section, so what the search counts is what
 * `compress` writes.
 */
import type { Model } from '../model/load.js';
import { measureTensor } from '../mcz/write.js';
import { isPruneTarget } from '../passes/prune.js';
import { QUANTIZERS, QUANTIZER_NAMES } from '../passes/registry.js';
import { planStep, runJobOn } from '../pipeline.js';
import { type TensorQuantize, type TensorStep, tensorSteps } from '../recipe.js';
import type { Target } from './capture.js';

/** Sparsities a search tries by default. */
export const DEFAULT_SPARSITIES: readonly number[] = [0.25, 0.5, 0.75];
/** Sparsities tried with tune --solvers: reconstruction makes 85 and 90 % worth trying (the MNIST MLP's first kernel takes it; docs/tune.md). */
export const SOLVER_SPARSITIES: readonly number[] = [0.25, 0.5, 0.75, 0.85, 0.9];

/** One encoding of one tensor. */
export interface Candidate {
  /** e.g. "keep", "int8 per channel", "prune 50 % + int4 g64". */
  label: string;
  step: TensorStep;
  /** True when a stock tfjs folder can hold it (float32, float16, uint8/uint16 affine, int8 per tensor as uint8). */
  stock: boolean;
}

/** A candidate tried on a tensor: what it costs and how far it moves the values. */
export interface Tried extends Candidate {
  /**
   * Bytes of its entropy-coded .mcz section: the size a container pays, and the search's
   * estimate of what a stock shard costs once served with brotli.
   */
  bytes: number;
  /** Bytes of its stored form in a stock folder (as the shards hold it, before HTTP compression); its section bytes when a folder cannot hold it. */
  rawBytes: number;
  /** Sum of squared changes of the values, float64. */
  noise: number;
}

/** Options of candidatesFor. */
export interface CandidateOptions {
  /** Sparsities to try (0 is always tried); [] for none. */
  sparsities?: readonly number[];
  /** Only encodings a stock folder holds. */
  stockOnly?: boolean;
}

const pct = (s: number) => `${Math.round(s * 1000) / 10} %`;

/** The candidates for a target, "keep" first. */
export function candidatesFor(t: Target, opts: CandidateOptions = {}): Candidate[] {
  const forms: { label: string; q: TensorQuantize | null; stock: boolean }[] = [{ label: 'keep', q: null, stock: true }];
  for (const dtype of QUANTIZER_NAMES) {
    const def = QUANTIZERS[dtype];
    for (const c of def.candidates) {
      const { label, ...rest } = c;
      // In the form a recipe file reads back (tensorSteps), so that what is measured here is what `compress --recipe` writes.
      const q = tensorSteps({ t: { sparsity: 0, quantize: { dtype, ...rest } } }, `the ${dtype} candidate "${label}"`).t.quantize as TensorQuantize;
      if (q.perChannel && t.axis === null) continue;
      const stock = !q.perChannel && isStockForm(q);
      if (opts.stockOnly && !stock) continue;
      forms.push({ label, q, stock });
    }
  }
  const out: Candidate[] = [];
  const sparsities = isPruneTarget(t.info.entry.dtype, t.shape) ? (opts.sparsities ?? DEFAULT_SPARSITIES) : [];
  for (const s of [0, ...sparsities]) {
    for (const f of forms) {
      const label = s === 0 ? f.label : f.q ? `prune ${pct(s)} + ${f.label}` : `prune ${pct(s)}`;
      out.push({ label, step: { sparsity: s, quantize: f.q }, stock: f.stock });
    }
  }
  return out;
}

/** Forms a stock manifest holds: today's per-tensor quantizers (new codecs declare otherwise by having per-group or cluster parameters). */
function isStockForm(q: TensorQuantize): boolean {
  const extra = Object.entries(q).filter(([k, v]) => !['dtype', 'perChannel', 'allowNonfinite'].includes(k) && v !== null && v !== undefined && v !== false);
  return ['float16', 'int8', 'uint8', 'uint16'].includes(q.dtype) && extra.length === 0;
}

/** Run a step on a target through the pipeline: the encoded tensor (null when its stored bytes pass through unchanged). */
function run(model: Model, t: Target, step: TensorStep) {
  const job = planStep(model, t.info, step, { stockOutput: false });
  // runJobOn may prune in place: it gets its own copy of the stored bytes.
  return runJobOn(job, t.stored.slice(), {}).enc ?? null;
}

/** The values a loader gets back for a target under `step`. */
export function decodedOf(model: Model, t: Target, step: TensorStep): Float32Array {
  return run(model, t, step)?.decoded ?? t.values;
}

/** Sum of squared differences, in float64. */
export function noiseOf(a: Float32Array, b: Float32Array): number {
  let noise = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    noise += d * d;
  }
  return noise;
}

/** Run one candidate on one target: its bytes and its noise. */
export function tryCandidate(model: Model, t: Target, c: Candidate): Tried {
  const enc = run(model, t, c.step);
  const entry = t.info.entry;
  const bytes = enc ? measureTensor({ entry, encoded: enc }).bytes : measureTensor({ entry, stored: t.stored }).bytes;
  const q = c.step.quantize;
  const rawBytes = !c.stock ? bytes : q ? t.info.count * QUANTIZERS[q.dtype].bytesPerElement : enc ? t.info.count * 4 : t.info.byteLength;
  return { ...c, bytes, rawBytes, noise: enc ? noiseOf(enc.decoded, t.values) : 0 };
}
