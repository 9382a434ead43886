/**
 * The compression pipeline: plan which pass touches which tensor (before reading any
 * weight), then produce the tensors one at a time: decode, prune, quantize, encode for
 * the output. Tensors no pass touches are copied byte for byte.
 */
import { McError } from './errors.js';
import { nameFilter } from './glob.js';
import type { Model, TensorInfo } from './model/load.js';
import { decodeEntry } from './model/decode.js';
import { BufferPool } from './parallel/buffers.js';
import { decodeTable } from './model/float16.js';
import type { ManifestEntry } from './model/manifest.js';
import type { ProducedTensor } from './model/save.js';
import { outputChannelAxis } from './passes/axis.js';
import { GlobalHistogram, type PrunePlan, applyPlan, applyPlanInPlace, isPruneTarget, nmAxis, planLayer, pruneNM } from './passes/prune.js';
import { keepsGrid, recodeOnGrid } from './passes/grid.js';
import { int8ToStockUint8 } from './passes/quantize.js';
import { QUANTIZERS, codecOptions, containerOnlyReason, usesChannelAxis } from './passes/registry.js';
import { codecName } from './passes/codes.js';
import type { EncodeStats, Encoded, WeightTensor } from './passes/types.js';
import type { QuantizerName, Recipe, TensorStep } from './recipe.js';
import { encodeOnGrid } from './solvers/grids.js';
import type { SolvedTensor } from './solvers/model.js';

/** What the pipeline will do to one tensor. */
export interface TensorJob {
  info: TensorInfo;
  prune: boolean;
  /** The quantizer to encode with; for an already-quantized tensor that is only pruned, its own encoding. */
  quantizer: QuantizerName | null;
  /** Per-channel axis, when the quantizer is per channel. */
  axis: number | null;
  /** The tensor already sits on a grid of the requested kind and keeps its stored codes (passes/grid.ts). */
  keepGrid: boolean;
  /** Global scope: this tensor's share of the plan. */
  plan?: PrunePlan;
  /** A per-tensor plan's passes for this tensor (Recipe.tensors), which take the place of the recipe's prune / quantize steps. */
  step?: TensorStep;
  /** Values the data-aware solvers produced for this tensor (solvers/model.ts), encoded instead of its stored ones. */
  solved?: SolvedTensor;
}

/** What happened to one tensor (the per-tensor line of the summaries). */
export interface TensorOutcome {
  name: string;
  shape: number[];
  dtype: string;
  /** Stored encoding before and after, in words. */
  from: string;
  to: string;
  bytesBefore: number;
  bytesAfter: number;
  /** Whether the prune pass ran on it. */
  pruned: boolean;
  /** Fraction of zeros before and after (null for tensors no pass read). */
  sparsityBefore: number | null;
  sparsityAfter: number | null;
  /** Quantization error against the values entering the quantizer (null when not quantized). */
  maxError: number | null;
  rmsError: number | null;
  /** True when the tensor kept the grid it was stored on (lossless: it decodes to the same values; passes/grid.ts). */
  keptGrid: boolean;
}

/** Encoding of a stored entry in words. */
export function storedEncoding(e: ManifestEntry): string {
  const q = e.quantization;
  return q ? (q.dtype === 'float16' ? 'float16' : `${q.dtype} affine`) : e.dtype;
}

/** The stored encoding an Encoded gets in a stock manifest, in words. */
function encodedName(enc: Encoded): string {
  const e = enc.encoding;
  if (e.kind === 'affine') return `${e.dtype} affine`;
  if (e.kind === 'int8') return e.axis === null ? 'int8 (as uint8)' : `int8 per channel (axis ${e.axis})`;
  if (e.kind === 'intn' || e.kind === 'cluster') return codecName(e);
  return e.kind;
}

/** True for entries whose decoded values are float32 (plain or stored quantized). */
function isFloat(e: ManifestEntry): boolean {
  return e.dtype === 'float32';
}

