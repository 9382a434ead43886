/**
 * A tfjs IOHandler over a model on disk, for Node without tfjs-node: stock
 * `tf.loadLayersModel(fileHandler(p))` / `tf.loadGraphModel(fileHandler(p))` then decode
 * the stored bytes themselves, exactly as they would from `http` or `file://`.
 */
import type { io } from '@tensorflow/tfjs-core';
import { noTopology, toArtifacts } from './artifacts.js';
import { loadModel, type Model } from './load.js';

/** ModelArtifacts of an opened model: its topology and fields, all entries and their stored bytes (a weights-only model has none: UNSUPPORTED). */
export async function modelArtifacts(model: Model): Promise<io.ModelArtifacts> {
  if (model.format === 'weights-only') throw noTopology(model.file, 'load its weights with tf.io.loadWeights, as face-api does');
  const total = model.tensors.reduce((s, t) => s + t.byteLength, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const t of model.tensors) {
    data.set(await model.readBytes(t), at);
    at += t.byteLength;
  }
  return toArtifacts(model.json, model.format, model.tensors.map((t) => t.entry as io.WeightsManifestEntry), data.buffer);
}

/** An IOHandler that loads the model at `p` (model.json or its folder). */
export function fileHandler(p: string): io.IOHandler {
  return {
    load: async () => {
      const model = await loadModel(p);
      try {
        return await modelArtifacts(model);
      } finally {
        await model.close();
      }
    },
  };
}
