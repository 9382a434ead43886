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
  predict(x: tf.Tensor): tf.Tensor;
  dispose(): void;
}

/** Load a tfjs model from disk into stock tfjs (layers or graph). */
export async function loadRunnable(p: string): Promise<Runnable> {
  const model = await loadModel(p);
  try {
    return await runnableFromArtifacts(await modelArtifacts(model), model.format);
  } finally {
    await model.close();
  }
}

/** Load model artifacts (from disk or built in memory) into stock tfjs. */
export async function runnableFromArtifacts(artifacts: tf.io.ModelArtifacts, format: 'layers-model' | 'graph-model'): Promise<Runnable> {
  const handler = tf.io.fromMemory(artifacts);
  if (format === 'graph-model') {
    const g = await loadGraphModel(handler);
    return { inputShape: (g.inputs[0].shape ?? [-1]).slice(1), predict: (x) => g.predict(x) as tf.Tensor, dispose: () => g.dispose() };
  }
  const m = await loadLayersModel(handler);
  return { inputShape: (m.inputs[0].shape as (number | null)[]).slice(1).map((d) => d ?? -1), predict: (x) => m.predict(x) as tf.Tensor, dispose: () => m.dispose() };
}

/** Outputs of the model for every sample: `samples × classes`, row-major. */
export async function predictAll(r: Runnable, data: Dataset, batch = 256): Promise<{ outputs: Float32Array; classes: number }> {
  const known = r.inputShape.filter((d) => d > 0).reduce((a, b) => a * b, 1);
  const unknown = r.inputShape.filter((d) => d <= 0).length;
  if ((unknown === 0 && known !== data.width) || data.width % known !== 0) {
    throw new McError('BAD_VALUE', `${data.source}: ${data.width} values per sample do not fit the model's input shape [${r.inputShape.join(', ')}]`);
  }
  const shape = r.inputShape.map((d) => (d > 0 ? d : data.width / known));
  const parts: Float32Array[] = [];
  let classes = 0;
  for (let at = 0; at < data.samples; at += batch) {
    const n = Math.min(batch, data.samples - at);
    const y = tf.tidy(() => r.predict(tf.tensor(data.inputs.subarray(at * data.width, (at + n) * data.width), [n, ...shape])));
    const v = (await y.data()) as Float32Array;
    classes = v.length / n;
    parts.push(v);
    y.dispose();
  }
  const outputs = new Float32Array(data.samples * classes);
  let o = 0;
  for (const p of parts) {
    outputs.set(p, o);
    o += p.length;
  }
  return { outputs, classes };
}

/** Top-1 accuracy against labels. */
export function accuracy(outputs: Float32Array, classes: number, labels: Int32Array): number {
  const top = topClasses(outputs, classes);
  let ok = 0;
  for (let i = 0; i < top.length; i++) if (top[i] === labels[i]) ok++;
  return top.length ? ok / top.length : 0;
}