/** Plan every tensor; fails on requests the output cannot hold before any weight is read. */
export function planJobs(model: Model, recipe: Recipe, opts: { stockOutput: boolean }): TensorJob[] {
  const q = recipe.quantize;
  const p = recipe.prune;
  if (q?.perChannel && !QUANTIZERS[q.dtype].perChannel) {
    throw new McError('USAGE', `--per-channel: only int8 has a per-channel form, not ${q.dtype}`);
  }
  const mczOnly = q && opts.stockOutput ? containerOnlyReason(q) : null;
  if (mczOnly) throw new McError('UNSUPPORTED', mczOnly);
  if (q?.perChannel && opts.stockOutput) {
    throw new McError(
      'UNSUPPORTED',
      'int8 per channel cannot be written to a tfjs folder: the stock manifest holds one scale and min per tensor; write a packed container (-o model.mcz) or drop --per-channel for per-tensor int8 stored as stock uint8',
    );
  }
  const quantSel = nameFilter(q?.include, q?.exclude);
  const pruneSel = nameFilter(p?.include, p?.exclude);
  const steps = recipe.tensors ?? {};
  const known = new Set(model.tensors.map((t) => t.name));
  for (const name of Object.keys(steps)) {
    if (!known.has(name)) throw new McError('CONFIG', `the recipe's plan names tensor "${name}", which ${model.file} does not have (was it tuned for another model?)`);
  }
  return model.tensors.map((info) => {
    const e = info.entry;
    const step = Object.hasOwn(steps, info.name) ? steps[info.name] : undefined;
    if (step) return planStep(model, info, step, opts);
    // A tensor with no elements has nothing to prune or quantize (and its dims, which no bytes back, must size nothing).
    const prune = Boolean(p) && info.count > 0 && isPruneTarget(e.dtype, e.shape) && info.count >= (p?.minElements ?? 0) && pruneSel(e.name);
    let quantizer: QuantizerName | null = null;
    if (q && info.count > 0 && isFloat(e) && info.count >= q.minElements && quantSel(e.name)) quantizer = q.dtype;
    else if (prune && e.quantization) quantizer = e.quantization.dtype;
    const keepGrid = quantizer !== null && keepsGrid(e.quantization, quantizer, prune);
    const axis = q && quantizer === q.dtype && usesChannelAxis(q) && !keepGrid ? outputChannelAxis(e.name, e.shape, model.json.modelTopology, model.format) : null;
    return { info, prune, quantizer, axis, keepGrid };
  });
}

/** The job of a tensor that a per-tensor plan names (checked against what the output can hold). */
export function planStep(model: Model, info: TensorInfo, step: TensorStep, opts: { stockOutput: boolean }): TensorJob {
  const e = info.entry;
  const q = step.quantize;
  if (q?.perChannel && !QUANTIZERS[q.dtype].perChannel) throw new McError('CONFIG', `the recipe's plan for "${e.name}": ${q.dtype} has no per-channel form`);
  const mczOnly = q && opts.stockOutput ? containerOnlyReason(q) : null;
  if (mczOnly) throw new McError('UNSUPPORTED', `the recipe's plan for "${e.name}": ${mczOnly}`);
  if (q?.perChannel && opts.stockOutput) {
    throw new McError('UNSUPPORTED', `the recipe's plan quantizes "${e.name}" per channel, which a tfjs folder cannot hold; write a packed container (-o model.mcz)`);
  }
  if (step.sparsity > 0 && !isPruneTarget(e.dtype, e.shape)) throw new McError('CONFIG', `the recipe's plan prunes "${e.name}", a ${e.dtype} tensor of rank ${e.shape.length}; only float tensors of rank >= 2 are pruned`);
  if (q && !isFloat(e)) throw new McError('CONFIG', `the recipe's plan quantizes "${e.name}", a ${e.dtype} tensor; only float32 tensors are quantized`);
  const prune = step.sparsity > 0 && info.count > 0;
  const quantizer: QuantizerName | null = q && info.count > 0 ? q.dtype : prune && e.quantization ? e.quantization.dtype : null;
  const keepGrid = quantizer !== null && keepsGrid(e.quantization, quantizer, prune);
  const axis = q && quantizer === q.dtype && usesChannelAxis(q) && !keepGrid ? outputChannelAxis(e.name, e.shape, model.json.modelTopology, model.format) : null;
  return { info, prune, quantizer, axis, keepGrid, step };
}

