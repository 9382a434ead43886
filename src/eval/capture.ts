/**
 * The inputs of a model's weight layers on calibration data, with stock tfjs: which
 * layers the solvers can take (Dense, Conv2D, DepthwiseConv2D; graph MatMul, Conv2D,
 * DepthwiseConv2dNative and their fused forms), the input activation of one layer batch
 * by batch (never all batches at once), and replacing a layer's weights in the loaded
 * model, so the next layer's inputs come from the already-compressed layers before it.
 *
 * Layers models: a sub-model from the model's inputs to the layer's input (tf.model on
 * the symbolic tensors), weights replaced with layer.setWeights. Graph models:
 * model.execute with the op's activation input as the output node (tfjs runs only the
 * part of the graph that feeds it), weights replaced by giving the executor a weight map
 * with the new tensor (its setter records the weight ids, so execution never disposes it).
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { loadLayersModel, model as layersModelOf, type LayersModel, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import { McError } from '../errors.js';
import type { Dataset } from './data.js';
import { type FeedPlan, planFeed } from './feed.js';
import { runnableFromArtifacts } from './predict.js';

/** The kinds of layer the solvers take. */
export type LayerKind = 'dense' | 'conv2d' | 'depthwise';

/** Convolution geometry (NHWC). */
export interface ConvGeometry {
  strides: [number, number];
  dilations: [number, number];
  /** 'same' / 'valid', or explicit [top, bottom, left, right]. */
  padding: 'same' | 'valid' | [number, number, number, number];
}

/** A layer the solvers can take. */
export interface SolvableLayer {
  kind: LayerKind;
  /** Manifest name of the kernel. */
  kernel: string;
  /** Manifest name of the bias the layer adds, or null (no bias to correct). */
  bias: string | null;
  /** Kernel shape: Dense [in, out] (graph transposed: [out, in]); Conv2D [h, w, in, out]; depthwise [h, w, in, multiplier]. */
  shape: number[];
  /** Graph MatMul with transpose_b: the kernel is [out, in]. */
  transposed: boolean;
  conv: ConvGeometry | null;
  /** Where in the model (the layer or node name), for messages. */
  where: string;
}

/** One batch of a layer's input activation. */
export interface Activation {
  x: Float32Array;
  shape: number[];
}

/** A model loaded for capture. */
export interface CaptureSession {
  layers: SolvableLayer[];
  /** Layers found but not taken, with why (one line each). */
  skipped: string[];
  /** Run the calibration data up to the inputs of `layers`, in one pass: every batch's activation of each, in turn (values and shape, NHWC or [..., in]). */
  inputs(layers: SolvableLayer[]): AsyncGenerator<Activation[]>;
  /** Replace a weight of the loaded model (by manifest name). */
  setWeight(name: string, values: Float32Array, shape: number[]): void;
  dispose(): void;
}

type Json = Record<string, unknown>;
const bare = (n: string): string => n.replace(/^\^/, '').replace(/:0$/, '');

/** Open `artifacts` for capture on `data` (checked against the model's inputs first: a clear error when it does not fit). */
export async function openCapture(artifacts: tf.io.ModelArtifacts, format: 'layers-model' | 'graph-model', data: Dataset, source: string): Promise<CaptureSession> {
  const probe = await runnableFromArtifacts(artifacts, format, source);
  let plan: FeedPlan;
  try {
    plan = planFeed(probe.inputs, data);
  } finally {
    probe.dispose();
  }
  const names = new Set((artifacts.weightSpecs ?? []).map((s) => s.name));
  return format === 'graph-model' ? graphSession(await loadGraphModel(tf.io.fromMemory(artifacts)), artifacts, names, plan, data) : layersSession(await loadLayersModel(tf.io.fromMemory(artifacts)), names, plan, data);
}

