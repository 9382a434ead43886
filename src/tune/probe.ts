/**
 * Probing tensors: one full-model run per tensor with seeded int8-sized noise in it alone
 * (sensitivity.ts explains what the run measures). The runs are independent, so they are
 * shared among worker threads, each with its own tfjs and its own copy of the model
 * (probe-worker.ts); where the built worker is absent (running from TypeScript sources)
 * or one core is all there is, they run on the calling thread.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { McError, type McErrorCode } from '../errors.js';
import type { BackendName } from '../eval/backend.js';
import type { Dataset } from '../eval/data.js';
import type { OutputHead } from '../eval/predict.js';
import type { Reference, Target } from './capture.js';
import type { PlanEvaluator } from './evaluate.js';
import { hashSeed, mulberry32 } from '../random.js';

/** What one probe measured. */
export interface ProbeResult {
  name: string;
  /** Weight noise energy put in. */
  noise: number;
  /** Per output, per sample: the output error energy. */
  energy: Float64Array[];
  cosineMin: number;
  sqnrDb: number | null;
  accuracyDrop: number | null;
  /** True when a worker thread ran it. */
  remote?: boolean;
}

/** The probe's values: the original plus seeded Gaussian noise scaled per output channel as int8 rounding would be. */
export function probeValues(t: Target): { values: Float32Array; noise: number } {
  const v = t.values;
  const inner = t.axis === null ? v.length : t.shape.slice(t.axis + 1).reduce((a, b) => a * b, 1);
  const dim = t.axis === null ? 1 : t.shape[t.axis];
  const channelOf = (i: number) => (t.axis === null ? 0 : Math.floor(i / inner) % dim);
  const max = new Float64Array(dim);
  for (let i = 0; i < v.length; i++) {
    const c = channelOf(i);
    const a = Math.abs(v[i]);
    if (a > max[c] && Number.isFinite(a)) max[c] = a;
  }
  const r = mulberry32(hashSeed(t.name));
  const out = new Float32Array(v.length);
  let noise = 0;
  for (let i = 0; i < v.length; i++) {
    // Box-Muller; one of the pair is enough here.
    const g = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    out[i] = v[i] + g * (max[channelOf(i)] / 127 / Math.sqrt(12));
    const d = out[i] - v[i];
    noise += d * d;
  }
  return { values: out, noise };
}

/** Output error energy per output and sample of `heads` against the reference. */
export function errorEnergy(ref: Reference, heads: { values: Float32Array }[]): Float64Array[] {
  return ref.outputs.map((o, k) => {
    const n = ref.data.samples;
    const width = n ? o.values.length / n : 0;
    const e = new Float64Array(n);
    const c = heads[k].values;
    for (let s = 0; s < n; s++) {
      let sum = 0;
      for (let i = s * width, end = i + width; i < end; i++) {
        const d = c[i] - o.values[i];
        sum += d * d;
      }
      e[s] = sum;
    }
    return e;
  });
}

/** Probe one target on the evaluator's model (its original values are put back after). */
export async function probeOne(t: Target, ev: PlanEvaluator, ref: Reference): Promise<ProbeResult> {
  const p = probeValues(t);
  ev.loadValues(t, p.values);
  try {
    const m = await ev.measure(ref, `${t.name} (probe)`);
    return { name: t.name, noise: p.noise, energy: errorEnergy(ref, m.heads), cosineMin: m.metrics.cosineMin, sqnrDb: m.metrics.sqnrDb, accuracyDrop: m.accuracyDrop };
  } finally {
    ev.restore(t);
  }
}

/** What a probe worker needs to rebuild the session: the model, the inputs and the original's outputs on them. */
export interface ProbeJob {
  model: string;
  backend: BackendName;
  minElements: number;
  labelAt: number;
  data: Dataset;
  outputs: OutputHead[];
  energy: Float64Array[];
  names: string[];
}

/** The built worker entry beside this module (absent when running from TypeScript sources). */
const WORKER = new URL('./probe-worker.js', import.meta.url);

/**
 * How many worker threads to probe on besides the calling thread, which probes too: one
 * per further core (at most 3), none for few tensors or without the built worker. Each
 * worker holds its own tfjs, model and inputs (about 250 MB on the 14 MB benchmark net).
 */
export function probeThreads(targets: number, requested?: number): number {
  if (requested !== undefined) return Math.max(0, Math.floor(requested));
  if (targets < 4 || !existsSync(fileURLToPath(WORKER))) return 0;
  return Math.max(0, Math.min(4, availableParallelism()) - 1);
}

/**
 * Probe every target: on this thread and `threads` worker threads, each taking the next
 * target as it is done. `before` runs on this thread first (while the workers open their
 * sessions), yielding now and then so that workers get their next target. Results in target order.
 */
export async function probeAll(
  targets: Target[],
  ev: PlanEvaluator,
  ref: Reference,
  job: Omit<ProbeJob, 'names' | 'data' | 'outputs' | 'energy'>,
  threads: number,
  onDone?: (done: number, total: number, name: string) => void,
  before?: () => Promise<void>,
): Promise<ProbeResult[]> {
  const out: ProbeResult[] = new Array(targets.length);
  let done = 0;
  let next = 0;
  const index = new Map(targets.map((t, i) => [t.name, i]));
  const workers = Array.from({ length: Math.min(threads, targets.length) }, () => new Worker(WORKER));
  try {
    const lanes = workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          const give = () => {
            if (next >= targets.length) {
              resolve();
              return;
            }
            w.postMessage({ kind: 'probe', name: targets[next++].name });
          };
          w.on('message', (m: { kind: string; result?: ProbeResult; error?: { code: McErrorCode | null; message: string } }) => {
            if (m.kind === 'ready') give();
            else if (m.kind === 'result' && m.result) {
              out[index.get(m.result.name) as number] = { ...m.result, remote: true };
              onDone?.(++done, targets.length, m.result.name);
              give();
            } else if (m.kind === 'error' && m.error) reject(m.error.code ? new McError(m.error.code, m.error.message) : new Error(m.error.message));
          });
          w.on('error', reject);
          w.postMessage({ kind: 'open', job: { ...job, names: targets.map((t) => t.name), data: ref.data, outputs: ref.outputs, energy: ref.energy } });
        }),
    );
    for (const l of lanes) l.catch(() => undefined); // awaited below
    const here = (async () => {
      await before?.();
      while (next < targets.length) {
        const i = next++;
        out[i] = await probeOne(targets[i], ev, ref);
        onDone?.(++done, targets.length, targets[i].name);
      }
    })();
    await Promise.all([here, ...lanes]);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return out;
}