/** Global scope: two streaming passes over the targeted tensors to give each its plan. */
export async function planGlobal(model: Model, jobs: TensorJob[], recipe: Recipe): Promise<void> {
  const p = recipe.prune;
  if (!p || p.scope !== 'global' || p.pattern !== 'unstructured') return;
  const targets = jobs.filter((j) => j.prune && !j.step);
  const h = new GlobalHistogram(p.sparsity);
  // One read buffer for both passes (decoding may still allocate, for stored-quantized entries).
  const buffers = new BufferPool(1);
  const valuesOf = async (j: TensorJob, use: (name: string, v: Float32Array) => void): Promise<void> => {
    const stored = await model.readBytes(j.info, buffers.take(j.info.byteLength));
    use(j.info.name, decodeEntry(j.info.entry, stored) as Float32Array);
    buffers.give(stored.buffer);
  };
  for (const j of targets) await valuesOf(j, (n, v) => h.observe(n, v));
  for (const j of targets) await valuesOf(j, (n, v) => h.collect(n, v));
  const plans = h.plans({ allowEmpty: p.allowEmpty });
  targets.forEach((j, i) => (j.plan = plans[i].plan));
}

/** Stored bytes of a job's output in the stock format. */
export function stockByteLength(job: TensorJob): number {
  if (((!job.prune && !job.quantizer) || job.keepGrid) && !job.solved) return job.info.byteLength;
  return job.info.count * (job.quantizer ? QUANTIZERS[job.quantizer].bytesPerElement : 4);
}

/**
 * Run a job's passes on its values: prune (in place when `inPlace`: the caller owns
 * `values`), then encode. A job that keeps its grid needs the tensor's `stored` bytes
 * (its codes) and is not asked to encode them unpruned (runJobOn passes those through).
 */
export function transform(job: TensorJob, values: Float32Array, recipe: Recipe, opts: { inPlace?: boolean; stored?: Uint8Array } = {}): { pruned: Float32Array; enc: Encoded } {
  if (job.solved) return transformSolved(job, job.solved, values, recipe);
  const e = job.info.entry;
  let pruned = values;
  const p = job.step ? { sparsity: job.step.sparsity, pattern: 'unstructured' as const } : recipe.prune;
  if (job.prune && p) {
    const t: WeightTensor = { name: e.name, shape: e.shape, values };
    if (p.pattern !== 'unstructured') pruned = pruneNM(t, p.pattern.n, p.pattern.m, nmAxis(e.shape.length));
    else {
      const plan = job.plan ?? planLayer(values, p.sparsity, { name: e.name });
      pruned = opts.inPlace ? applyPlanInPlace(values, plan) : applyPlan(values, plan);
    }
  }
  const allowNonfinite = (job.step ? job.step.quantize?.allowNonfinite : recipe.quantize?.allowNonfinite) ?? false;
  const q = e.quantization;
  if (job.keepGrid && q && q.dtype !== 'float16') {
    const s = opts.stored;
    if (!s) throw new Error(`transform: tensor "${e.name}" keeps its grid and needs its stored bytes`);
    const codes = q.dtype === 'uint8' ? s : new Uint16Array(s.buffer, s.byteOffset, s.byteLength / 2);
    return { pruned, enc: recodeOnGrid(q, codes, pruned) };
  }
  // A kept float16 grid needs nothing special: every value (pruned to 0 or not) is a float16 value, which the float16 pass keeps exactly.
  const quantizer = job.keepGrid && q ? q.dtype : job.quantizer;
  const enc = quantizer
    ? QUANTIZERS[quantizer].encode({ name: e.name, shape: e.shape, values: pruned }, { axis: job.axis, allowNonfinite, ...codecOptions(job.step ? job.step.quantize : recipe.quantize) })
    : { encoding: { kind: 'float32' as const }, symbols: pruned, decoded: pruned, warnings: [] };
  return { pruned, enc };
}

