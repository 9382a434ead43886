/** Running a model from disk on a Dataset with stock tfjs, in batches the model accepts. */
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { McError } from '../errors.js';
import { loadModel } from '../model/load.js';
import { modelArtifacts } from '../model/tfjs-io.js';
import { type FeedPlan, planFeed } from './feed.js';
import type { Dataset } from './data.js';

/** One input of a model as its signature declares it. */
export interface ModelInput {
  /** The input's name (graph: the placeholder node; layers: the input layer). */
  name: string;
  /** Other names a data array may use for it (a signature key, `name:0`). */
  aliases: string[];
  /** Declared shape with the batch dimension, unknown dims as -1; null when even the rank is unknown. */
  shape: number[] | null;
  dtype: tf.DataType;
}

/** A loaded model that maps a batch of inputs to outputs. */
export interface Runnable {
  inputs: ModelInput[];
  /** Output names, in the order `predict` returns them. */
  outputs: string[];
  /** Every output of the model for one batch (one tensor per input, in `inputs` order). */
  predict(feed: tf.Tensor[]): Promise<tf.Tensor[]>;
  /**
   * Replace the values of one weight (by manifest name) in the loaded model, keeping its
   * shape and dtype; later predictions use them. Lets a search try many weight sets on one
   * loaded model instead of rebuilding it for each.
   */
  setWeight(name: string, values: Float32Array): void;
  dispose(): void;
}

const unknownWeight = (name: string): McError => new McError('BAD_VALUE', `the loaded model has no weight named "${name}"`);

const list = (y: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap): tf.Tensor[] => (y instanceof tf.Tensor ? [y] : Array.isArray(y) ? y : Object.values(y));
const bare = (n: string) => n.replace(/:0$/, '');

/** Load a tfjs model from disk into stock tfjs (layers or graph); null for a weights-only manifest, which has nothing to run. */
export async function loadRunnable(p: string): Promise<Runnable | null> {
  const model = await loadModel(p);
  try {
    if (model.format === 'weights-only') return null;
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
    return format === 'graph-model' ? await graphRunnable(artifacts) : await layersRunnable(artifacts);
  } catch (e) {
    if (e instanceof McError) throw e;
    throw new McError('BAD_MANIFEST', `${source}: stock tfjs could not build the model: ${String((e as Error)?.message ?? e).split('\n')[0]}`, { cause: e });
  }
}

async function graphRunnable(artifacts: tf.io.ModelArtifacts): Promise<Runnable> {
  const g = await loadGraphModel(tf.io.fromMemory(artifacts));
  // Signature keys name inputs in data files as often as node names do.
  const sig = (artifacts.signature as { inputs?: Record<string, { name?: string }> } | undefined)?.inputs ?? {};
  const keyOf = new Map(Object.entries(sig).map(([k, v]) => [bare(v.name ?? k), k]));
  const inputs: ModelInput[] = g.inputs.map((t) => {
    const key = keyOf.get(bare(t.name));
    return { name: t.name, aliases: [...new Set([`${bare(t.name)}:0`, bare(t.name), ...(key ? [key, bare(key)] : [])])], shape: t.shape ?? null, dtype: (t.dtype ?? 'float32') as tf.DataType };
  });
  const nodes = g.outputNodes;
  // Models with control flow (While, dynamic shapes) only run through executeAsync.
  let async = false;
  return {
    inputs,
    outputs: g.outputs.map((t) => t.name),
    async predict(feed) {
      const map: tf.NamedTensorMap = Object.fromEntries(inputs.map((inp, k) => [inp.name, feed[k]]));
      if (!async) {
        try {
          return list(g.execute(map, nodes));
        } catch (e) {
          if (!/executeAsync/.test(String((e as Error)?.message))) throw e;
          async = true;
        }
      }
      return list(await g.executeAsync(map, nodes));
    },
    setWeight(name, values) {
      const map = g.weights;
      const old = map[name]?.[0];
      if (!old) throw unknownWeight(name);
      // The executor's weight map is replaced whole: its setter records the ids it keeps alive between runs.
      (g as unknown as { executor: { weightMap: tf.NamedTensorMap | Record<string, tf.Tensor[]> } }).executor.weightMap = { ...map, [name]: [tf.tensor(values, old.shape, 'float32')] };
      old.dispose();
    },
    dispose: () => g.dispose(),
  };
}

/**
 * Input names as the topology gives them. tfjs names the implicit input layer of a
 * Sequential model `<first layer>_input` and makes it unique per process (`_input_4`), so
 * the loaded model's own names are not stable; the topology's are.
 */
