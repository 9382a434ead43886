/** Run a recipe on a model and write the result: the library entry of quantize, prune and compress. */
import type { io } from '@tensorflow/tfjs-core';
import path from 'node:path';
import { type EncodedSection, entropyRatio, writeMczSections } from './mcz/write.js';
import { isContainerPath } from './size.js';
import { type Model, loadModel } from './model/load.js';
import { noTopology } from './model/artifacts.js';
import { modelArtifacts } from './model/tfjs-io.js';
import { saveModel, type SaveResult } from './model/save.js';
import { BufferPool } from './parallel/buffers.js';
import { type ParallelOptions, TaskPool, orderedMap, workersFor } from './parallel/pool.js';
import type { StockResult } from './parallel/tasks.js';
import { type TensorJob, type TensorOutcome, planGlobal, planJobs, produceOn, produceTensor, stockByteLength, toDecoded } from './pipeline.js';
import type { Recipe } from './recipe.js';
import { type SolveJobsOptions, type SolverSummary, solveJobs } from './solvers/model.js';
import { containerOnlyReason } from './passes/registry.js';
import { VERSION } from './version.js';

/** Options of compressModel (`workers`, `memoryBudget`, `workerScript`: see ParallelOptions). */
export interface CompressOptions extends ParallelOptions {
  shardSize?: number;
  force?: boolean;
  /** Name of the command recorded in the output's metadata. */
  command?: string;
  /** With a recipe's calibration step: data already read, and solver settings (solvers/model.ts). */
  calibration?: SolveJobsOptions;
}

/** Totals over the tensors of a run. */
export interface CompressTotals {
  tensors: number;
  bytesBefore: number;
  bytesAfter: number;
  /** Over the pruned tensors: weights and zeros before / after. */
  prunedWeights: number;
  zerosBefore: number;
  zerosAfter: number;
}

/** What compressModel did. */
export interface CompressResult {
  input: string;
  output: string;
  files: SaveResult['files'];
  tensors: TensorOutcome[];
  totals: CompressTotals;
  warnings: string[];
  /** For a .mcz output: the coded bytes, their order-0 entropy bound and the ratio. */
  container?: { bytes: number; coded: number; entropyBound: number; ratio: number };
  /** What the data-aware solvers did (recipes with a calibration step). */
  solver?: SolverSummary;
}

/** Totals over outcomes. */
export function totalsOf(tensors: TensorOutcome[]): CompressTotals {
  const t: CompressTotals = { tensors: tensors.length, bytesBefore: 0, bytesAfter: 0, prunedWeights: 0, zerosBefore: 0, zerosAfter: 0 };
  for (const o of tensors) {
    t.bytesBefore += o.bytesBefore;
    t.bytesAfter += o.bytesAfter;
    if (o.pruned && o.sparsityBefore !== null && o.sparsityAfter !== null) {
      const n = o.shape.reduce((a, b) => a * b, 1);
      t.prunedWeights += n;
      t.zerosBefore += Math.round(o.sparsityBefore * n);
      t.zerosAfter += Math.round(o.sparsityAfter * n);
    }
  }
  return t;
}

/** Apply `recipe` to the model at `input` and write a .mcz container, every tensor in the encoding the recipe gives it. */
async function compressToContainer(input: string, output: string, recipe: Recipe, opts: CompressOptions): Promise<CompressResult> {
  const model = await loadModel(input);
  const pool = TaskPool.open(workersFor('section', modelBytes(model), largestTensor(model), opts), opts.workerScript);
  try {
    const jobs = planJobs(model, recipe, { stockOutput: false });
    await planGlobal(model, jobs, recipe);
    const solver = (await solveJobs(model, jobs, recipe, opts.calibration)) ?? undefined;
    const tensors: TensorOutcome[] = [];
    const warnings: string[] = [];
    // Passes and section encoding run in the pool, a few tensors at a time; sections come back in order.
    const buffers = new BufferPool(1);
    const encode = async (job: TensorJob) => {
      const stored = await model.readBytes(job.info, buffers.take(job.info.byteLength));
      const r = await pool.run('section', { job, stored, recipe }, [stored.buffer as ArrayBuffer]);
      buffers.give(r.input.buffer);
      return r;
    };
    async function* sections(): AsyncIterable<EncodedSection> {
      for await (const r of orderedMap(jobs, encode, pool.inFlight(largestTensor(model)), byteWeight)) {
        tensors.push(r.outcome);
        warnings.push(...r.warnings);
        yield r.section;
      }
    }
    const stats = await writeMczSections(output, model.json, sections(), {
      lowBit: jobs.some((j) => usesLowBit(j, recipe)),
      force: opts.force,
      inputs: [model.dir],
      version: VERSION,
      step: { command: opts.command ?? 'compress', recipe },
    });
    stats.perTensor.forEach((p, i) => {
      tensors[i].bytesAfter = p.bytes;
      tensors[i].to = p.sparse ? `${p.encoding}, sparse` : p.encoding;
    });
    const container = { bytes: stats.bytes, coded: stats.coded, entropyBound: stats.entropyBound, ratio: entropyRatio(stats) };
    return { input: model.file, output: path.resolve(output), files: [{ name: path.basename(output), bytes: stats.bytes }], tensors, totals: totalsOf(tensors), warnings, container, solver };
  } finally {
    await pool.close();
    await model.close();
  }
}