/**
 * A job the solvers gave values: on a grid, stored on exactly that grid (statistics
 * against the original `values`); otherwise the job's own passes on them, without
 * pruning again what the solvers pruned.
 */
function transformSolved(job: TensorJob, s: SolvedTensor, values: Float32Array, recipe: Recipe): { pruned: Float32Array; enc: Encoded } {
  const e = job.info.entry;
  if (s.encoding) return { pruned: s.values, enc: encodeOnGrid(e.name, s.values, e.shape, s.encoding, values) };
  return transform({ ...job, prune: job.prune && !s.pruned, solved: undefined }, new Float32Array(s.values), recipe);
}

/** The stock manifest entry and bytes for an encoded tensor (`consume`: `enc` is not used afterwards, its symbols may be reused). */
export function toStock(entry: ManifestEntry, enc: Encoded, consume = false): ProducedTensor {
  const { quantization: _old, ...rest } = entry;
  const e = enc.encoding;
  const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  switch (e.kind) {
    case 'float32':
      return { entry: rest, bytes: bytes(enc.symbols) };
    case 'float16':
      return { entry: { ...rest, quantization: { dtype: 'float16' } }, bytes: bytes(enc.symbols) };
    case 'affine':
      return { entry: { ...rest, quantization: { dtype: e.dtype, scale: e.scale, min: e.min } }, bytes: bytes(enc.symbols) };
    case 'int8': {
      const s = int8ToStockUint8(enc, entry.name, consume);
      return { entry: { ...rest, quantization: { dtype: 'uint8', scale: s.scale, min: s.min } }, bytes: s.q };
    }
    case 'intn':
    case 'cluster':
      // planJobs refuses these for a folder before any weight is read; this is the backstop.
      throw new McError('UNSUPPORTED', `tensor "${entry.name}": ${encodedName(enc)} cannot be stored in a stock tfjs manifest; write -o model.mcz`);
  }
}

/** The entry and bytes of an encoded tensor as a loader gets it back: float32 values. */
export function toDecoded(entry: ManifestEntry, enc: Encoded): ProducedTensor {
  const { quantization: _old, ...rest } = entry;
  const d = enc.decoded;
  return { entry: rest, bytes: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) };
}

/** Max and RMS of decoded - reference. */
export function errorOf(reference: Float32Array, decoded: Float32Array): { max: number; rms: number } {
  let max = 0;
  let sq = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = Math.abs(decoded[i] - reference[i]);
    if (d > max) max = d;
    sq += d * d;
  }
  return { max, rms: reference.length ? Math.sqrt(sq / reference.length) : 0 };
}

/** Zeros of a tensor (-0 included), without a branch per element (pruned zeros lie at random). */
function zerosOf(values: Float32Array): number {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let zeros = 0;
  // (|bits| - 1) >>> 31 is 1 exactly for +0 and -0.
  for (let i = 0; i < bits.length; i++) zeros += ((bits[i] & 0x7fffffff) - 1) >>> 31;
  return zeros;
}

/** A pass's own statistics as the running statistics below. */
const statsAcc = (s: EncodeStats): Acc => ({ zeros: s.zeros, max: s.maxError, sq: s.sumSq });

/** Running statistics of decoded values against a reference. */
interface Acc {
  zeros: number;
  max: number;
  sq: number;
}

