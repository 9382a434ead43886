/**
 * Matching data arrays to a model's inputs: which array feeds which input, in which
 * sample shape and dtype, and how many samples a batch may hold. The rules
 * (docs/report.md, "Inputs"): arrays are matched by name (an .npz) or the one array feeds
 * the one input; the data's sample shape is kept where the model leaves dimensions open;
 * a flat row is reshaped to the model's shape when that shape is fully known (or has one
 * open dimension); a signature that fixes the batch size sets it; a rank-0 input takes
 * one sample at a time.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { McError } from '../errors.js';
import type { DataArray, Dataset } from './data.js';
import type { ModelInput } from './predict.js';

/** How one model input is fed. */
export interface Feed {
  input: ModelInput;
  array: DataArray;
  /** Shape of one sample as fed (without the batch axis). */
  sampleShape: number[];
  /** True for a rank-0 input: each batch is one sample, fed as a scalar. */
  scalar: boolean;
  dtype: tf.DataType;
}

/** Every input's feed and the batch size. */
export interface FeedPlan {
  feeds: Feed[];
  batch: number;
}

/**
 * Input values per batch that the default batch size aims at (512 Ki values: 2 MiB of
 * float32). The wasm backend's heap grows to the largest batch's activations and never
 * shrinks: 27 images of 224x224 per batch took the report on a MobileNet-v1 to 956 MiB
 * peak RSS; 3 per batch to 441 MiB, at 80 ms per image against 77 ms for 6 and 76 ms for
 * 16 (scripts/bench-report.mjs). 256 MNIST rows still go in one batch.
 */
const BATCH_VALUES = 512 * 1024;
const MAX_BATCH = 256;

const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);
const fmt = (s: number[] | null) => (s ? `[${s.join(', ')}]` : 'of unknown rank');

function matchArrays(inputs: ModelInput[], arrays: DataArray[], source: string): DataArray[] {
  const names = inputs.map((i) => `"${i.name}"`).join(', ');
  if (arrays.length === 1 && arrays[0].name === null) {
    if (inputs.length !== 1) throw new McError('BAD_VALUE', `${source}: the model has ${inputs.length} inputs (${names}); give an .npz with one array per input name`);
    return arrays;
  }
  const used = new Set<DataArray>();
  const out = inputs.map((inp) => {
    const a = arrays.find((x) => x.name !== null && (x.name === inp.name || inp.aliases.includes(x.name)));
    if (!a) throw new McError('BAD_VALUE', `${source}: no array for the model input "${inp.name}"; the model's inputs are ${names}, the file holds ${arrays.map((x) => `"${x.name}"`).join(', ')}`);
    used.add(a);
    return a;
  });
  const extra = arrays.filter((a) => !used.has(a));
  if (extra.length) throw new McError('BAD_VALUE', `${source}: array ${extra.map((x) => `"${x.name}"`).join(', ')} matches none of the model's inputs (${names})`);
  return out;
}

/** The sample shape an input is fed with, or an error naming both shapes. */
function sampleShapeFor(inp: ModelInput, a: DataArray, source: string): { shape: number[]; scalar: boolean } {
  const given = a.shape;
  const count = prod(given);
  const what = a.name ? `array "${a.name}" has samples` : 'samples';
  const bad = () => new McError('BAD_VALUE', `${source}: ${what} of shape [${given.join(', ')}] (${count} values), the model's input "${inp.name}" takes ${fmt(inp.shape)}${inp.shape && inp.shape.length ? ' (batch first)' : ''}`);
  if (inp.shape === null) return given.length === 0 ? { shape: [], scalar: true } : { shape: given, scalar: false };
  if (inp.shape.length === 0) {
    if (count !== 1) throw bad();
    return { shape: [], scalar: true };
  }
  const want = inp.shape.slice(1);
  if (want.length === given.length && want.every((d, k) => d <= 0 || d === given[k])) return { shape: given, scalar: false };
  const open = want.filter((d) => d <= 0).length;
  const known = prod(want.filter((d) => d > 0));
  if (open === 0 && known === count) return { shape: want, scalar: false };
  if (open === 1 && known > 0 && count % known === 0 && count > 0) return { shape: want.map((d) => (d > 0 ? d : count / known)), scalar: false };
  throw bad();
}

/** Plan how `data` feeds a model with these inputs; `batch` overrides the default size. */
export function planFeed(inputs: ModelInput[], data: Dataset, batch?: number): FeedPlan {
  if (inputs.length === 0) throw new McError('BAD_VALUE', `${data.source}: the model declares no inputs`);
  const arrays = matchArrays(inputs, data.arrays, data.source);
  const feeds: Feed[] = inputs.map((input, k) => {
    const s = sampleShapeFor(input, arrays[k], data.source);
    const dtype: tf.DataType = input.dtype === 'int32' || input.dtype === 'bool' ? input.dtype : 'float32';
    return { input, array: arrays[k], sampleShape: s.shape, scalar: s.scalar, dtype };
  });
  const fixed = [...new Set(feeds.flatMap((f) => (f.input.shape && f.input.shape.length > 0 && f.input.shape[0] > 0 ? [f.input.shape[0]] : [])))];
  if (fixed.length > 1) throw new McError('BAD_VALUE', `the model's inputs fix different batch sizes (${fixed.join(', ')}); it cannot be run in batches`);
  if (feeds.some((f) => f.scalar) && fixed.length && fixed[0] !== 1) {
    throw new McError('BAD_VALUE', `the model fixes a batch of ${fixed[0]} but also takes a rank-0 input, which holds one sample`);
  }
  let size: number;
  if (feeds.some((f) => f.scalar)) size = 1;
  else if (fixed.length) size = fixed[0];
  else size = batch ?? Math.max(1, Math.min(MAX_BATCH, Math.floor(BATCH_VALUES / Math.max(1, ...feeds.map((f) => prod(f.sampleShape))))));
  if (fixed.length && data.samples % size !== 0) {
    throw new McError('BAD_VALUE', `${data.source}: the model takes batches of exactly ${size} samples; ${data.samples} samples do not divide into them`);
  }
  return { feeds, batch: size };
}
