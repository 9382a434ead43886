/** Accuracy of a model (folder or in-memory artifacts) on a fixture's test split, on the cpu backend. */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { compressInMemory } from '../../src/compress.js';
import { readCsv } from '../../src/eval/data.js';
import { loadRunnable, predictAll, runnableFromArtifacts } from '../../src/eval/predict.js';
import { topClasses as argmax } from '../../src/report/metrics.js';
import type { Recipe } from '../../src/recipe.js';

/** Outputs, top-1 classes and accuracy of a model on a CSV split. */
export async function evaluate(model: string | Recipe, csv: string, base?: string) {
  await tf.setBackend('cpu');
  const data = await readCsv(csv);
  const r =
    typeof model === 'string'
      ? await loadRunnable(model)
      : await (async () => {
          const m = await compressInMemory(base as string, model);
          return runnableFromArtifacts(m.artifacts, m.format);
        })();
  if (!r) throw new Error(`${String(model)}: a weights-only model cannot be evaluated`);
  const [head] = await predictAll(r, data);
  r.dispose();
  const outputs = head.values;
  const top = argmax(outputs, head.shape[0]);
  const labels = data.labels as Int32Array;
  let ok = 0;
  for (let i = 0; i < top.length; i++) if (top[i] === labels[i]) ok++;
  return { outputs, top, accuracy: ok / top.length };
}

/** Fraction of equal entries. */
export function agreement(a: Int32Array, b: Int32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) n++;
  return n / a.length;
}
