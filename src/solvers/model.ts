/**
 * The data-aware passes over a whole model: for each weight layer in network order,
 * capture its inputs on the calibration set from the model as compressed so far, solve
 * it (solveLayer: pruning with reconstruction, quantization with error compensation,
 * bias correction), and put the solved weights back into the loaded model before the
 * next layer is captured. Tensors the solvers do not take (other layers, batch-norm
 * constants, biases large enough to be quantized) get the pipeline's own passes, and
 * those values go into the loaded model too, so every layer sees what the output holds.
 *
 * The result is per tensor: the values the pipeline encodes instead of the stored ones
 * (SolvedTensor), with the grid they lie on for a kernel that was quantized by the
 * solver. The pipeline then writes .mcz or stock outputs exactly as without solvers.
 */
import path from 'node:path';
import { McError } from '../errors.js';
import { useBackend } from '../eval/backend.js';
import { type Dataset, readData } from '../eval/data.js';
import { type CaptureSession, type SolvableLayer, calibrationMismatch, openCapture } from '../eval/capture.js';
import type { Model } from '../model/load.js';
import { modelArtifacts } from '../model/tfjs-io.js';
import { applyPlan, nmAxis, planLayer, pruneNM } from '../passes/prune.js';
import { storedAffine } from '../passes/grid.js';
import { QUANTIZERS, codecOptions } from '../passes/registry.js';
import type { Encoding } from '../passes/types.js';
import { type TensorJob, transform } from '../pipeline.js';
import type { Recipe } from '../recipe.js';
import { type MatrixLayout, hasGrid, layerGrid } from './grids.js';
import { DEFAULT_DAMP, type LayerPlan, type LayerSolution, solveLayer } from './layer.js';
import { type Damped, applyInverse, upperCholeskyOfInverse } from './linalg.js';
import { LayerInputs } from './patches.js';

/**
 * Capture passes (SolveOptions.passes): each layer's capture runs the model up to it (and,
 * compensating, the uncompressed copy too), so one pass per layer costs about a model's
 * forward time per layer (on a MobileNet-v1 with 128 inputs of 224x224, 26 layers, over 9
 * minutes, mostly capture); 4 passes bound it to about 2.5 forward passes of both models.
 */
export const DEFAULT_PASSES = 4;

/** Columns per OBS mask choice (SolveOptions.maskBlock). */
export const DEFAULT_MASK_BLOCK = 128;

/** Values the pipeline encodes for a tensor instead of its stored ones. */
export interface SolvedTensor {
  values: Float32Array;
  /** The grid they lie on (encode onto it exactly); null: run the job's quantizer on them, if any. */
  encoding: Encoding | null;
  /** True when the values are already pruned (the job's prune pass is skipped). */
  pruned: boolean;
}

/** How the solvers run. */
export interface SolveOptions {
  quantizeMethod: 'rtn' | 'gptq';
  pruneMethod: 'magnitude' | 'obs';
  /** GPTQ columns by decreasing H diagonal. */
  actOrder?: boolean;
  /** Subtract the mean output shift from each solved layer's bias (default true). */
  biasCorrection?: boolean;
  /** Relative damping of H (default 0.01). */
  damp?: number;
  /**
   * OBS masks: columns per choice, from the weights as the sweep has updated them
   * (default 128, as SparseGPT; on the MNIST MLP at 90 % it kept 0.3-0.5 points more
   * accuracy than one choice across the whole layer from the original weights).
   */
  maskBlock?: number;
  /**
   * Aim each layer at the uncompressed model's output instead of its own weights on the
   * compressed inputs: with x₀ the layer's input in the original model and x in the
   * compressed one, the target weights are W* = W E[x₀xᵀ] E[xxᵀ]⁻¹ (the least-squares
   * fit of W x₀ from x), so a layer also makes up for the error of the layers before it.
   * Costs a second forward pass per layer (default true).
   */
  compensate?: boolean;
  /**
   * Forward passes to capture every layer's inputs in (default 4): consecutive layers are
   * captured together, from the model as compressed up to the group; 0 or a number at
   * least the layer count captures each layer after all before it are compressed.
   */
  passes?: number;
  /** OBS: unstructured masks grown over this many steps, each reconstructed (default 1). */
  rounds?: number;
  /** Largest layer input dimension solved (larger layers keep the pipeline's passes; default 8192). */
  maxDim?: number;
}

