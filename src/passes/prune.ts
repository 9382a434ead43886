/**
 * Magnitude pruning as small pure functions (no file access, no printing).
 *
 * Every scope reduces to a per-tensor PrunePlan: zero every weight with |w| < threshold,
 * plus the first `ties` weights (index order) with |w| == threshold. Thresholds alone
 * cannot hit an exact count when magnitudes repeat (zeros, quantized weights); the tie
 * count makes the number of zeros exact and the choice deterministic. Already-zero
 * weights count toward sparsity: they are the smallest magnitudes, so they are chosen
 * first, and a tensor that already holds more zeros than asked for keeps them all.
 */
import { McError } from '../errors.js';
import { MAX_FLOAT32, MagnitudeStream, checkMagnitudes, keepTopNPerGroup, kthMagnitude, selectKth, type BucketShare } from './select.js';
import type { WeightTensor } from './types.js';

/** From this many weights, layer scope selects by counting bit patterns instead of selectKth on a copy. */
const RADIX_FROM = 1 << 16;

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** Zero every weight with |w| < threshold, plus the first `ties` weights (index order) with |w| == threshold. */
export interface PrunePlan {
  threshold: number;
  ties: number;
}

/** One tensor's share of a global plan. */
export interface GlobalPlan {
  name: string;
  plan: PrunePlan;
  /** Zeros after applying the plan (already-zero weights included). */
  zeros: number;
  /** zeros / weights (0 for an empty tensor). */
  sparsity: number;
}

/** Options of planLayer. */
export interface LayerOptions {
  /** Reused for the |w| copy when at least values.length long, to avoid an allocation per tensor. */
  scratch?: Float32Array;
  /** Tensor name, for error messages. */
  name?: string;
}

/** Number of weights a sparsity asks to be zero: Math.round(sparsity * n) (so 0.5 of 7 is 4). */
export function targetZeros(sparsity: number, n: number): number {
  return Math.round(sparsity * n);
}

/** Throws McError USAGE unless `s` is a fraction in [0, 1]. */
function checkSparsity(s: number): void {
  if (!(s >= 0 && s <= 1)) throw new McError('USAGE', `--sparsity: expected a fraction in [0, 1], found ${s}`);
}

/** The error for a weight that has no magnitude order (NaN) or cannot be compared usefully (±Infinity). */
function nonFinite(name: string | undefined, i: number, v: number): McError {
  const what = name === undefined ? 'tensor' : `tensor "${name}"`;
  return new McError('BAD_VALUE', `${what}: cannot prune a tensor holding ${v} (weight ${i}); expected finite weights`);
}

/**
 * Layer scope: the plan leaving exactly max(round(sparsity * n), zeros already there)
 * zeros. The threshold is the k-th smallest |w|, found by O(n) selection on a copy.
 */
export function planLayer(values: Float32Array, sparsity: number, opts: LayerOptions = {}): PrunePlan {
  checkSparsity(sparsity);
  const n = values.length;
  const k = targetZeros(sparsity, n);
  const fail = (i: number) => nonFinite(opts.name, i, values[i]);
  if (n >= RADIX_FROM) {
    // Large tensors: two counting passes over the bit patterns, no copy (same answer).
    if (k === 0) {
      checkMagnitudes(values, fail);
      return { threshold: 0, ties: 0 };
    }
    const r = kthMagnitude(values, k, fail);
    return { threshold: r.value, ties: k - r.below };
  }
  const s = opts.scratch && opts.scratch.length >= n ? opts.scratch.subarray(0, n) : new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.abs(values[i]);
    if (!(a <= MAX_FLOAT32)) throw fail(i);
    s[i] = a;
  }
  if (k === 0) return { threshold: 0, ties: 0 };
  const threshold = selectKth(s, k - 1);
  // selectKth leaves s[0, k-1) <= threshold <= the rest, so every |w| < threshold is there.
  let below = 0;
  for (let i = 0; i < k - 1; i++) if (s[i] < threshold) below++;
  return { threshold, ties: k - below };
}

/** Applies a plan to a copy of `values` (the input is never mutated); pruned weights become +0, never -0. */
export function applyPlan(values: Float32Array, plan: PrunePlan): Float32Array {
  checkPlan(plan);
  return applyPlanInPlace(new Float32Array(values), plan);
}

function checkPlan(plan: PrunePlan): void {
  const { threshold } = plan;
  if (!(threshold >= 0 && threshold <= MAX_FLOAT32) || !(Number.isInteger(plan.ties) && plan.ties >= 0)) {
    throw new McError('BAD_VALUE', `prune plan: expected a finite threshold >= 0 and an integer ties >= 0, found ${JSON.stringify(plan)}`);
  }
}