/** The tensors of one batch: samples [at, at + n) of every array the plan feeds. */
function batch(plan: FeedPlan, at: number, n: number): tf.Tensor[] {
  return plan.feeds.map((f) => {
    const per = f.sampleShape.reduce((a, b) => a * b, 1);
    const slice = f.array.values.subarray(at * per, (at + n) * per);
    const shape = f.scalar ? [] : [n, ...f.sampleShape];
    if (f.dtype === 'int32' || f.dtype === 'bool') return tf.tensor(slice instanceof Int32Array ? slice : Int32Array.from(slice, Math.round), shape, f.dtype);
    return tf.tensor(slice instanceof Float32Array ? slice : Float32Array.from(slice), shape, 'float32');
  });
}

/** Run `step` on every batch of the calibration data: its outputs' values, batch by batch (the tensors are freed before each is handed on). */
async function* everyBatch(plan: FeedPlan, data: Dataset, step: (feed: tf.Tensor[]) => Promise<tf.Tensor[]>): AsyncGenerator<Activation[]> {
  for (let at = 0; at < data.samples; at += plan.batch) {
    const n = Math.min(plan.batch, data.samples - at);
    const feed = batch(plan, at, n);
    const out: Activation[] = [];
    let ys: tf.Tensor[] = [];
    try {
      ys = await step(feed);
      for (const y of ys) out.push({ x: (await y.data()) as Float32Array, shape: y.shape });
    } finally {
      tf.dispose(feed);
      tf.dispose(ys);
    }
    yield out;
  }
}

const asList = (y: tf.Tensor | tf.Tensor[]): tf.Tensor[] => (Array.isArray(y) ? y : [y]);

function pair(v: unknown, dflt: number): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2) return [Number(v[0]), Number(v[1])];
  return [dflt, dflt];
}

function layersSession(m: LayersModel, names: Set<string>, plan: FeedPlan, data: Dataset): CaptureSession {
  const layers: SolvableLayer[] = [];
  const skipped: string[] = [];
  const inputOf = new Map<SolvableLayer, SymbolicTensor>();
  const layerOf = new Map<string, { layer: (typeof m.layers)[number]; index: number }>();
  for (const layer of m.layers) {
    const cls = layer.getClassName();
    const kind: LayerKind | null = cls === 'Dense' ? 'dense' : cls === 'Conv2D' ? 'conv2d' : cls === 'DepthwiseConv2D' ? 'depthwise' : null;
    layer.weights.forEach((w, index) => {
      layerOf.set(w.originalName, { layer, index });
    });
    if (!kind) continue;
    const kw = layer.weights.find((w) => /\/(depthwise_)?kernel$/.test(w.originalName));
    const bw = layer.weights.find((w) => /\/bias$/.test(w.originalName));
    if (!kw || !names.has(kw.originalName)) continue;
    const cfg = layer.getConfig() as Json;
    if (kind !== 'dense' && cfg.dataFormat === 'channelsFirst') {
      skipped.push(`${layer.name}: channels-first convolution`);
      continue;
    }
    let input: SymbolicTensor;
    try {
      input = layer.input as SymbolicTensor;
    } catch {
      skipped.push(`${layer.name}: used more than once in the model`);
      continue;
    }
    const conv: ConvGeometry | null = kind === 'dense' ? null : { strides: pair(cfg.strides, 1), dilations: pair(cfg.dilationRate, 1), padding: cfg.padding === 'same' ? 'same' : 'valid' };
    const l: SolvableLayer = { kind, kernel: kw.originalName, bias: bw && names.has(bw.originalName) ? bw.originalName : null, shape: kw.shape.map(Number), transposed: false, conv, where: layer.name };
    layers.push(l);
    inputOf.set(l, input);
  }
  return {
    layers,
    skipped,
    inputs(group) {
      // A sub-model from the inputs to these layers' inputs (it shares the model's layers and weights).
      const sub = layersModelOf({ inputs: m.inputs, outputs: group.map((l) => inputOf.get(l) as SymbolicTensor) });
      return everyBatch(plan, data, async (feed) => asList(sub.predict(feed.length === 1 ? feed[0] : feed) as tf.Tensor | tf.Tensor[]));
    },
    setWeight(name, values, shape) {
      const at = layerOf.get(name);
      if (!at) throw new Error(`capture: no weight "${name}" in the loaded model`);
      // getWeights gives the variables' own tensors: only the new one is ours to dispose.
      const ws = at.layer.getWeights();
      const fresh = tf.tensor(values, shape);
      at.layer.setWeights(ws.map((w, k) => (k === at.index ? fresh : w)));
      fresh.dispose();
    },
    dispose() {
      m.dispose();
    },
  };
}