/** What was done to one layer. */
export interface SolvedLayer {
  kernel: string;
  kind: SolvableLayer['kind'];
  /** Outputs x inputs of its matrix (depthwise: per channel). */
  rows: number;
  cols: number;
  /** Calibration rows its Hessian was built from. */
  samples: number;
  pruned: 'obs' | 'magnitude' | null;
  quantized: 'gptq' | 'rtn' | null;
  /** Layer-output error ½ Σ ΔwᵀHΔw of the result (mean squared error per sample, summed over outputs). */
  error: number;
  exact: boolean;
  biasCorrected: boolean;
  seconds: number;
}

/** What solveModel did. */
export interface SolveResult {
  tensors: Map<string, SolvedTensor>;
  layers: SolvedLayer[];
  /** One line per thing worth knowing (layers left to the pipeline, layers without a bias). */
  notes: string[];
}

/** The matrix view of a Dense / Conv2D kernel ([..., in, out], or [out, in] when transposed). */
function kernelLayout(layer: SolvableLayer): MatrixLayout {
  const s = layer.shape;
  if (layer.transposed) return { rows: s[0], cols: s[1], at: (r, c) => r * s[1] + c };
  const rows = s[s.length - 1];
  const cols = s.slice(0, -1).reduce((a, b) => a * b, 1);
  return { rows, cols, at: (r, c) => c * rows + r };
}

/** The matrix view of channel `ch` of a depthwise kernel [h, w, C, mult]: rows = mult, cols = h * w. */
function depthwiseLayout(shape: number[], ch: number): MatrixLayout {
  const [h, w, C, mult] = shape;
  return { rows: mult, cols: h * w, at: (r, c) => (c * C + ch) * mult + r };
}

/** Gather a matrix from tensor values. */
function toMatrix(values: Float32Array, l: MatrixLayout): Float64Array {
  const m = new Float64Array(l.rows * l.cols);
  for (let r = 0; r < l.rows; r++) for (let c = 0; c < l.cols; c++) m[r * l.cols + c] = values[l.at(r, c)];
  return m;
}

/** Scatter a matrix into tensor values. */
function fromMatrix(m: Float64Array, l: MatrixLayout, out: Float32Array): void {
  for (let r = 0; r < l.rows; r++) for (let c = 0; c < l.cols; c++) out[l.at(r, c)] = m[r * l.cols + c];
}

/** A job's own passes on its stored values (round to nearest, magnitude pruning), decoded. */
async function passesOf(model: Model, job: TensorJob, recipe: Recipe): Promise<Float32Array> {
  const values = new Float32Array((await model.readValues(job.info)) as Float32Array);
  return transform(job, values, recipe, { stored: job.keepGrid ? await model.readBytes(job.info) : undefined }).enc.decoded;
}

/** The values a job's magnitude pruning leaves (a copy), as the pipeline would prune them. */
function magnitudePruned(job: TensorJob, values: Float32Array, recipe: Recipe): Float32Array {
  const e = job.info.entry;
  if (job.step) return applyPlan(values, planLayer(values, job.step.sparsity, { name: e.name }));
  const p = recipe.prune;
  if (!p) return new Float32Array(values);
  if (p.pattern !== 'unstructured') return pruneNM({ name: e.name, shape: e.shape, values }, p.pattern.n, p.pattern.m, nmAxis(e.shape.length));
  return applyPlan(values, job.plan ?? planLayer(values, p.sparsity, { name: e.name }));
}

/** The sparsity a job asks of its tensor (a global plan's share counted on the values). */
function sparsityOf(job: TensorJob, values: Float32Array, recipe: Recipe): number {
  if (job.step) return job.step.sparsity;
  if (job.plan) {
    const v = applyPlan(values, job.plan);
    let z = 0;
    for (let i = 0; i < v.length; i++) z += +(v[i] === 0);
    return v.length ? z / v.length : 0;
  }
  return recipe.prune?.sparsity ?? 0;
}

/** The quantize options a job encodes with (its own step's, or the recipe's). */
function quantizeOf(job: TensorJob, recipe: Recipe) {
  return job.step ? job.step.quantize : recipe.quantize;
}

/**
 * Solve the model's layers on `data` (the calibration set, read by the caller) for the
 * planned `jobs`; `source` names the data in errors. Layers need a topology: a
 * weights-only manifest is refused.
 */