/** applyPlan without the copy: `values` itself is pruned and returned (for callers that own it). */
export function applyPlanInPlace(values: Float32Array, plan: PrunePlan): Float32Array {
  checkPlan(plan);
  const { threshold } = plan;
  const out = values;
  // On the bit patterns with the sign cleared, which order as the magnitudes do (NaN above all).
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  F32[0] = threshold;
  let t = U32[0];
  let tie = t;
  if (F32[0] !== threshold) {
    // Not a float32 (a hand-made plan): below it is below its float32 ceiling, and no weight equals it.
    if (F32[0] < threshold) t++;
    tie = -1;
  }
  let ties = plan.ties;
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    const a = x & 0x7fffffff;
    if (a === tie) {
      if (ties > 0) {
        bits[i] = 0;
        ties--;
      }
    } else {
      // Branch-free (pruned weights lie at random): (a - t) >> 31 is all ones exactly when a < t.
      bits[i] = x & ~((a - t) >> 31);
    }
  }
  return out;
}

/** What the global planner keeps of one tensor between passes (never its weights). */
interface Seen {
  name: string;
  n: number;
  zeros: number;
  share: BucketShare | null;
}

/**
 * Global scope without holding the tensors, in two streaming passes (see MagnitudeStream):
 * observe(name, values) for each targeted tensor, then collect(name, values) for each in
 * the same order (the caller re-reads them), then plans().
 */
export class GlobalHistogram {
  /** Requested fraction of all observed weights to be zero. */
  readonly sparsity: number;
  private readonly stream = new MagnitudeStream();
  private readonly seen: Seen[] = [];
  private k = -1;
  private next = 0;

  /** `sparsity` in [0, 1]. */
  constructor(sparsity: number) {
    checkSparsity(sparsity);
    this.sparsity = sparsity;
  }

  /** Pass 1: counts one tensor's magnitudes (the tensor is not kept). */
  observe(name: string, values: Float32Array): void {
    if (this.k >= 0) throw new Error('GlobalHistogram: observe() after collect() started');
    const zeros = this.stream.count(values, (i) => nonFinite(name, i, values[i]));
    this.seen.push({ name, n: values.length, zeros, share: null });
  }

  /** Weights observed so far. */
  get weights(): number {
    return this.stream.counted;
  }

  /** Ends pass 1 (on the first collect): k = round(sparsity * weights), and its bucket. */
  private fix(): void {
    this.k = targetZeros(this.sparsity, this.stream.counted);
    if (this.k > 0) this.stream.fix(this.k);
  }

  /** Pass 2: keeps what plans() needs of one tensor; call in the order of observe(). */
  collect(name: string, values: Float32Array): void {
    if (this.k < 0) this.fix();
    const t = this.seen[this.next];
    if (t === undefined || t.name !== name) {
      throw new Error(`GlobalHistogram: collect("${name}") out of order; expected ${t ? `"${t.name}"` : 'no more tensors'}`);
    }
    if (values.length !== t.n) {
      throw new McError('SIZE_MISMATCH', `tensor "${name}": ${t.n} weights in pass 1 but ${values.length} in pass 2`);
    }
    this.next++;
    if (this.k > 0) t.share = this.stream.share(values);
  }

  /**
   * The per-tensor plans; together they leave exactly max(round(sparsity * weights),
   * zeros already there) zeros. Ties at the global threshold go to tensors in observe
   * order, then index order. Throws McError BAD_VALUE if a plan would zero every weight
   * of a tensor that has a non-zero weight, unless `allowEmpty`.
   */
  plans(opts: { allowEmpty?: boolean } = {}): GlobalPlan[] {
    if (this.k < 0) this.fix();
    if (this.next !== this.seen.length) {
      throw new Error(`GlobalHistogram: plans() after ${this.next} of ${this.seen.length} tensors were collected`);
    }
    const shares = this.seen.map((t) => t.share ?? NO_SHARE);
    const threshold = this.k > 0 ? this.stream.resolve(shares) : 0;
    const splits = shares.map((s) => (this.k > 0 ? this.stream.split(s) : { below: 0, equal: 0 }));
    let need = this.k;
    for (const s of splits) need -= s.below;
    return this.seen.map((t, i) => {
      const ties = Math.min(need, splits[i].equal);
      need -= ties;
      // At threshold 0 the "pruned" weights are zeros already: the tensor keeps its zeros.
      const zeros = threshold > 0 ? splits[i].below + ties : t.zeros;
      if (!opts.allowEmpty && t.n > 0 && zeros === t.n && t.zeros < t.n) {
        throw new McError(
          'BAD_VALUE',
          `tensor "${t.name}": global pruning at ${percent(this.sparsity)} % would zero all of its ${t.n} weights; ` +
            'pass --allow-empty to allow it, or use --scope layer',
        );
      }
      return { name: t.name, plan: { threshold, ties }, zeros, sparsity: t.n ? zeros / t.n : 0 };
    });
  }
}