/** Adds reference[start, end) against decoded values d = (q[i] + off) * s + m (in double, then float32), to `a`. */
function accAffine(a: Acc, reference: Float32Array, q: ArrayLike<number>, start: number, end: number, off: number, s: number, m: number): void {
  let { zeros, max, sq } = a;
  for (let i = start; i < end; i++) {
    const d = Math.fround((q[i] + off) * s + m);
    zeros += +(d === 0);
    const e = Math.abs(d - reference[i]);
    if (e > max) max = e;
    sq += e * e;
  }
  a.zeros = zeros;
  a.max = max;
  a.sq = sq;
}

/** Adds reference against per-channel int8 on the last axis: d = fround(q[i] * s[c]), c counting through the channels. */
function accLastAxis(a: Acc, reference: Float32Array, q: Int8Array, scales: Float32Array): void {
  let { zeros, max, sq } = a;
  const dim = scales.length;
  for (let i = 0, c = 0; i < q.length; i++) {
    const d = Math.fround(q[i] * scales[c]);
    if (++c === dim) c = 0;
    zeros += +(d === 0);
    const e = Math.abs(d - reference[i]);
    if (e > max) max = e;
    sq += e * e;
  }
  a.zeros = zeros;
  a.max = max;
  a.sq = sq;
}

/** Adds reference against decoded values `decoded(i)` = table[symbols[i]] (float16) or symbols[i] itself (float32). */
function accLookup(a: Acc, reference: Float32Array, symbols: Float32Array | Uint16Array, table: Float32Array | null): void {
  let { zeros, max, sq } = a;
  for (let i = 0; i < reference.length; i++) {
    const d = table ? table[symbols[i]] : symbols[i];
    zeros += +(d === 0);
    const e = Math.abs(d - reference[i]);
    if (e > max) max = e;
    sq += e * e;
  }
  a.zeros = zeros;
  a.max = max;
  a.sq = sq;
}

/**
 * Zeros and error of what a loader gets back from `enc` against `reference` (the
 * quantizer's input), computed from the symbols, value for value as `enc.decoded`, but
 * without materialising it (float16 and int8 leave it lazy: see withLazyDecoded).
 */
function decodedStats(reference: Float32Array, enc: Encoded, shape: readonly number[]): Acc {
  const a: Acc = { zeros: 0, max: 0, sq: 0 };
  const k = enc.encoding;
  const sym = enc.symbols;
  if (k.kind === 'float16') accLookup(a, reference, sym as Uint16Array, decodeTable());
  else if (k.kind === 'float32') accLookup(a, reference, sym as Float32Array, null);
  // Per tensor: as stock tfjs decodes the uint8 form, (q + 128) * s + (-128 * s).
  else if (k.kind === 'int8' && k.axis === null) accAffine(a, reference, sym, 0, sym.length, 128, k.scales[0], -128 * k.scales[0]);
  else if (k.kind === 'int8') {
    // Per channel: fround(q * s[c]), the tensor walked as [outer, dim, inner] around the axis.
    const dim = shape[k.axis as number];
    const inner = shape.slice((k.axis as number) + 1).reduce((x, y) => x * y, 1);
    if (inner === 1) accLastAxis(a, reference, sym as Int8Array, k.scales);
    else {
      for (let i = 0, c = 0; i < sym.length; i += inner) {
        accAffine(a, reference, sym, i, i + inner, 0, k.scales[c], 0);
        if (++c === dim) c = 0;
      }
    }
  } else accLookup(a, reference, enc.decoded, null);
  return a;
}
/** A job's result before it is written: the stored bytes of an untouched tensor, or the encoded tensor. */
export interface JobResult {
  stored?: Uint8Array;
  enc?: Encoded;
  /** Its outcome; `bytesAfter` is set by whoever writes it. */
  outcome: TensorOutcome;
  warnings: string[];
}

/**
 * Run a job's passes on its stored bytes (as read from the shards), or pass them through
 * when no pass touches it. Pure: no file access, so it runs in a worker thread as well.
 */