export async function solveModel(model: Model, jobs: TensorJob[], recipe: Recipe, data: Dataset, o: SolveOptions): Promise<SolveResult> {
  if (model.format === 'weights-only') {
    throw new McError('UNSUPPORTED', `${model.file}: --calibration needs a model with a topology to run; a weights-only manifest has none (use --quantize-method rtn --prune-method magnitude)`);
  }
  const artifacts = await modelArtifacts(model);
  let session: CaptureSession;
  try {
    session = await openCapture(artifacts, model.format, data, data.source);
  } catch (e) {
    throw calibrationMismatch(e, data.source);
  }
  // The uncompressed model, for the reference inputs of every layer (SolveOptions.compensate).
  const ref = o.compensate === false ? null : await openCapture(artifacts, model.format, data, data.source);
  const byName = new Map(jobs.map((j) => [j.info.name, j]));
  const noBias: string[] = [];
  const result: SolveResult = { tensors: new Map(), layers: [], notes: [...session.skipped.map((s) => `not solved: ${s}`)] };
  try {
    const kernels = new Set(session.layers.map((l) => l.kernel));
    // Everything the solvers do not take gets its passes now, so captures see it compressed.
    for (const job of jobs) {
      // A tensor that keeps its stored grid unpruned keeps its values too.
      if (kernels.has(job.info.name) || (!job.prune && !job.quantizer) || (job.keepGrid && !job.prune)) continue;
      session.setWeight(job.info.name, await passesOf(model, job, recipe), job.info.entry.shape);
    }
    // Layers the solvers take; the others get the pipeline's passes now (captures only look before a layer).
    const wanted: SolvableLayer[] = [];
    for (const layer of session.layers) {
      const job = byName.get(layer.kernel);
      if (!job) continue;
      const why = solvable(layer, job, o);
      if (why === null) {
        wanted.push(layer);
        continue;
      }
      if (why) result.notes.push(`not solved: ${layer.kernel} (${why}); its passes run as without calibration`);
      if (job.prune || job.quantizer) session.setWeight(layer.kernel, await passesOf(model, job, recipe), job.info.entry.shape);
    }
    // Captured in groups of consecutive layers, one forward pass per group (SolveOptions.passes).
    const size = Math.max(1, Math.ceil(wanted.length / Math.max(1, o.passes ?? DEFAULT_PASSES)));
    for (let g = 0; g < wanted.length; g += size) {
      const group = wanted.slice(g, g + size);
      const t0 = performance.now();
      // Only a group's first layer is captured with the inputs it will see: the others do not
      // see their group-mates compressed, and a compensation target would make up again for
      // errors the layers before them already made up for (on mobilefacenet at int4 that took
      // the worst-case cosine from 0.9999 to 0.964). So only the first one is compensated.
      const accs = group.map((l, k) => new LayerInputs(l, data.samples, ref !== null && k === 0));
      // Batch by batch, with the uncompressed model's activation of the same batch beside the first layer's.
      const refs = ref ? ref.inputs([ref.layers.find((x) => x.kernel === group[0].kernel) as SolvableLayer]) : null;
      for await (const acts of session.inputs(group)) {
        const r = refs ? await refs.next() : null;
        acts.forEach((a, k) => accs[k].add(a.x, a.shape, k === 0 && r && !r.done ? r.value[0].x : undefined));
      }
      if (refs) await refs.return(undefined);
      const captured = (performance.now() - t0) / 1000 / group.length;
      for (const [k, layer] of group.entries()) {
        const job = byName.get(layer.kernel) as TensorJob;
        const t1 = performance.now();
        const solved = await solveOne(model, session, layer, job, byName.get(layer.bias ?? ''), recipe, o, result, noBias, accs[k]);
        result.layers.push({ ...solved, seconds: captured + (performance.now() - t1) / 1000 });
      }
    }
  } finally {
    session.dispose();
    ref?.dispose();
  }
  if (noBias.length) result.notes.push(`no bias corrected for ${noBias.length} layer(s) that add none (adding one would change the topology): ${noBias.join(', ')}`);
  return result;
}

/**
 * The stored grid a pruned tensor keeps (passes/grid.ts: stored uint8 / uint16 asked for
 * int8 or its own dtype, 0.0 one of its codes): obs reconstructs its surviving weights
 * onto that grid, so the output keeps the stored scale and min and stays stock. null for
 * any other job (a kept float16 grid needs none: the float16 pass rounds the result).
 */
function storedGrid(job: TensorJob): Encoding | null {
  return job.keepGrid && job.prune ? storedAffine(job.info.entry.quantization) : null;
}

