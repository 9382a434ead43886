/**
 * Which axis of a weight holds its output channels, for per-channel int8 scales.
 */
import type { ModelFormat } from '../model/manifest.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An axis named by its place, so one rule serves every rank. */
type Place = 'first' | 'secondLast' | 'last';

/**
 * Layers models: the axis per layer class and weight. Anything not listed (and every
 * unknown class) takes the last axis; these entries are where that is wrong, or where
 * it is right for a reason worth stating.
 */
const LAYER_RULES: Readonly<Record<string, Readonly<Record<string, Place>>>> = {
  Dense: { kernel: 'last' }, // [in, out]
  Conv1D: { kernel: 'last' }, // [..spatial, in, out]
  Conv2D: { kernel: 'last' },
  Conv3D: { kernel: 'last' },
  // [..spatial, in, multiplier]: output channel group i*multiplier.. derives from input channel i.
  DepthwiseConv1D: { depthwise_kernel: 'secondLast' },
  DepthwiseConv2D: { depthwise_kernel: 'secondLast' },
  SeparableConv1D: { depthwise_kernel: 'secondLast', pointwise_kernel: 'last' },
  SeparableConv2D: { depthwise_kernel: 'secondLast', pointwise_kernel: 'last' },
  // Transposed convolutions store [..spatial, out, in].
  Conv1DTranspose: { kernel: 'secondLast' },
  Conv2DTranspose: { kernel: 'secondLast' },
  Conv3DTranspose: { kernel: 'secondLast' },
  Embedding: { embeddings: 'first' }, // [vocab, dim]: one scale per row (token)
  LSTM: { kernel: 'last', recurrent_kernel: 'last' }, // [in | units, gates * units]
  GRU: { kernel: 'last', recurrent_kernel: 'last' },
  SimpleRNN: { kernel: 'last', recurrent_kernel: 'last' },
};

/** Older and alternative class names of the layers above. */
const ALIASES: Readonly<Record<string, string>> = {
  Convolution1D: 'Conv1D',
  Convolution2D: 'Conv2D',
  Convolution3D: 'Conv3D',
  Convolution2DTranspose: 'Conv2DTranspose',
  Convolution3DTranspose: 'Conv3DTranspose',
  SeparableConvolution1D: 'SeparableConv1D',
  SeparableConvolution2D: 'SeparableConv2D',
  LSTMCell: 'LSTM',
  GRUCell: 'GRU',
  SimpleRNNCell: 'SimpleRNN',
  CuDNNLSTM: 'LSTM',
  CuDNNGRU: 'GRU',
};

/**
 * The axis along which per-channel int8 takes one scale for weight `name` of `shape`:
 * the output-channel axis of the op that uses it.
 *
 * Rule. Rank < 2: null (one scale per tensor). Otherwise, layers models (the layer is
 * found by name in `model_config.config.layers`, searching nested models and wrappers;
 * weight names are `<layer>/kernel` and the like): Dense, Conv1D/2D/3D, LSTM, GRU and
 * SimpleRNN kernels (and recurrent kernels) → last axis; DepthwiseConv2D and
 * SeparableConv2D `depthwise_kernel` [h, w, in, multiplier] → the input-channel axis
 * (rank - 2), from which each output channel group derives; SeparableConv2D
 * `pointwise_kernel` → last; Conv2DTranspose / Conv3DTranspose kernels [.., out, in] →
 * rank - 2; Embedding `embeddings` [vocab, dim] → 0 (one scale per row). Graph models (the
 * ops consuming the Const `name`, written `name`, `name:0` or `^name`, through Identity
 * ops): MatMul / _FusedMatMul weight operand b → last, or 0 when `transpose_b`
 * (operand a: 0, or last when `transpose_a`); BatchMatMul(V2) b → last, or rank - 2 when
 * `adj_y`; Conv1D / Conv2D / Conv3D / _FusedConv2D filter → last;
 * DepthwiseConv2dNative / FusedDepthwiseConv2dNative filter → rank - 2 (= 2);
 * Conv2DBackpropInput / Conv3DBackpropInputV2 filter → rank - 2. Anything else → last.
 */
export function outputChannelAxis(name: string, shape: readonly number[], topology: unknown, format: ModelFormat): number | null {
  const rank = shape.length;
  if (rank < 2) return null;
  const place = format === 'layers-model' ? layersPlace(name, topology) : graphPlace(name, topology);
  if (place === 'first') return 0;
  if (place === 'secondLast') return rank - 2;
  return rank - 1;
}

