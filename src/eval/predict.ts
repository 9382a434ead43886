/** Running a model from disk on a Dataset with stock tfjs, in batches. */
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { McError } from '../errors.js';
import { loadModel } from '../model/load.js';
import { modelArtifacts } from '../model/tfjs-io.js';
import { topClasses } from '../report/metrics.js';
import type { Dataset } from './data.js';

/** A loaded model that maps a batch of inputs to outputs. */
export interface Runnable {
  /** Input shape without the batch dimension (unknown dims as -1). */
  inputShape: number[];
  /** Every output of the model, in the model's output order. */
  predict(x: tf.Tensor): tf.Tensor[];
  dispose(): void;
}

const list = (y: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap): tf.Tensor[] => (y instanceof tf.Tensor ? [y] : Array.isArray(y) ? y : Object.values(y));

/** Load a tfjs model from disk into stock tfjs (layers or graph). */
export async function loadRunnable(p: string): Promise<Runnable> {
  const model = await loadModel(p);
  try {
    return await runnableFromArtifacts(await modelArtifacts(model), model.format, model.file);
  } finally {
    await model.close();
  }
}

/**
 * Load model artifacts (from disk or built in memory) into stock tfjs; `source` names the
 * model when tfjs refuses it (a topology that needs weights the manifest lacks, say).
 */
export async function runnableFromArtifacts(artifacts: tf.io.ModelArtifacts, format: 'layers-model' | 'graph-model', source = 'model'): Promise<Runnable> {
  try {
    return await buildRunnable(artifacts, format);
  } catch (e) {
    if (e instanceof McError) throw e;
    throw new McError('BAD_MANIFEST', `${source}: stock tfjs could not build the model: ${String((e as Error)?.message ?? e).split('\n')[0]}`, { cause: e });
  }
}

async function buildRunnable(artifacts: tf.io.ModelArtifacts, format: 'layers-model' | 'graph-model'): Promise<Runnable> {
  const handler = tf.io.fromMemory(artifacts);
  if (format === 'graph-model') {
    const g = await loadGraphModel(handler);
    return { inputShape: (g.inputs[0].shape ?? [-1]).slice(1), predict: (x) => list(g.predict(x)), dispose: () => g.dispose() };
  }
  const m = await loadLayersModel(handler);
  return { inputShape: (m.inputs[0].shape as (number | null)[]).slice(1).map((d) => d ?? -1), predict: (x) => list(m.predict(x)), dispose: () => m.dispose() };
}

/** One output of a model over every sample: `samples × width`, row-major. */
export interface OutputHead {
  values: Float32Array;
  width: number;
}

/**
 * Every output of the model for every sample. `outputs` / `classes` are the first
 * output (the one labels and top-1 refer to); `heads` holds all of them.
 */
export async function predictAll(r: Runnable, data: Dataset, batch = 256): Promise<{ outputs: Float32Array; classes: number; heads: OutputHead[] }> {
  const known = r.inputShape.filter((d) => d > 0).reduce((a, b) => a * b, 1);
  const unknown = r.inputShape.filter((d) => d <= 0).length;
  if ((unknown === 0 && known !== data.width) || data.width % known !== 0) {
    throw new McError('BAD_VALUE', `${data.source}: ${data.width} values per sample do not fit the model's input shape [${r.inputShape.join(', ')}]`);
  }
  const shape = r.inputShape.map((d) => (d > 0 ? d : data.width / known));
  let parts: Float32Array[][] = [];
  for (let at = 0; at < data.samples; at += batch) {
    const n = Math.min(batch, data.samples - at);
    const ys = tf.tidy(() => r.predict(tf.tensor(data.inputs.subarray(at * data.width, (at + n) * data.width), [n, ...shape])));
    if (parts.length === 0) parts = ys.map(() => []);
    for (const [k, y] of ys.entries()) parts[k].push((await y.data()) as Float32Array);
    tf.dispose(ys);
  }
  const heads = parts.map((chunks) => {
    const values = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
    let o = 0;
    for (const c of chunks) {
      values.set(c, o);
      o += c.length;
    }
    return { values, width: data.samples ? values.length / data.samples : 0 };
  });
  return { outputs: heads[0].values, classes: heads[0].width, heads };
}

/** Top-1 accuracy against labels. */
export function accuracy(outputs: Float32Array, classes: number, labels: Int32Array): number {
  const top = topClasses(outputs, classes);
  let ok = 0;
  for (let i = 0; i < top.length; i++) if (top[i] === labels[i]) ok++;
  return top.length ? ok / top.length : 0;
}