/** What the solvers do to a layer's job: obs pruning and/or gptq quantization. */
function methodsOf(layer: SolvableLayer, job: TensorJob, o: SolveOptions, recipe?: Recipe): { obs: boolean; gptq: boolean; nm: { n: number; m: number } | null } {
  const nm = recipe && !job.step && recipe.prune && recipe.prune.pattern !== 'unstructured' ? recipe.prune.pattern : null;
  // A pruned tensor that keeps its stored grid is reconstructed on it (storedGrid); gptq has nothing to do there.
  const obs = job.prune && o.pruneMethod === 'obs' && !(nm && layer.kind === 'depthwise');
  const gptq = job.quantizer !== null && !job.keepGrid && o.quantizeMethod === 'gptq' && job.quantizer !== 'float16' && job.quantizer !== 'uint16';
  return { obs, gptq, nm };
}

/** null when the solvers take the layer; otherwise why not ('' when there is nothing for them to do). */
function solvable(layer: SolvableLayer, job: TensorJob, o: SolveOptions): string | null {
  const { obs, gptq } = methodsOf(layer, job, o);
  if (!obs && !gptq) return '';
  const dim = new LayerInputs(layer, 1).dim;
  return dim > (o.maxDim ?? 8192) ? `input dimension ${dim} > ${o.maxDim ?? 8192}` : null;
}

