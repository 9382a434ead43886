/** The real mobileface fixture through stock tfjs: its validation inputs, outputs, and cosines against the original. */
import { readFileSync } from 'node:fs';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { parseNpy } from '../../src/eval/npy.js';
import { mczLoader } from '../../src/loader.js';
import { fileHandler } from '../../src/model/tfjs-io.js';
import { tf } from '../helpers/tfjs.js';

/** The committed fixture folder. */
export const MOBILEFACE = 'fixtures/mobileface';
/** Its validation split: 16 face crops [16,112,112,3]. */
export const VALIDATION = `${MOBILEFACE}/validation.npy`;
/** Width of one embedding. */
export const EMBEDDING = 256;

/** The validation inputs as one float32 batch. */
export function validationBatch(): tf.Tensor4D {
  const x = parseNpy(new Uint8Array(readFileSync(VALIDATION)), VALIDATION);
  return tf.tensor4d(Float32Array.from(x.values), x.shape as [number, number, number, number]);
}

/**
 * Embeddings of the validation faces from the model at `source` (a folder or model.json
 * loaded with fileHandler, or a .mcz file loaded through maas-compress/loader), with stock
 * tfjs's loadGraphModel on the cpu backend.
 */
export async function embeddings(source: string): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const handler = source.endsWith('.mcz') ? mczLoader(new Uint8Array(readFileSync(source))) : fileHandler(source);
  const model = await loadGraphModel(handler);
  const x = validationBatch();
  const y = model.predict(x) as tf.Tensor;
  const out = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  model.dispose();
  return out;
}

/** Cosine similarity of each row (`width` values) of `a` with the same row of `b`. */
export function rowCosines(a: Float32Array, b: Float32Array, width: number): number[] {
  if (a.length !== b.length || a.length % width !== 0) throw new Error(`rowCosines: lengths ${a.length} and ${b.length} are not rows of ${width}`);
  const out: number[] = [];
  for (let r = 0; r < a.length / width; r++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = r * width; i < (r + 1) * width; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    out.push(dot / Math.sqrt(na * nb));
  }
  return out;
}

/** The smallest row cosine of `b` against the reference `a`. */
export function worstCosine(a: Float32Array, b: Float32Array, width = EMBEDDING): number {
  return Math.min(...rowCosines(a, b, width));
}
