/**
 * `report`: the original and each candidate measured side by side: fidelity per output
 * (the worst output in the headline) on real data, raw / gzip / brotli sizes, simulated
 * transfer time per network, and the budgets. The returned object is the documented JSON
 * contract (schemaVersion 2, src/report/types.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { McError } from '../errors.js';
import { type BackendName, useBackend } from '../eval/backend.js';
import { type Dataset, readData } from '../eval/data.js';
import { type OutputHead, predictAll } from '../eval/predict.js';
import { syntheticInputs } from '../eval/synthetic.js';
import { servedSizes, sumSizes, type FileSizes, type Sizes } from '../size.js';
import { BUDGET_FLAG, type Budget, checkBudgets, FIDELITY_BUDGETS } from './budgets.js';
import { type CandidateSpec, materialize } from './candidates.js';
import { combineOutputs, compareOutput } from './metrics.js';
import { type NetworkProfile, transferTime } from './transfer.js';
import { type BrowserOptions, type BrowserSubject, checkBrowserOptions, measureInBrowser } from './browser/measure.js';
import type { BrowserInfo, Encoding, Metrics, ModelReport, Report } from './types.js';

export type { Encoding, Metrics, ModelReport, OutputMetrics, Report } from './types.js';

/** What to report on. */
export interface ReportOptions {
  original: string;
  candidates: CandidateSpec[];
  /** Evaluation data file (.csv, .json, .npy, .npz); none: seeded synthetic inputs. */
  data?: string;
  /** How the data file is named in the report (default: its path). */
  dataName?: string;
  /** Labels for .npy / .npz data. */
  labelsFile?: string;
  /** CSV without a label column. */
  noLabels?: boolean;
  /** The output the labels belong to (default: the first). */
  labelOutput?: string;
  /** Synthetic samples when there is no data (default 256). */
  samples?: number;
  networks: NetworkProfile[];
  encoding: Encoding;
  budgets: Budget[];
  backend: BackendName;
  /** Also measure every model in headless Chromium (`report --browser`); a --max-time-to-first-prediction budget turns it on. */
  browser?: BrowserOptions;
  /** Called as each model is measured. */
  onProgress?: (done: number, total: number, name: string) => void;
  /** Called at the end with where the time went (ms): building candidates, inference, sizes (off the main thread, from the start until the last one is known), in all. */
  onTimings?: (t: ReportTimings) => void;
}

/** Where a report's time went, in milliseconds. */
export interface ReportTimings {
  buildMs: number;
  inferenceMs: number;
  sizesMs: number;
  totalMs: number;
}

/** The size a server sends under `encoding`. */
export function encodedSize(s: Sizes, encoding: Encoding): number {
  return encoding === 'br' ? s.brotli : encoding === 'gzip' ? s.gzip : s.raw;
}

function transfers(files: FileSizes[], container: boolean, nets: NetworkProfile[], enc: Encoding): Record<string, { ms: number }> {
  const sizes = files.map((f) => encodedSize(f, enc));
  const out: Record<string, { ms: number }> = {};
  for (const n of nets) {
    const ms = container ? transferTime({ container: sizes[0] }, n) : transferTime({ json: sizes[0], weights: sizes.slice(1) }, n);
    out[n.name] = { ms: Math.round(ms * 10) / 10 };
  }
  return out;
}

/** Refuse budgets that cannot be measured before any model is built. */
function checkMeasurable(o: ReportOptions, data: Dataset | undefined): void {
  const fidelity = o.budgets.filter((b) => FIDELITY_BUDGETS.has(b.kind));
  if (fidelity.length && !data) {
    const flags = [...new Set(fidelity.map((b) => BUDGET_FLAG[b.kind]))].join(', ');
    throw new McError('USAGE', `${flags}: fidelity budgets cannot pass on synthetic inputs; give real data with --data`);
  }
  if (o.budgets.some((b) => b.kind === 'maxAccuracyDrop') && !data?.labels) {
    throw new McError('USAGE', '--max-accuracy-drop needs labelled data (--data with labels); without labels use --min-agreement or --min-cosine');
  }
}