/** Solve one captured layer, record its tensors in `result` and put them into the loaded model. */
async function solveOne(
  model: Model,
  session: CaptureSession,
  layer: SolvableLayer,
  job: TensorJob,
  biasJob: TensorJob | undefined,
  recipe: Recipe,
  o: SolveOptions,
  result: SolveResult,
  noBias: string[],
  inputs: LayerInputs,
): Promise<Omit<SolvedLayer, 'seconds'>> {
  const name = layer.kernel;
  const q = quantizeOf(job, recipe);
  const { obs, gptq, nm } = methodsOf(layer, job, o, recipe);
  const original = (await model.readValues(job.info)) as Float32Array;
  const stats = inputs.results();
  // The weights each layer aims at: W* when compensating (see SolveOptions.compensate), else W.
  // The factor of H⁻¹ is computed once per matrix and handed on to solveLayer.
  const factors = new Map<number, { u: Float64Array; damped: Damped }>();
  const factorOf = (k: number, cols: number) => {
    let f = factors.get(k);
    if (!f) factors.set(k, (f = upperCholeskyOfInverse(stats[k].h, cols, o.damp ?? DEFAULT_DAMP, `tensor "${name}"`)));
    return f;
  };
  const aim = (w0: Float64Array, k: number, rows: number, cols: number): Float64Array => {
    const st = stats[k];
    return st.cross ? compensatedTarget(w0, st.h, st.cross, rows, cols, factorOf(k, cols)) : w0;
  };
  const meanRef = (k: number): Float64Array => stats[k].refMean ?? stats[k].mean;
  const shape = job.info.entry.shape;
  // Magnitude masks (--prune-method magnitude with gptq) are fixed before the sweep.
  const start = job.prune && !obs ? magnitudePruned(job, original, recipe) : original;
  const sparsity = job.prune && obs ? sparsityOf(job, original, recipe) : 0;
  const kept = obs ? storedGrid(job) : null;
  // Quantized by a sweep onto a grid: the codec's (gptq) or the stored one (kept).
  const onGrid = gptq || kept !== null;
  let encoding: Encoding | null = kept;
  const gridOf = (layouts: MatrixLayout[], mats: Float64Array[]) => {
    // The ordinary encoder run on the weights as they are now (pruned, reconstructed) gives the grid.
    const v = new Float32Array(start);
    layouts.forEach((l, k) => fromMatrix(mats[k], l, v));
    const enc = QUANTIZERS[job.quantizer as NonNullable<TensorJob['quantizer']>].encode({ name, shape, values: v }, { axis: job.axis, allowNonfinite: q?.allowNonfinite ?? false, ...codecOptions(q) });
    if (!hasGrid(enc.encoding)) throw new Error(`solveModel: ${enc.encoding.kind} has no grid`);
    encoding = enc.encoding;
  };
  const base: Omit<LayerPlan, 'prune' | 'grid'> = { actOrder: o.actOrder, damp: o.damp, rounds: o.rounds };
  const out = new Float32Array(start);
  const shifts: { layout: MatrixLayout; s: LayerSolution; ch: number }[] = [];
  let error = 0;
  let exact = true;
  if (layer.kind !== 'depthwise') {
    const l = kernelLayout(layer);
    const w0 = toMatrix(original, l);
    const fixed = job.prune && !obs ? maskOf(toMatrix(start, l)) : null;
    const prune: LayerPlan['prune'] = obs ? (nm ? { kind: 'nm', n: nm.n, m: nm.m, run: layer.kind === 'conv2d' ? shape[2] : l.cols } : { kind: 'unstructured', sparsity, maskBlock: Math.min(l.cols, o.maskBlock ?? DEFAULT_MASK_BLOCK) }) : fixed ? { kind: 'fixed', mask: fixed } : null;
    const grid = gptq ? (w: Float64Array) => (gridOf([l], [w]), layerGrid(encoding as Encoding, shape, l)) : kept ? () => layerGrid(kept, shape, l) : null;
    // A fixed (magnitude) mask starts from the original weights too: the sweep zeroes them and compensates.
    const target = aim(w0, 0, l.rows, l.cols);
    const s = solveLayer({ name, rows: l.rows, cols: l.cols, w0: target, h: stats[0].h, mean: stats[0].mean, factor: factorOf(0, l.cols) }, { ...base, prune, grid });
    fromMatrix(s.w, l, out);
    shifts.push({ layout: l, s: { ...s, shift: shiftOf(s.w, stats[0].mean, w0, meanRef(0), l) }, ch: 0 });
    error = s.error;
    exact = s.exact;
  } else {
    // Depthwise: every channel its own small layer; the grid is the whole tensor's, fitted after pruning every channel.
    const C = shape[2];
    const layouts = Array.from({ length: C }, (_, ch) => depthwiseLayout(shape, ch));
    const mats = layouts.map((l, ch) => aim(toMatrix(original, l), ch, l.rows, l.cols));
    const masks: (Uint8Array | null)[] = layouts.map(() => null);
    if (job.prune) {
      layouts.forEach((l, ch) => {
        if (obs) {
          const s = solveLayer({ name, rows: l.rows, cols: l.cols, w0: mats[ch], h: stats[ch].h, mean: stats[ch].mean }, { ...base, prune: { kind: 'unstructured', sparsity, maskBlock: l.cols }, grid: null });
          mats[ch] = s.w;
          masks[ch] = s.mask;
        } else masks[ch] = maskOf(toMatrix(start, l));
      });
    }
    if (gptq) gridOf(layouts, mats.map((m, ch) => (masks[ch] ? m.map((v, i) => ((masks[ch] as Uint8Array)[i] ? 0 : v)) : m)));
    layouts.forEach((l, ch) => {
      const w0 = toMatrix(original, l);
      const mask = masks[ch];
      const s = onGrid
        ? solveLayer({ name, rows: l.rows, cols: l.cols, w0: mats[ch], h: stats[ch].h, mean: stats[ch].mean }, { ...base, prune: mask ? { kind: 'fixed', mask } : null, grid: () => layerGrid(encoding as Encoding, shape, l) })
        : { w: mats[ch], mask, shift: new Float64Array(l.rows), error: 0, exact: false, damp: 0 };
      fromMatrix(s.w, l, out);
      shifts.push({ layout: l, s: { ...s, shift: shiftOf(s.w, stats[ch].mean, w0, meanRef(ch), l) }, ch });
      error += onGrid ? s.error : 0;
    });
    exact = false;
  }
  const t: SolvedTensor = { values: out, encoding, pruned: job.prune };
  result.tensors.set(name, t);
  session.setWeight(name, out, shape);
  let biasCorrected = false;
  if (o.biasCorrection !== false) {
    if (!layer.bias) noBias.push(name);
    else if (biasJob?.keepGrid) result.notes.push(`bias not corrected: ${layer.bias} keeps its stored grid`);
    else {
      const binfo = model.tensors.find((x) => x.name === layer.bias);
      const b = binfo ? new Float32Array((await model.readValues(binfo)) as Float32Array) : null;
      if (b) {
        for (const { s, ch, layout } of shifts) {
          // Output index: the row (Dense, Conv2D) or channel * multiplier + row (depthwise).
          for (let r = 0; r < layout.rows; r++) b[layer.kind === 'depthwise' ? ch * layout.rows + r : r] -= s.shift[r];
        }
        result.tensors.set(layer.bias, { values: b, encoding: null, pruned: false });
        const shown = biasJob && (biasJob.prune || biasJob.quantizer) ? transform(biasJob, new Float32Array(b), recipe).enc.decoded : b;
        session.setWeight(layer.bias, shown, binfo?.entry.shape ?? [b.length]);
        biasCorrected = true;
      }
    }
  }
  const rows = layer.kind === 'depthwise' ? shape[3] : kernelLayout(layer).rows;
  return { kernel: name, kind: layer.kind, rows, cols: inputs.dim, samples: stats[0]?.count ?? 0, pruned: job.prune ? (obs ? 'obs' : 'magnitude') : null, quantized: job.quantizer ? (onGrid ? 'gptq' : 'rtn') : null, error, exact, biasCorrected };
}

