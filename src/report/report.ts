/**
 * `report`: the original and each candidate measured side by side: accuracy and
 * agreement on real data, raw / gzip / brotli sizes, simulated transfer time per network,
 * and the budgets. The returned object is the documented JSON contract (schemaVersion 1).
 */
import * as tf from '@tensorflow/tfjs-core';
import { McError } from '../errors.js';
import { type BackendName, useBackend } from '../eval/backend.js';
import { type Dataset, readData, syntheticData } from '../eval/data.js';
import { predictAll } from '../eval/predict.js';
import { sumSizes, type FileSizes, type Sizes } from '../size.js';
import { type Budget, type BudgetResult, checkBudgets } from './budgets.js';
import { type CandidateSpec, materialize } from './candidates.js';
import { compareOutputs, type Metrics } from './metrics.js';
import { type NetworkProfile, transferTime } from './transfer.js';

/** Transfer encodings a server may use. */
export type Encoding = 'br' | 'gzip' | 'none';

/** What to report on. */
export interface ReportOptions {
  original: string;
  candidates: CandidateSpec[];
  /** Evaluation data file (.csv, .json, .npy); none: seeded synthetic inputs. */
  data?: string;
  /** How the data file is named in the report (default: its path). */
  dataName?: string;
  /** Labels for .npy data. */
  labelsFile?: string;
  /** CSV without a label column. */
  noLabels?: boolean;
  /** Synthetic samples when there is no data (default 256). */
  samples?: number;
  networks: NetworkProfile[];
  encoding: Encoding;
  budgets: Budget[];
  backend: BackendName;
  /** Called as each model is measured. */
  onProgress?: (done: number, total: number, name: string) => void;
}

/** One model's row of the report (the JSON contract). */
export interface ModelReport {
  name: string;
  role: 'original' | 'candidate';
  path?: string;
  recipe?: unknown;
  container: boolean;
  files: { file: string; raw: number; gzip: number; brotli: number }[];
  sizes: Sizes;
  transfer: Record<string, { ms: number }>;
  metrics: Metrics;
  delta: { accuracyDrop: number | null; sizeReduction: number };
}

/** The report (the JSON contract). */
export interface Report {
  schemaVersion: 1;
  passed: boolean;
  backend: BackendName;
  encoding: Encoding;
  data: { source: string; samples: number; labels: boolean; synthetic: boolean };
  networks: NetworkProfile[];
  models: ModelReport[];
  budgets: BudgetResult[];
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

/** Build the report. */
export async function buildReport(o: ReportOptions): Promise<Report> {
  const backend = await useBackend(o.backend);
  const specs: CandidateSpec[] = [{ kind: 'path', path: o.original, name: 'original' }, ...o.candidates];
  const nets = [...o.networks];
  for (const b of o.budgets) if (b.kind === 'maxTransferTime' && !nets.some((n) => n.name === b.network.name)) nets.push(b.network);
  let data: Dataset | undefined = o.data ? await readData(o.data, { labels: !o.noLabels, labelsFile: o.labelsFile }) : undefined;
  if (o.budgets.some((b) => b.kind === 'maxAccuracyDrop') && !(data && data.labels)) {
    throw new McError('USAGE', '--max-accuracy-drop needs labelled data (--data with labels); without labels only agreement can be measured');
  }
  const models: ModelReport[] = [];
  let base: Awaited<ReturnType<typeof predictAll>> | undefined;
  for (const [i, spec] of specs.entries()) {
    const name = spec.kind === 'path' ? spec.name ?? spec.path : spec.name;
    o.onProgress?.(i, specs.length, name);
    const m = await materialize(spec, o.original);
    try {
      if (!data) {
        const width = m.runnable.inputShape.reduce((a, d) => a * (d > 0 ? d : 1), 1);
        data = syntheticData(o.samples ?? 256, width);
      }
      const out = await predictAll(m.runnable, data);
      base ??= out;
      const b = base;
      if (out.heads.length !== b.heads.length || out.heads.some((h, k) => h.width !== b.heads[k].width)) {
        const shape = (p: typeof out) => p.heads.map((h) => h.width).join(' + ');
        throw new McError('BAD_VALUE', `${name}: gives outputs of ${shape(out)} values per sample, the original gives ${shape(b)}`);
      }
      // Labels refer to the first output; every output is compared with the original's.
      const perOutput = out.heads.map((h, k) => compareOutputs(b.heads[k].values, h.values, h.width, k === 0 ? data!.labels : null));
      const metrics: Metrics = perOutput.length > 1 ? { ...perOutput[0], outputs: perOutput } : perOutput[0];
      const sizes = sumSizes(m.files);
      models.push({
        name,
        role: i === 0 ? 'original' : 'candidate',
        ...(spec.kind === 'path' ? { path: spec.path } : { recipe: spec.recipe }),
        container: m.container,
        files: m.files.map((f) => ({ ...f, file: f.file.split(/[\\/]/).pop() as string })),
        sizes,
        transfer: transfers(m.files, m.container, nets, o.encoding),
        metrics,
        delta: { accuracyDrop: null, sizeReduction: 1 },
      });
    } finally {
      m.runnable.dispose();
      await m.cleanup();
    }
  }
  o.onProgress?.(specs.length, specs.length, 'done');
  const orig = models[0];
  for (const m of models) {
    m.delta = {
      accuracyDrop: m.metrics.accuracy !== null && orig.metrics.accuracy !== null ? orig.metrics.accuracy - m.metrics.accuracy : null,
      sizeReduction: orig.sizes.raw / m.sizes.raw,
    };
  }
  const budgets = models.slice(1).flatMap((m) =>
    checkBudgets(o.budgets, {
      name: m.name,
      accuracyDrop: m.delta.accuracyDrop,
      sizeReduction: m.delta.sizeReduction,
      encodedSize: encodedSize(m.sizes, o.encoding),
      transferMs: Object.fromEntries(Object.entries(m.transfer).map(([k, v]) => [k, v.ms])),
    }),
  );
  tf.disposeVariables();
  const d = data as Dataset;
  return {
    schemaVersion: 1,
    passed: budgets.every((b) => b.passed),
    backend,
    encoding: o.encoding,
    data: { source: o.data ? o.dataName ?? d.source : d.source, samples: d.samples, labels: d.labels !== null, synthetic: !o.data },
    networks: nets,
    models,
    budgets,
  };
}