/** Layer name → class name (a wrapper's inner class), over nested models, first found wins. */
function collectLayers(node: unknown, out: Map<string, string>): void {
  if (Array.isArray(node)) {
    for (const n of node) collectLayers(n, out);
    return;
  }
  if (!isObject(node)) return;
  const cfg = node.config;
  if (Array.isArray(cfg)) return collectLayers(cfg, out); // old Sequential: config is the layer list
  if (!isObject(cfg)) return;
  const inner = isObject(cfg.layer) ? cfg.layer : undefined; // TimeDistributed, Bidirectional
  const cls = typeof inner?.class_name === 'string' ? inner.class_name : node.class_name;
  if (typeof cfg.name === 'string' && typeof cls === 'string' && !out.has(cfg.name)) out.set(cfg.name, cls);
  collectLayers(cfg.layers, out);
  if (inner) collectLayers(inner, out);
}

/** Layer maps and consumer indexes, built once per topology object (one per model). */
const layerCache = new WeakMap<object, Map<string, string>>();
const consumerCache = new WeakMap<object, Map<string, Array<{ node: Json; at: number }>>>();

function layersPlace(name: string, topology: unknown): Place | undefined {
  if (!isObject(topology)) return undefined;
  let layers = layerCache.get(topology);
  if (!layers) {
    layers = new Map<string, string>();
    collectLayers(isObject(topology.model_config) ? topology.model_config : topology, layers);
    layerCache.set(topology, layers);
  }
  const parts = name.split('/');
  const weight = parts[parts.length - 1].replace(/:\d+$/, '');
  // The innermost path segment that names a layer owns the weight (`lstm/lstm_cell/kernel` → lstm).
  for (let i = parts.length - 2; i >= 0; i--) {
    const cls = layers.get(parts[i]);
    if (cls === undefined) continue;
    return LAYER_RULES[ALIASES[cls] ?? cls]?.[weight];
  }
  return undefined;
}

/** The name an input string refers to: `^x` (control input) and `x:0` both mean x. */
const inputName = (s: string): string => s.replace(/^\^/, '').replace(/:\d+$/, '');

const attrTrue = (node: Json, key: string): boolean => {
  const a = isObject(node.attr) ? node.attr[key] : undefined;
  return isObject(a) && a.b === true;
};

/** Node name → the nodes that take it as an input, and at which position. */
function consumers(topology: Json): Map<string, Array<{ node: Json; at: number }>> {
  const cached = consumerCache.get(topology);
  if (cached) return cached;
  const index = new Map<string, Array<{ node: Json; at: number }>>();
  const nodes = Array.isArray(topology.node) ? topology.node : [];
  for (const node of nodes) {
    if (!isObject(node) || !Array.isArray(node.input)) continue;
    node.input.forEach((s, at) => {
      if (typeof s !== 'string') return;
      const key = inputName(s);
      const list = index.get(key);
      if (list) list.push({ node, at });
      else index.set(key, [{ node, at }]);
    });
  }
  consumerCache.set(topology, index);
  return index;
}

function graphPlace(name: string, topology: unknown): Place | undefined {
  if (!isObject(topology)) return undefined;
  const index = consumers(topology);
  const seen = new Set<string>();
  const queue = [name];
  // Breadth-first from the Const through Identity ops; the first consumer with a rule decides.
  for (let k = 0; k < queue.length; k++) {
    const target = queue[k];
    if (seen.has(target)) continue;
    seen.add(target);
    for (const { node, at } of index.get(target) ?? []) {
      if (node.op === 'Identity' && typeof node.name === 'string') queue.push(node.name);
      else {
        const place = opPlace(node, at);
        if (place) return place;
      }
    }
  }
  return undefined;
}

/** The place for a weight at input `at` of graph node `node`, or undefined when no rule applies. */
function opPlace(node: Json, at: number): Place | undefined {
  switch (node.op) {
    case 'MatMul':
    case '_FusedMatMul':
      if (at === 1) return attrTrue(node, 'transpose_b') ? 'first' : 'last';
      if (at === 0) return attrTrue(node, 'transpose_a') ? 'last' : 'first';
      return undefined;
    case 'BatchMatMul':
    case 'BatchMatMulV2':
      if (at === 1) return attrTrue(node, 'adj_y') ? 'secondLast' : 'last';
      if (at === 0) return attrTrue(node, 'adj_x') ? 'last' : 'secondLast';
      return undefined;
    case 'Conv1D':
    case 'Conv2D':
    case 'Conv3D':
    case '_FusedConv2D':
      return at === 1 ? 'last' : undefined;
    case 'DepthwiseConv2dNative':
    case 'DepthwiseConv2d':
    case 'FusedDepthwiseConv2dNative':
    case '_FusedDepthwiseConv2dNative':
    case 'Conv2DBackpropInput':
    case 'Conv3DBackpropInputV2':
      return at === 1 ? 'secondLast' : undefined;
    default:
      return undefined;
  }
}