export function runJobOn(job: TensorJob, stored: Uint8Array, recipe: Recipe): JobResult {
  const e = job.info.entry;
  const base = { name: e.name, shape: e.shape, dtype: e.dtype, from: storedEncoding(e), bytesBefore: job.info.byteLength, bytesAfter: job.info.byteLength };
  if (!job.prune && !job.quantizer && !job.solved) {
    const outcome = { ...base, to: base.from, pruned: false, sparsityBefore: null, sparsityAfter: null, maxError: null, rmsError: null, keptGrid: false };
    return { stored, outcome, warnings: [] };
  }
  if (job.keepGrid && !job.prune && !job.solved) {
    // Already on a grid of the requested kind: its stored bytes are the output, exactly.
    const outcome = { ...base, to: base.from, pruned: false, sparsityBefore: null, sparsityAfter: null, maxError: 0, rmsError: 0, keptGrid: true };
    return { stored, outcome, warnings: [] };
  }
  // The values are a view of `stored` (or decoded from it), which this job owns: pruned in place.
  const values = decodeEntry(e, stored) as Float32Array;
  const n = values.length;
  // Counted before pruning (in place) changes them; a quantizer that is not preceded by
  // pruning counts its input's zeros itself (EncodeStats), which saves the pass.
  const zerosBefore = job.prune ? zerosOf(values) : -1;
  const { pruned, enc } = transform(job, values, recipe, { inPlace: true, stored });
  const quantized = job.quantizer !== null;
  const after = !quantized ? { zeros: zerosOf(pruned), max: 0, sq: 0 } : enc.stats ? statsAcc(enc.stats) : decodedStats(pruned, enc, e.shape);
  const before = zerosBefore >= 0 ? zerosBefore : enc.stats ? enc.stats.inputZeros : zerosOf(values);
  const outcome: TensorOutcome = {
    ...base,
    to: quantized ? encodedName(enc) : 'float32',
    pruned: job.prune,
    sparsityBefore: n ? before / n : 0,
    sparsityAfter: n ? after.zeros / n : 0,
    maxError: quantized ? after.max : null,
    rmsError: quantized ? (n ? Math.sqrt(after.sq / n) : 0) : null,
    keptGrid: job.keepGrid,
  };
  return { enc, outcome, warnings: enc.warnings };
}

/** Run a job's passes (or read its bytes when no pass touches it). */
export async function runJob(model: Model, job: TensorJob, recipe: Recipe): Promise<JobResult> {
  return runJobOn(job, await model.readBytes(job.info), recipe);
}

/** What producing a job's output gives: its entry and bytes, its outcome and warnings. */
export interface Produced {
  out: ProducedTensor;
  outcome: TensorOutcome;
  warnings: string[];
}

/** A job's output from its stored bytes (stock form by default, or `toDecoded`), and its outcome. Pure, like runJobOn. */
export function produceOn(job: TensorJob, stored: Uint8Array, recipe: Recipe, write: (entry: ManifestEntry, enc: Encoded) => ProducedTensor = toStock): Produced {
  const r = runJobOn(job, stored, recipe);
  // The encoding is this call's own: the stock form may take over its symbols.
  const out = r.enc ? (write === toStock ? toStock(job.info.entry, r.enc, true) : write(job.info.entry, r.enc)) : { entry: job.info.entry, bytes: r.stored as Uint8Array };
  return { out, outcome: { ...r.outcome, bytesAfter: out.bytes.length }, warnings: r.warnings };
}

/** Produce a job's output (stock form by default, or `toDecoded`) and its outcome. */
export async function produceTensor(
  model: Model,
  job: TensorJob,
  recipe: Recipe,
  write: (entry: ManifestEntry, enc: Encoded) => ProducedTensor = toStock,
): Promise<Produced> {
  return produceOn(job, await model.readBytes(job.info), recipe, write);
}