/** True when a job's tensor will be intN or cluster encoded (which needs .mcz format version 3). */
function usesLowBit(job: TensorJob, recipe: Recipe): boolean {
  const q = job.step ? job.step.quantize : recipe.quantize;
  return Boolean(q) && !job.keepGrid && job.quantizer === q?.dtype && containerOnlyReason(q) !== null;
}

/** Stored bytes of every tensor of a model. */
function modelBytes(model: Model): number {
  return model.tensors.reduce((n, t) => n + t.byteLength, 0);
}

/** Stored bytes of a model's largest tensor. */
function largestTensor(model: Model): number {
  return model.tensors.reduce((n, t) => Math.max(n, t.byteLength), 0);
}

/** A job's weight in flight: its stored bytes. */
const byteWeight = (job: TensorJob): number => job.info.byteLength;

/** Apply `recipe` to the model at `input` and write a stock tfjs folder, or a .mcz container when `output` ends in .mcz. */
export async function compressModel(input: string, output: string, recipe: Recipe, opts: CompressOptions = {}): Promise<CompressResult> {
  if (isContainerPath(output)) return compressToContainer(input, output, recipe, opts);
  const model = await loadModel(input);
  const pool = TaskPool.open(workersFor('stock', modelBytes(model), largestTensor(model), opts), opts.workerScript);
  try {
    const jobs = planJobs(model, recipe, { stockOutput: true });
    await planGlobal(model, jobs, recipe);
    const solver = (await solveJobs(model, jobs, recipe, opts.calibration)) ?? undefined;
    const tensors: TensorOutcome[] = [];
    const warnings: string[] = [];
    // Tensors a pass touches run in the pool, a few at a time; the others are copied as read.
    const buffers = new BufferPool(1);
    const produce = async (job: TensorJob): Promise<StockResult> => {
      const stored = await model.readBytes(job.info, buffers.take(job.info.byteLength));
      const r = !job.prune && !job.quantizer ? { ...produceOn(job, stored, recipe), input: stored } : await pool.run('stock', { job, stored, recipe }, [stored.buffer as ArrayBuffer]);
      // The read buffer is reused once free: now, or after the write when the output is a view of it.
      if (r.out.bytes.buffer !== r.input.buffer) buffers.give(r.input.buffer);
      return r;
    };
    const results = orderedMap(jobs, produce, pool.inFlight(largestTensor(model)), byteWeight);
    try {
      const save = await saveModel(
        output,
        model.json,
        jobs.map((job) => ({
          name: job.info.name,
          byteLength: stockByteLength(job),
          produce: async () => {
            const r = await results.next();
            if (r.done) throw new Error(`compressModel: no result for tensor "${job.info.name}"`);
            const { out, outcome, input } = r.value;
            tensors.push(outcome);
            warnings.push(...r.value.warnings);
            return out.bytes.buffer === input.buffer ? { ...out, release: () => buffers.give(input.buffer) } : out;
          },
        })),
        { shardSize: opts.shardSize, force: opts.force, inputs: [model.dir], version: VERSION, step: { command: opts.command ?? 'compress', recipe } },
      );
      return { input: model.file, output: save.dir, files: save.files, tensors, totals: totalsOf(tensors), warnings, solver };
    } finally {
      await results.return(undefined);
    }
  } finally {
    await pool.close();
    await model.close();
  }
}

/** What compressInMemory gives: tfjs artifacts of the compressed model, as its loader would decode it. */
export interface InMemoryResult {
  artifacts: io.ModelArtifacts;
  format: 'layers-model' | 'graph-model';
  tensors: TensorOutcome[];
  warnings: string[];
}

/**
 * Apply `recipe` in memory and give the model as a loader gets it back (every touched
 * tensor as its decoded float32 values), for measuring any recipe, per-channel int8
 * included, without writing files.
 */
export async function compressInMemory(input: string, recipe: Recipe, calibration?: SolveJobsOptions): Promise<InMemoryResult> {
  const model = await loadModel(input);
  try {
    // Before any pass runs: without a topology there is nothing to measure in memory.
    if (model.format === 'weights-only') throw noTopology(model.file, 'compare its sizes instead (maas-compress report)');
    const format = model.format;
    const jobs = planJobs(model, recipe, { stockOutput: false });
    await planGlobal(model, jobs, recipe);
    await solveJobs(model, jobs, recipe, calibration);
    const tensors: TensorOutcome[] = [];
    const warnings: string[] = [];
    const specs: io.WeightsManifestEntry[] = [];
    const parts: Uint8Array[] = [];
    for (const job of jobs) {
      const r = await produceTensor(model, job, recipe, toDecoded);
      tensors.push(r.outcome);
      warnings.push(...r.warnings);
      specs.push(r.out.entry as io.WeightsManifestEntry);
      parts.push(r.out.bytes);
    }
    const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    const base = await modelArtifacts({ ...model, tensors: [] });
    return { artifacts: { ...base, weightSpecs: specs, weightData: data.buffer }, format, tensors, warnings };
  } finally {
    await model.close();
  }
}