/** Fidelity budgets cannot be checked on a weights-only manifest. */
function refuseFidelityWithoutTopology(budgets: Budget[]): void {
  if (budgets.some((b) => FIDELITY_BUDGETS.has(b.kind))) {
    throw new McError('USAGE', 'fidelity budgets need a model topology; a weights-only manifest can only be checked for size and transfer time');
  }
}

/** The index of the output labels belong to. */
export function labelIndex(names: string[], wanted: string | undefined): number {
  if (wanted === undefined) return 0;
  const k = names.findIndex((n) => n === wanted || n.replace(/:0$/, '') === wanted.replace(/:0$/, ''));
  if (k < 0) throw new McError('USAGE', `--label-output ${wanted}: the model has no such output; its outputs are ${names.map((n) => `"${n}"`).join(', ')}`);
  return k;
}

/** Fidelity of a candidate's heads against the original's. */
export function fidelity(name: string, base: OutputHead[], heads: OutputHead[], labels: Int32Array | null, labelAt: number): Metrics {
  const shapes = (hs: OutputHead[]) => hs.map((h) => `[${h.shape.join(', ')}]`).join(' + ');
  if (heads.length !== base.length || heads.some((h, k) => h.shape.join() !== base[k].shape.join())) {
    throw new McError('BAD_VALUE', `${name}: gives outputs of shape ${shapes(heads)} per sample, the original gives ${shapes(base)}`);
  }
  const outputs = heads.map((h, k) => compareOutput({ name: base[k].name, shape: h.shape, base: base[k].values, cand: h.values }, k === labelAt ? labels : null));
  return combineOutputs(outputs, labels ? labelAt : null);
}

