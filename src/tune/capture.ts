/**
 * What a search captures once, before it tries anything: the float32 values of every
 * tensor a pass can touch (with their stored bytes), and the original model's outputs on
 * the search's inputs, which every tried plan is compared with.
 */
import { decodeEntry } from '../model/decode.js';
import type { Model, TensorInfo } from '../model/load.js';
import { outputChannelAxis } from '../passes/axis.js';
import type { Dataset } from '../eval/data.js';
import { type OutputHead, type Runnable, predictAll } from '../eval/predict.js';

/** A tensor the search may change. */
export interface Target {
  info: TensorInfo;
  name: string;
  shape: number[];
  /** Its stored bytes, as read from the shards (the pipeline's input). */
  stored: Uint8Array;
  /** Its decoded float32 values (what the original model computes with). */
  values: Float32Array;
  /** Output-channel axis (per-channel forms need one), or null. */
  axis: number | null;
}

/** Float32 tensors with at least `minElements` elements: the ones the passes touch by default. */
export async function captureTargets(model: Model, opts: { minElements: number; include?: (name: string) => boolean }): Promise<Target[]> {
  const out: Target[] = [];
  for (const info of model.tensors) {
    const e = info.entry;
    if (e.dtype !== 'float32' || info.count < Math.max(1, opts.minElements) || (opts.include && !opts.include(info.name))) continue;
    const stored = await model.readBytes(info);
    // decodeEntry may return a view of `stored`; the values are kept apart from the bytes the pipeline consumes.
    const values = Float32Array.from(decodeEntry(e, stored) as Float32Array);
    out.push({ info, name: info.name, shape: e.shape, stored, values, axis: outputChannelAxis(e.name, e.shape, model.json.modelTopology, model.format) });
  }
  return out;
}

/** The original model's outputs on `data`: the reference a plan is measured against. */
export interface Reference {
  data: Dataset;
  outputs: OutputHead[];
  /** Per output, per sample: the squared norm of the original output (the signal a perturbation is measured against). */
  energy: Float64Array[];
}

/** Run the original model once on `data`. */
export async function captureReference(r: Runnable, data: Dataset): Promise<Reference> {
  const outputs = await predictAll(r, data);
  const energy = outputs.map((o) => {
    const width = o.shape.reduce((a, b) => a * b, 1);
    const e = new Float64Array(data.samples);
    for (let s = 0; s < data.samples; s++) {
      let sum = 0;
      for (let i = s * width, end = i + width; i < end; i++) sum += o.values[i] * o.values[i];
      e[s] = sum;
    }
    return e;
  });
  return { data, outputs, energy };
}