function topologyInputNames(artifacts: tf.io.ModelArtifacts): (string | undefined)[] {
  type Layer = { class_name?: string; config?: { name?: string } };
  const topo = artifacts.modelTopology as { model_config?: unknown; class_name?: string; config?: unknown } | undefined;
  const mc = (topo && 'model_config' in topo ? topo.model_config : topo) as { class_name?: string; config?: { layers?: Layer[]; input_layers?: [string, number, number][] } | Layer[] } | undefined;
  const cfg = mc?.config;
  if (mc?.class_name === 'Sequential') {
    const layers = Array.isArray(cfg) ? cfg : cfg?.layers;
    const first = layers?.[0];
    if (!first?.config?.name) return [];
    return [first.class_name === 'InputLayer' ? first.config.name : `${first.config.name}_input`];
  }
  return (!Array.isArray(cfg) && cfg?.input_layers?.map((l) => l[0])) || [];
}

async function layersRunnable(artifacts: tf.io.ModelArtifacts): Promise<Runnable> {
  const m = await loadLayersModel(tf.io.fromMemory(artifacts));
  const names = topologyInputNames(artifacts);
  return {
    // A Sequential model fills inputNames / outputNames only once built: name by layer instead.
    inputs: m.inputs.map((t, k) => {
      const name = names[k] ?? t.sourceLayer.name;
      return { name, aliases: [name, t.sourceLayer.name], shape: (t.shape as (number | null)[]).map((d) => d ?? -1), dtype: t.dtype };
    }),
    outputs: m.outputs.map((t) => t.sourceLayer.name),
    predict: async (feed) => list(m.predict(feed.length === 1 ? feed[0] : feed)),
    setWeight(name, values) {
      const v = m.weights.find((w) => w.originalName === name);
      if (!v) throw unknownWeight(name);
      // The variable takes a reference to the new values, so ours can go.
      const t = tf.tensor(values, v.shape as number[], 'float32');
      v.write(t);
      t.dispose();
    },
    dispose: () => m.dispose(),
  };
}

/** One output of a model over every sample: `samples × product(shape)`, row-major. */
export interface OutputHead {
  name: string;
  /** Shape of one sample of this output. */
  shape: number[];
  values: Float32Array;
}

/** Make the tensors of one batch: samples [at, at + n) of every array the plan feeds. */
function batchTensors(plan: FeedPlan, at: number, n: number): tf.Tensor[] {
  return plan.feeds.map((f) => {
    const per = f.sampleShape.reduce((a, b) => a * b, 1);
    const slice = f.array.values.subarray(at * per, (at + n) * per);
    const shape = f.scalar ? [] : [n, ...f.sampleShape];
    if (f.dtype === 'int32' || f.dtype === 'bool') {
      const ints = slice instanceof Int32Array ? slice : Int32Array.from(slice, Math.round);
      return tf.tensor(ints, shape, f.dtype);
    }
    return tf.tensor(slice instanceof Float32Array ? slice : Float32Array.from(slice), shape, 'float32');
  });
}

/**
 * Every output of the model for every sample, in batches the model accepts (its fixed
 * batch size, or a size bounded by memory), each input fed with the sample shape the data
 * gives where the model leaves dimensions open.
 */
export async function predictAll(r: Runnable, data: Dataset, opts: { batch?: number } = {}): Promise<OutputHead[]> {
  const plan = planFeed(r.inputs, data, opts.batch);
  const parts: Float32Array[][] = r.outputs.map(() => []);
  const shapes: (number[] | null)[] = r.outputs.map(() => null);
  for (let at = 0; at < data.samples; at += plan.batch) {
    const n = Math.min(plan.batch, data.samples - at);
    const feed = batchTensors(plan, at, n);
    let ys: tf.Tensor[];
    try {
      ys = await r.predict(feed);
    } finally {
      tf.dispose(feed);
    }
    try {
      if (ys.length !== r.outputs.length) throw new McError('BAD_VALUE', `the model gave ${ys.length} outputs, its signature names ${r.outputs.length}`);
      for (const [k, y] of ys.entries()) {
        // Batched outputs lead with the batch axis; a one-sample batch may come back without it.
        const shape = y.shape[0] === n && y.rank > 0 ? y.shape.slice(1) : n === 1 ? y.shape : null;
        if (!shape) throw new McError('BAD_VALUE', `${data.source}: output "${r.outputs[k]}" has shape [${y.shape.join(', ')}] for a batch of ${n}`);
        const prev = shapes[k];
        if (prev && prev.join() !== shape.join()) throw new McError('BAD_VALUE', `${data.source}: output "${r.outputs[k]}" changes shape between samples ([${prev.join(', ')}] and [${shape.join(', ')}]); give samples of one size`);
        shapes[k] = shape;
        const v = await y.data();
        parts[k].push(v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>));
      }
    } finally {
      tf.dispose(ys);
    }
  }
  return parts.map((chunks, k) => {
    const values = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
    let o = 0;
    for (const c of chunks) {
      values.set(c, o);
      o += c.length;
    }
    return { name: r.outputs[k], shape: shapes[k] ?? [], values };
  });
}
