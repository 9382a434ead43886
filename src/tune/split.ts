/** Splitting a data set into the inputs a search sees and the inputs that judge its result. */
import type { Dataset } from '../eval/data.js';
import { McError } from '../errors.js';

/** The samples at `indices` of `d`, as a data set of their own. */
export function subset(d: Dataset, indices: number[], source: string): Dataset {
  const arrays = d.arrays.map((a) => {
    const per = a.shape.reduce((x, y) => x * y, 1);
    const values = a.values instanceof Int32Array ? new Int32Array(indices.length * per) : new Float32Array(indices.length * per);
    indices.forEach((s, k) => values.set(a.values.subarray(s * per, (s + 1) * per), k * per));
    return { ...a, values };
  });
  const labels = d.labels ? Int32Array.from(indices, (s) => (d.labels as Int32Array)[s]) : null;
  return { source, samples: indices.length, arrays, labels };
}

/**
 * The documented split of one data file (docs/tune.md): every fourth sample (the 4th,
 * 8th, ...) is held out for validation, the rest calibrate. Interleaving keeps both halves
 * alike when a file is ordered (by class, by source image).
 */
export function splitData(d: Dataset): { calibration: Dataset; validation: Dataset } {
  if (d.samples < 4) throw new McError('USAGE', `${d.source}: ${d.samples} sample(s) cannot be split into calibration and validation inputs; give at least 4, or --validation <file>`);
  const cal: number[] = [];
  const val: number[] = [];
  for (let s = 0; s < d.samples; s++) (s % 4 === 3 ? val : cal).push(s);
  return { calibration: subset(d, cal, `${d.source} (calibration: 3 of every 4 samples)`), validation: subset(d, val, `${d.source} (validation: every 4th sample)`) };
}
