/**
 * Seeded synthetic inputs for a model without data: one array per model input, uniform
 * [0, 1) floats (integers 0..9 for int32 / bool inputs: 0..1), dimensions the model leaves
 * open set to SYNTHETIC_OPEN_DIM. Only agreement with the original means anything on them.
 */
import type { DataArray, Dataset } from './data.js';
import type { ModelInput } from './predict.js';
import { mulberry32 as uniform } from '../random.js';

/** The size given to dimensions a model leaves open. */
export const SYNTHETIC_OPEN_DIM = 32;

/** `samples` synthetic samples for a model with these inputs. */
export function syntheticInputs(inputs: ModelInput[], samples: number, seed = 1): Dataset {
  const next = uniform(seed);
  const arrays: DataArray[] = inputs.map((inp) => {
    const shape = inp.shape === null ? [] : inp.shape.slice(1).map((d) => (d > 0 ? d : SYNTHETIC_OPEN_DIM));
    const per = shape.reduce((a, b) => a * b, 1);
    const n = samples * per;
    if (inp.dtype === 'int32' || inp.dtype === 'bool') {
      const top = inp.dtype === 'bool' ? 2 : 10;
      const values = new Int32Array(n);
      for (let i = 0; i < n; i++) values[i] = Math.floor(next() * top);
      return { name: inp.name, shape, dtype: 'int32', values };
    }
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = next();
    return { name: inp.name, shape, dtype: 'float32', values };
  });
  return { source: `synthetic (seed ${seed}, uniform [0, 1))`, samples, arrays, labels: null };
}