/** Build the report. */
export async function buildReport(o: ReportOptions): Promise<Report> {
  const backend = await useBackend(o.backend);
  const specs: CandidateSpec[] = [{ kind: 'path', path: o.original, name: 'original' }, ...o.candidates];
  const nets = [...o.networks];
  for (const b of o.budgets) if ((b.kind === 'maxTransferTime' || b.kind === 'maxTimeToFirstPrediction') && !nets.some((n) => n.name === b.network.name)) nets.push(b.network);
  const browser = o.browser ?? (o.budgets.some((b) => b.kind === 'maxTimeToFirstPrediction') ? {} : undefined);
  if (browser) checkBrowserOptions(browser); // no Chromium: fail before anything is built
  const subjects: BrowserSubject[] = [];
  const real: Dataset | undefined = o.data ? await readData(o.data, { labels: !o.noLabels, labelsFile: o.labelsFile }) : undefined;
  checkMeasurable(o, real);
  let data = real;
  const rows: (Omit<ModelReport, 'files' | 'sizes' | 'transfer'> & { sized: Promise<FileSizes[]> })[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  let base: OutputHead[] | undefined;
  let labelAt = 0;
  let weightsOnly = false;
  const t0 = performance.now();
  const timings = { buildMs: 0, inferenceMs: 0, sizesMs: 0, totalMs: 0 };
  let sizesDone = t0;
  try {
    for (const [i, spec] of specs.entries()) {
      const name = spec.kind === 'path' ? spec.name ?? spec.path : spec.name;
      o.onProgress?.(i, specs.length, name);
      let t = performance.now();
      const m = await materialize(spec, o.original);
      timings.buildMs += performance.now() - t;
      cleanups.push(m.cleanup);
      // Sizes are computed on the thread pool while the model runs on this thread.
      const sized = servedSizes(m.files, m.container).then((x) => {
        sizesDone = Math.max(sizesDone, performance.now());
        return x;
      });
      sized.catch(() => undefined); // awaited below; an early failure must not go unhandled meanwhile
      let metrics: Metrics | null = null;
      try {
        if (m.runnable) {
          data ??= syntheticInputs(m.runnable.inputs, o.samples ?? 256);
          t = performance.now();
          const heads = await predictAll(m.runnable, data);
          timings.inferenceMs += performance.now() - t;
          if (!base) {
            base = heads;
            labelAt = labelIndex(heads.map((h) => h.name), o.labelOutput);
          }
          metrics = fidelity(name, base, heads, data.labels, labelAt);
        } else {
          weightsOnly = true;
          refuseFidelityWithoutTopology(o.budgets);
        }
      } finally {
        m.runnable?.dispose();
      }
      rows.push({
        name,
        role: i === 0 ? 'original' : 'candidate',
        ...(spec.kind === 'path' ? { path: spec.path } : { recipe: spec.recipe }),
        container: m.container,
        servedAsIs: m.container,
        metrics,
        delta: { accuracyDrop: null, sizeReduction: 1 },
        sized,
      });
      subjects.push({ name, files: m.files, container: m.container, runnable: m.runnable !== null });
    }
    o.onProgress?.(specs.length, specs.length, 'done');
    const models: ModelReport[] = [];
    for (const { sized, ...r } of rows) {
      const files = await sized;
      models.push({ ...r, files: files.map((f) => ({ ...f, file: f.file.split(/[\\/]/).pop() as string })), sizes: sumSizes(files), transfer: transfers(files, r.container, nets, o.encoding) });
    }
    timings.sizesMs = sizesDone - t0;
    let info: BrowserInfo | undefined;
    if (browser) {
      const measured = await measureInBrowser(subjects, nets, o.encoding, browser);
      for (const [i, m] of models.entries()) m.browser = measured.timings[i];
      info = measured.info;
    }
    timings.totalMs = performance.now() - t0;
    const r = finish(o, models, nets, backend, data, weightsOnly, base && data?.labels ? base[labelAt].name : null, info);
    o.onTimings?.(timings);
    return r;
  } finally {
    for (const c of cleanups) await c();
    tf.disposeVariables();
  }
}

/** Deltas against the original, budgets, and the report object. */
function finish(o: ReportOptions, models: ModelReport[], nets: NetworkProfile[], backend: BackendName, data: Dataset | undefined, weightsOnly: boolean, labelOutput: string | null, browser?: BrowserInfo): Report {
  const orig = models[0];
  for (const m of models) {
    const acc = m.metrics?.accuracy ?? null;
    const base = orig.metrics?.accuracy ?? null;
    m.delta = { accuracyDrop: acc !== null && base !== null ? base - acc : null, sizeReduction: orig.sizes.raw / m.sizes.raw };
  }
  const budgets = models.slice(1).flatMap((m) =>
    checkBudgets(o.budgets, {
      name: m.name,
      accuracyDrop: m.delta.accuracyDrop,
      sizeReduction: m.delta.sizeReduction,
      encodedSize: encodedSize(m.sizes, o.encoding),
      transferMs: Object.fromEntries(Object.entries(m.transfer).map(([k, v]) => [k, v.ms])),
      timeToFirstPredictionMs: m.browser ? Object.fromEntries(Object.entries(m.browser).map(([k, v]) => [k, v.timeToFirstPredictionMs])) : undefined,
      cosineMin: m.metrics?.cosineMin ?? null,
      sqnrDb: m.metrics ? m.metrics.sqnrDb : undefined,
      agreement: m.metrics?.agreement ?? null,
    }),
  );
  const synthetic = !o.data && !weightsOnly;
  const notes: string[] = [];
  if (synthetic) notes.push(`fidelity figures come from ${data?.samples ?? 0} synthetic inputs (${data?.source}), not real data: only agreement with the original means anything, and fidelity budgets cannot pass on them`);
  if (weightsOnly) notes.push('weights-only manifest: there is no model topology to run, so only sizes and transfer times are reported; fidelity needs a topology');
  if (models.some((m) => m.servedAsIs)) notes.push('.mcz containers are already entropy coded and served as is: their gzip and brotli sizes are their raw size');
  return {
    schemaVersion: 2,
    passed: budgets.every((b) => b.passed),
    backend,
    encoding: o.encoding,
    inputs: weightsOnly ? 'none' : synthetic ? 'synthetic' : 'data',
    data: {
      source: weightsOnly ? 'none' : o.data ? o.dataName ?? (data as Dataset).source : (data as Dataset).source,
      samples: weightsOnly ? 0 : (data as Dataset).samples,
      labels: Boolean(data?.labels) && !weightsOnly,
      synthetic,
      labelOutput,
    },
    networks: nets,
    ...(browser ? { browser } : {}),
    models,
    budgets,
    notes,
  };
}
