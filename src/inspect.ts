/** `inspect`: what a model holds, tensor by tensor. */
import { loadModel, type Model } from './model/load.js';
import type { Quantization } from './model/manifest.js';
import { tensorStats, type TensorStats } from './stats.js';

/** One tensor's row of the inspect report. */
export interface InspectTensor {
  name: string;
  shape: number[];
  dtype: string;
  /** The entry's quantization as stored, or null. */
  quantization: Quantization | null;
  /** Stored encoding in words: float32, float16, uint8 affine, ... */
  encoding: string;
  /** Stored bytes. */
  bytes: number;
  /** Share of the model's weight bytes (0..1). */
  share: number;
  /** Fraction of exact zeros in the decoded values (null for strings). */
  sparsity: number | null;
  stats: TensorStats | null;
}

/** The inspect report (the `--json` contract). */
export interface InspectReport {
  file: string;
  format: string;
  tensors: InspectTensor[];
  totals: { tensors: number; parameters: number; bytes: number };
}

/** Describe a stored encoding. */
export function encodingOf(dtype: string, q: Quantization | undefined): string {
  if (!q) return dtype;
  return q.dtype === 'float16' ? 'float16' : `${q.dtype} affine`;
}

/** Inspect an opened model (reads each tensor once, one at a time). */
export async function inspectOpened(model: Model): Promise<InspectReport> {
  const total = model.tensors.reduce((s, t) => s + t.byteLength, 0);
  const tensors: InspectTensor[] = [];
  for (const t of model.tensors) {
    const stats = tensorStats(await model.readValues(t));
    tensors.push({
      name: t.name,
      shape: t.entry.shape,
      dtype: t.entry.dtype,
      quantization: t.entry.quantization ?? null,
      encoding: encodingOf(t.entry.dtype, t.entry.quantization),
      bytes: t.byteLength,
      share: total ? t.byteLength / total : 0,
      sparsity: stats ? stats.sparsity : null,
      stats,
    });
  }
  return {
    file: model.file,
    format: model.format,
    tensors,
    totals: { tensors: tensors.length, parameters: model.tensors.reduce((s, t) => s + t.count, 0), bytes: total },
  };
}

/** Inspect the model at `p` (model.json or its folder). */
export async function inspectModel(p: string): Promise<InspectReport> {
  const model = await loadModel(p);
  try {
    return await inspectOpened(model);
  } finally {
    await model.close();
  }
}
