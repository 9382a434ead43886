/**
 * The compression pipeline: plan which pass touches which tensor (before reading any
 * weight), then produce the tensors one at a time: decode, prune, quantize, encode for
 * the output. Tensors no pass touches are copied byte for byte.
 */
import { McError } from './errors.js';
import { nameFilter } from './glob.js';
import type { Model, TensorInfo } from './model/load.js';
import type { ManifestEntry } from './model/manifest.js';
import type { ProducedTensor } from './model/save.js';
import { outputChannelAxis } from './passes/axis.js';
import { GlobalHistogram, type PrunePlan, applyPlan, isPruneTarget, nmAxis, planLayer, pruneNM, sparsityOf } from './passes/prune.js';
import { int8ToStockUint8 } from './passes/quantize.js';
import { QUANTIZERS } from './passes/registry.js';
import type { Encoded, WeightTensor } from './passes/types.js';
import type { QuantizerName, Recipe } from './recipe.js';

/** What the pipeline will do to one tensor. */
export interface TensorJob {
  info: TensorInfo;
  prune: boolean;
  /** The quantizer to encode with; for an already-quantized tensor that is only pruned, its own encoding. */
  quantizer: QuantizerName | null;
  /** Per-channel axis, when the quantizer is per channel. */
  axis: number | null;
  /** Global scope: this tensor's share of the plan. */
  plan?: PrunePlan;
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
  if (q?.perChannel && opts.stockOutput) {
    throw new McError(
      'UNSUPPORTED',
      'int8 per channel cannot be written to a tfjs folder: the stock manifest holds one scale and min per tensor; write a packed container (-o model.mcz) or drop --per-channel for per-tensor int8 stored as stock uint8',
    );
  }
  const quantSel = nameFilter(q?.include, q?.exclude);
  const pruneSel = nameFilter(p?.include, p?.exclude);
  return model.tensors.map((info) => {
    const e = info.entry;
    const prune = Boolean(p) && isPruneTarget(e.dtype, e.shape) && info.count >= (p?.minElements ?? 0) && pruneSel(e.name);
    let quantizer: QuantizerName | null = null;
    if (q && isFloat(e) && info.count >= q.minElements && quantSel(e.name)) quantizer = q.dtype;
    else if (prune && e.quantization) quantizer = e.quantization.dtype;
    const axis = quantizer === 'int8' && q?.perChannel ? outputChannelAxis(e.name, e.shape, model.json.modelTopology, model.format) : null;
    return { info, prune, quantizer, axis };
  });
}

/** Global scope: two streaming passes over the targeted tensors to give each its plan. */
export async function planGlobal(model: Model, jobs: TensorJob[], recipe: Recipe): Promise<void> {
  const p = recipe.prune;
  if (!p || p.scope !== 'global' || p.pattern !== 'unstructured') return;
  const targets = jobs.filter((j) => j.prune);
  const h = new GlobalHistogram(p.sparsity);
  for (const j of targets) h.observe(j.info.name, (await model.readValues(j.info)) as Float32Array);
  for (const j of targets) h.collect(j.info.name, (await model.readValues(j.info)) as Float32Array);
  const plans = h.plans({ allowEmpty: p.allowEmpty });
  targets.forEach((j, i) => (j.plan = plans[i].plan));
}

/** Stored bytes of a job's output in the stock format. */
export function stockByteLength(job: TensorJob): number {
  if (!job.prune && !job.quantizer) return job.info.byteLength;
  return job.info.count * (job.quantizer ? QUANTIZERS[job.quantizer].bytesPerElement : 4);
}

/** Run a job's passes on its values: prune, then encode. */
export function transform(job: TensorJob, values: Float32Array, recipe: Recipe): { pruned: Float32Array; enc: Encoded } {
  const e = job.info.entry;
  let pruned = values;
  const p = recipe.prune;
  if (job.prune && p) {
    const t: WeightTensor = { name: e.name, shape: e.shape, values };
    if (p.pattern !== 'unstructured') pruned = pruneNM(t, p.pattern.n, p.pattern.m, nmAxis(e.shape.length));
    else pruned = applyPlan(values, job.plan ?? planLayer(values, p.sparsity, { name: e.name }));
  }
  const allowNonfinite = recipe.quantize?.allowNonfinite ?? false;
  const enc = job.quantizer
    ? QUANTIZERS[job.quantizer].encode({ name: e.name, shape: e.shape, values: pruned }, { axis: job.axis, allowNonfinite })
    : { encoding: { kind: 'float32' as const }, symbols: pruned, decoded: pruned, warnings: [] };
  return { pruned, enc };
}

/** The stock manifest entry and bytes for an encoded tensor. */
export function toStock(entry: ManifestEntry, enc: Encoded): ProducedTensor {
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
      const s = int8ToStockUint8(enc, entry.name);
      return { entry: { ...rest, quantization: { dtype: 'uint8', scale: s.scale, min: s.min } }, bytes: s.q };
    }
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

/** A job's result before it is written: the stored bytes of an untouched tensor, or the encoded tensor. */
export interface JobResult {
  stored?: Uint8Array;
  enc?: Encoded;
  /** Its outcome; `bytesAfter` is set by whoever writes it. */
  outcome: TensorOutcome;
  warnings: string[];
}

/** Run a job's passes (or read its bytes when no pass touches it). */
export async function runJob(model: Model, job: TensorJob, recipe: Recipe): Promise<JobResult> {
  const e = job.info.entry;
  const base = { name: e.name, shape: e.shape, dtype: e.dtype, from: storedEncoding(e), bytesBefore: job.info.byteLength, bytesAfter: job.info.byteLength };
  if (!job.prune && !job.quantizer) {
    const outcome = { ...base, to: base.from, pruned: false, sparsityBefore: null, sparsityAfter: null, maxError: null, rmsError: null };
    return { stored: await model.readBytes(job.info), outcome, warnings: [] };
  }
  const values = (await model.readValues(job.info)) as Float32Array;
  const { pruned, enc } = transform(job, values, recipe);
  const err = job.quantizer ? errorOf(pruned, enc.decoded) : null;
  const outcome: TensorOutcome = {
    ...base,
    to: job.quantizer ? encodedName(enc) : 'float32',
    pruned: job.prune,
    sparsityBefore: sparsityOf(values),
    sparsityAfter: sparsityOf(enc.decoded),
    maxError: err?.max ?? null,
    rmsError: err?.rms ?? null,
  };
  return { enc, outcome, warnings: enc.warnings };
}

/** Produce a job's output (stock form by default, or `toDecoded`) and its outcome. */
export async function produceTensor(
  model: Model,
  job: TensorJob,
  recipe: Recipe,
  write: (entry: ManifestEntry, enc: Encoded) => ProducedTensor = toStock,
): Promise<{ out: ProducedTensor; outcome: TensorOutcome; warnings: string[] }> {
  const r = await runJob(model, job, recipe);
  const out = r.enc ? write(job.info.entry, r.enc) : { entry: job.info.entry, bytes: r.stored as Uint8Array };
  return { out, outcome: { ...r.outcome, bytesAfter: out.bytes.length }, warnings: r.warnings };
}