const NO_SHARE: BucketShare = { below: 0, keys: new Uint16Array(0), counts: new Uint32Array(0) };

/** A fraction as a short percentage (0.999 → "99.9"). */
function percent(s: number): string {
  return String(Math.round(s * 1e6) / 1e4);
}

/** Global scope over tensors already in memory: both streaming passes, then the plans. */
export function globalPlans(
  tensors: readonly Pick<WeightTensor, 'name' | 'values'>[],
  sparsity: number,
  opts: { allowEmpty?: boolean } = {},
): GlobalPlan[] {
  const h = new GlobalHistogram(sparsity);
  for (const t of tensors) h.observe(t.name, t.values);
  for (const t of tensors) h.collect(t.name, t.values);
  return h.plans(opts);
}

/** Fraction of exact zeros (-0 included); 0 for an empty tensor. */
export function sparsityOf(values: Float32Array): number {
  let zeros = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++;
  return values.length ? zeros / values.length : 0;
}

/**
 * The default N:M axis, the input axis of a kernel: rank - 2 (axis 0 of a Dense kernel
 * [in, out], axis 2 of a Conv2D kernel [h, w, in, out]); axis 0 for rank 1.
 */
export function nmAxis(rank: number): number {
  return Math.max(0, rank - 2);
}

/**
 * N:M structured pruning: in every group of m consecutive weights along `axis`, keeps
 * the n largest magnitudes and zeroes the rest (ties keep the lower index; zeros count
 * as pruned, so a group keeps at most n non-zeros). When the axis length is not a
 * multiple of m, the shorter tail group also keeps at most n. Returns a new array.
 */
export function pruneNM(t: WeightTensor, n: number, m: number, axis = nmAxis(t.shape.length)): Float32Array {
  checkPattern(n, m, `${n}:${m}`);
  const { shape, values } = t;
  const rank = shape.length;
  if (rank > 0 && !(Number.isInteger(axis) && axis >= 0 && axis < rank)) {
    throw new McError('USAGE', `tensor "${t.name}": N:M axis ${axis} is outside [0, ${rank}) for shape [${shape.join(', ')}]`);
  }
  let size = 1;
  for (const d of shape) size *= d;
  if (size !== values.length) {
    throw new McError('SIZE_MISMATCH', `tensor "${t.name}": shape [${shape.join(', ')}] holds ${size} weights, found ${values.length}`);
  }
  for (let i = 0; i < values.length; i++) if (!(Math.abs(values[i]) <= MAX_FLOAT32)) throw nonFinite(t.name, i, values[i]);
  let inner = 1;
  for (let d = axis + 1; d < rank; d++) inner *= shape[d];
  const out = new Float32Array(values);
  keepTopNPerGroup(out, rank > 0 ? shape[axis] : 1, inner, n, m);
  return out;
}

const PATTERN = /^\s*(\d+)\s*:\s*(\d+)\s*$/;

/** Throws McError USAGE unless 1 <= n < m <= 64 are integers. */
function checkPattern(n: number, m: number, found: string): void {
  if (!(Number.isInteger(n) && Number.isInteger(m) && n >= 1 && n < m && m <= 64)) {
    throw new McError('USAGE', `--pattern: expected "unstructured" or N:M with 0 < N < M (e.g. 2:4), found "${found}"`);
  }
}

/** Parses --pattern: "unstructured", or "N:M" with integers 1 <= N < M <= 64 (M bounds the per-group scratch). */
export function parsePattern(s: string): { n: number; m: number } | 'unstructured' {
  if (s.trim() === 'unstructured') return 'unstructured';
  const match = PATTERN.exec(s);
  const n = match ? Number(match[1]) : NaN;
  const m = match ? Number(match[2]) : NaN;
  checkPattern(n, m, s);
  return { n, m };
}

const SPARSITY = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(%?)\s*$/;

/** Parses --sparsity: a fraction in [0, 1] ("0.5") or a percentage in [0, 100] ("50%", "50 %"). */
export function parseSparsity(s: string): number {
  const match = SPARSITY.exec(s);
  const v = match ? Number(match[1]) / (match[2] ? 100 : 1) : NaN;
  if (!(v >= 0 && v <= 1)) {
    throw new McError('USAGE', `--sparsity: expected a fraction in [0, 1] or a percentage like 50%, found "${s}"`);
  }
  return v;
}

/**
 * The default target rule: float32 tensors (by manifest dtype, so quantized float32
 * entries count, pruned on their decoded values) of rank >= 2, i.e. kernels and
 * embeddings. Biases, scalars and rank-1 scales are left alone, as is every non-float
 * tensor (int32, bool, string, complex64). `quantized` does not change the rule; it is
 * accepted so call sites can pass what they know.
 */
export function isPruneTarget(dtype: string, shape: readonly number[], quantized = false): boolean {
  void quantized;
  return dtype === 'float32' && shape.length >= 2;
}