/** A GraphDef attribute as a number list, a string (base64-decoded) or a bool. */
const ints = (a: unknown): number[] => ((a as Json | undefined)?.list as Json | undefined)?.i ? (((a as Json).list as Json).i as unknown[]).map(Number) : [];
const str = (a: unknown): string => ((a as Json | undefined)?.s ? Buffer.from(String((a as Json).s), 'base64').toString('latin1') : '');
const strs = (a: unknown): string[] => ((((a as Json | undefined)?.list as Json | undefined)?.s as unknown[] | undefined) ?? []).map((s) => Buffer.from(String(s), 'base64').toString('latin1'));
const flag = (a: unknown): boolean => Boolean((a as Json | undefined)?.b);

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Json;
}

function graphSession(g: GraphModel, artifacts: tf.io.ModelArtifacts, names: Set<string>, plan: FeedPlan, data: Dataset): CaptureSession {
  const topo = artifacts.modelTopology as { node?: GraphNode[] } | undefined;
  const nodes = topo?.node ?? [];
  const byName = new Map(nodes.map((n) => [n.name, n]));
  // A weight operand: a Const in the manifest, possibly behind Identity nodes.
  const weightOf = (input: string | undefined): string | null => {
    let n = input === undefined ? undefined : byName.get(bare(input));
    for (let k = 0; n && n.op === 'Identity' && k < 8; k++) n = byName.get(bare(n.input?.[0] ?? ''));
    return n && n.op === 'Const' && names.has(n.name) ? n.name : null;
  };
  const consumers = new Map<string, GraphNode[]>();
  for (const n of nodes) for (const i of n.input ?? []) consumers.set(bare(i), [...(consumers.get(bare(i)) ?? []), n]);
  const specs = new Map((artifacts.weightSpecs ?? []).map((s) => [s.name, s]));
  const layers: SolvableLayer[] = [];
  const skipped: string[] = [];
  const actOf = new Map<SolvableLayer, string>();
  for (const n of topoOrder(nodes)) {
    const op = n.op;
    const kind: LayerKind | null = op === 'MatMul' || op === '_FusedMatMul' ? 'dense' : op === 'Conv2D' || op === '_FusedConv2D' ? 'conv2d' : op === 'DepthwiseConv2dNative' || op === 'FusedDepthwiseConv2dNative' ? 'depthwise' : null;
    if (!kind) continue;
    const kernel = weightOf(n.input?.[1]);
    const act = n.input?.[0];
    if (!kernel || !act || weightOf(act)) continue;
    const a = n.attr ?? {};
    if (kind === 'dense' && flag(a.transpose_a)) {
      skipped.push(`${n.name}: MatMul with transpose_a`);
      continue;
    }
    if (kind !== 'dense' && str(a.data_format) && str(a.data_format) !== 'NHWC') {
      skipped.push(`${n.name}: data format ${str(a.data_format)}`);
      continue;
    }
    const shape = (specs.get(kernel)?.shape ?? []).map(Number);
    if ((kind === 'dense' && shape.length !== 2) || (kind !== 'dense' && shape.length !== 4)) continue;
    let conv: ConvGeometry | null = null;
    if (kind !== 'dense') {
      const s = ints(a.strides);
      const d = ints(a.dilations);
      const pad = str(a.padding);
      const ex = ints(a.explicit_paddings);
      conv = {
        strides: s.length === 4 ? [s[1], s[2]] : [1, 1],
        dilations: d.length === 4 ? [d[1], d[2]] : [1, 1],
        padding: pad === 'EXPLICIT' && ex.length === 8 ? [ex[2], ex[3], ex[4], ex[5]] : pad === 'SAME' ? 'same' : 'valid',
      };
    }
    const out = kind === 'depthwise' ? shape[2] * shape[3] : flag(a.transpose_b) ? shape[0] : shape[shape.length - 1];
    let bias: string | null = null;
    const fused = strs(a.fused_ops);
    if (fused[0] === 'BiasAdd') bias = weightOf(n.input?.[2]);
    else if (!op.startsWith('_') && !op.startsWith('Fused')) {
      const next = consumers.get(n.name) ?? [];
      const add = next.length === 1 && ['BiasAdd', 'Add', 'AddV2'].includes(next[0].op) ? next[0] : null;
      const other = add?.input?.find((i) => bare(i) !== n.name);
      const b = weightOf(other);
      if (b && (specs.get(b)?.shape ?? []).map(Number).join() === String(out)) bias = b;
    }
    const l: SolvableLayer = { kind, kernel, bias, shape, transposed: kind === 'dense' && flag(a.transpose_b), conv, where: n.name };
    layers.push(l);
    actOf.set(l, act.replace(/^\^/, ''));
  }
  const inputs = g.inputs.map((t) => t.name);
  const exec = g as unknown as { executor: { weightMap: Record<string, tf.Tensor[]> } };
  let async = false;
  return {
    layers,
    skipped,
    inputs(group) {
      const node = group.map((l) => actOf.get(l) as string);
      return everyBatch(
        plan,
        data,
        async (feed) => {
          const map: tf.NamedTensorMap = Object.fromEntries(inputs.map((name, k) => [name, feed[k]]));
          if (!async) {
            try {
              return asList(g.execute(map, node));
            } catch (e) {
              if (!/executeAsync/.test(String((e as Error)?.message))) throw e;
              async = true;
            }
          }
          return asList(await g.executeAsync(map, node));
        },
      );
    },
    setWeight(name, values, shape) {
      const map = exec.executor.weightMap;
      const old = map[name];
      if (!old) throw new Error(`capture: no weight "${name}" in the loaded graph`);
      exec.executor.weightMap = { ...map, [name]: [tf.tensor(values, shape)] };
      tf.dispose(old);
    },
    dispose() {
      g.dispose();
    },
  };
}

/** Nodes in an order where every node comes after its inputs (GraphDef lists need not be). */
function topoOrder(nodes: GraphNode[]): GraphNode[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const seen = new Set<string>();
  const out: GraphNode[] = [];
  for (const root of nodes) {
    if (seen.has(root.name)) continue;
    // Iterative DFS (deep graphs would overflow the stack).
    const stack: Array<{ n: GraphNode; k: number }> = [{ n: root, k: 0 }];
    seen.add(root.name);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const ins = top.n.input ?? [];
      if (top.k < ins.length) {
        const next = byName.get(bare(ins[top.k++]).replace(/:\d+$/, ''));
        if (next && !seen.has(next.name)) {
          seen.add(next.name);
          stack.push({ n: next, k: 0 });
        }
      } else {
        out.push(top.n);
        stack.pop();
      }
    }
  }
  return out;
}

/** The error for calibration data that does not fit the model (planFeed's message, said as calibration). */
export function calibrationMismatch(e: unknown, file: string): unknown {
  if (e instanceof McError && e.code === 'BAD_VALUE') return new McError('BAD_VALUE', `--calibration ${file}: ${e.message.replace(`${file}: `, '')}`, { cause: e });
  return e;
}