/** 1 where a matrix holds an exact zero (the mask magnitude pruning left). */
function maskOf(m: Float64Array): Uint8Array {
  const mask = new Uint8Array(m.length);
  for (let i = 0; i < m.length; i++) mask[i] = +(m[i] === 0);
  return mask;
}

/** Per row of a layout: the mean output shift ŵ · mean(x) - w0 · mean(x₀) (compressed against original). */
function shiftOf(w: Float64Array, mean: Float64Array, w0: Float64Array, refMean: Float64Array, l: MatrixLayout): Float64Array {
  const out = new Float64Array(l.rows);
  for (let r = 0; r < l.rows; r++) {
    let s = 0;
    for (let c = 0; c < l.cols; c++) s += w[r * l.cols + c] * mean[c] - w0[r * l.cols + c] * refMean[c];
    out[r] = s;
  }
  return out;
}

/**
 * W* = W0 + W0 (C - H)(H + λI)⁻¹ (C = 2 E[x₀xᵀ], H = 2 E[xxᵀ]), row by row through one
 * Cholesky factor: the least-squares W0 C H⁻¹ written so that the damping only shrinks
 * the correction, never W0 itself (with identical inputs, C = H, it is W0 exactly).
 */
function compensatedTarget(w0: Float64Array, h: Float64Array, cross: Float64Array, rows: number, cols: number, factor: { u: Float64Array }): Float64Array {
  const { u } = factor;
  const out = new Float64Array(rows * cols);
  const v = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    // (W0 (C - H))_r,j = Σ_i W0_r,i (C - H)_i,j; then (H + λI)⁻¹ applied to that row (H symmetric).
    v.fill(0);
    for (let i = 0; i < cols; i++) {
      const wi = w0[r * cols + i];
      if (wi === 0) continue;
      const at = i * cols;
      for (let j = 0; j < cols; j++) v[j] += wi * (cross[at + j] - h[at + j]);
    }
    const x = applyInverse(u, cols, v);
    for (let j = 0; j < cols; j++) out[r * cols + j] = w0[r * cols + j] + x[j];
  }
  return out;
}

/** Options of solveJobs beyond the recipe. */
export interface SolveJobsOptions {
  /** Calibration data already read (instead of the recipe's file). */
  data?: Dataset;
  /** Solver settings beyond the recipe's (damping, mask block, widest layer). */
  solver?: Partial<SolveOptions>;
  /** The folder the recipe's calibration file is relative to (default: the process's). */
  cwd?: string;
}

/** What the solvers did in a compress run (CompressResult.solver). */
export interface SolverSummary {
  samples: number;
  seconds: number;
  layers: SolvedLayer[];
  notes: string[];
}

/**
 * When the recipe has a calibration step: read its data, run the solvers for the planned
 * jobs and attach each solved tensor to its job (TensorJob.solved); null otherwise.
 */
export async function solveJobs(model: Model, jobs: TensorJob[], recipe: Recipe, o: SolveJobsOptions = {}): Promise<SolverSummary | null> {
  const c = recipe.calibration;
  if (!c || (c.quantizeMethod === 'rtn' && c.pruneMethod === 'magnitude')) return null;
  const t0 = performance.now();
  // Named in errors as the recipe gives it (what the user typed), not as resolved.
  const data = o.data ?? { ...(await readData(path.resolve(o.cwd ?? '.', c.file))), source: c.file };
  if (data.samples === 0) throw new McError('BAD_VALUE', `--calibration ${c.file}: expected calibration samples, found none`);
  await useBackend('wasm');
  const r = await solveModel(model, jobs, recipe, data, { quantizeMethod: c.quantizeMethod, pruneMethod: c.pruneMethod, actOrder: c.actOrder, biasCorrection: c.biasCorrection, ...o.solver });
  for (const j of jobs) {
    const s = r.tensors.get(j.info.name);
    if (s) j.solved = s;
  }
  return { samples: data.samples, seconds: (performance.now() - t0) / 1000, layers: r.layers, notes: r.notes };
}
