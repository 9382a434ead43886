/** `copy`: re-write a model in the stock tfjs layout (re-sharded), weights byte for byte. */
import { loadModel } from './model/load.js';
import { saveModel, type SaveResult } from './model/save.js';
import { VERSION } from './version.js';

/** Options of copyModel. */
export interface CopyOptions {
  shardSize?: number;
  force?: boolean;
}

/** Copy the model at `input` to the folder `out`, re-sharded, with a record of the copy. */
export async function copyModel(input: string, out: string, opts: CopyOptions = {}): Promise<SaveResult> {
  const model = await loadModel(input);
  try {
    const tensors = model.tensors.map((t) => ({
      name: t.name,
      byteLength: t.byteLength,
      produce: async () => ({ entry: t.entry, bytes: await model.readBytes(t) }),
    }));
    return await saveModel(out, model.json, tensors, {
      ...opts,
      inputs: [model.dir],
      step: { command: 'copy' },
      version: VERSION,
    });
  } finally {
    await model.close();
  }
}
