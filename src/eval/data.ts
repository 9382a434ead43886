/**
 * Evaluation data: samples as flat float32 rows plus optional integer labels. CSV: one
 * sample per row, the input values in the model's input order (row-major for images),
 * the label in the last column unless `labels: false`.
 */
import { readFile } from 'node:fs/promises';
import { McError } from '../errors.js';
import { parseNpy } from './npy.js';

/** Samples ready to feed a model. */
export interface Dataset {
  /** Where it came from (a path, or a description). */
  source: string;
  /** Row-major inputs, `samples × width`. */
  inputs: Float32Array;
  samples: number;
  width: number;
  /** Class labels, or null. */
  labels: Int32Array | null;
}

/** Parse CSV text into a Dataset; `file` names it in errors. */
export function parseCsv(text: string, file: string, opts: { labels?: boolean } = {}): Dataset {
  const withLabels = opts.labels !== false;
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new McError('BAD_VALUE', `${file}: expected at least one CSV row, found none`);
  const cols = lines[0].split(',').length;
  const width = withLabels ? cols - 1 : cols;
  if (width < 1) throw new McError('BAD_VALUE', `${file}: expected input columns${withLabels ? ' and a label column' : ''}, found ${cols} column(s)`);
  const inputs = new Float32Array(lines.length * width);
  const labels = withLabels ? new Int32Array(lines.length) : null;
  lines.forEach((line, r) => {
    const cells = line.split(',');
    if (cells.length !== cols) throw new McError('BAD_VALUE', `${file}: row ${r + 1} has ${cells.length} columns, expected ${cols} like row 1`);
    for (let c = 0; c < width; c++) {
      const v = Number(cells[c]);
      if (cells[c].trim() === '' || Number.isNaN(v)) {
        throw new McError('BAD_VALUE', `${file}: row ${r + 1}, column ${c + 1}: expected a number, found "${cells[c]}"`);
      }
      inputs[r * width + c] = v;
    }
    if (labels) {
      const l = Number(cells[width]);
      if (!Number.isInteger(l) || l < 0) throw new McError('BAD_VALUE', `${file}: row ${r + 1}: expected a class label (integer >= 0) in the last column, found "${cells[width]}"`);
      labels[r] = l;
    }
  });
  return { source: file, inputs, samples: lines.length, width, labels };
}

async function read(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch {
    throw new McError('MISSING_FILE', `${file}: expected ${what}, found no such file`);
  }
}

/** Read a CSV data file. */
export async function readCsv(file: string, opts: { labels?: boolean } = {}): Promise<Dataset> {
  return parseCsv((await read(file, 'a CSV data file')).toString('utf8'), file, opts);
}

/** Flatten a nested list of numbers (one sample), checking every leaf. */
function flatten(x: unknown, out: number[], where: () => string): void {
  if (typeof x === 'number' && Number.isFinite(x)) out.push(x);
  else if (Array.isArray(x)) for (const y of x) flatten(y, out, where);
  else throw new McError('BAD_VALUE', `${where()}: expected numbers, found ${JSON.stringify(x)?.slice(0, 30)}`);
}

/** Parse JSON data: {"inputs": [sample, ...], "labels": [int, ...]}; a sample may be nested. */
export function parseJsonData(text: string, file: string, opts: { labels?: boolean } = {}): Dataset {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new McError('BAD_JSON', `${file}: expected valid JSON, found a syntax error (${(e as Error).message})`);
  }
  const o = j as { inputs?: unknown; labels?: unknown };
  if (!o || typeof o !== 'object' || !Array.isArray(o.inputs) || o.inputs.length === 0) {
    throw new McError('BAD_VALUE', `${file}: expected {"inputs": [sample, ...], "labels": [...]}, found no "inputs" list`);
  }
  const rows = o.inputs.map((s, i) => {
    const flat: number[] = [];
    flatten(s, flat, () => `${file}: inputs[${i}]`);
    return flat;
  });
  const width = rows[0].length;
  const inputs = new Float32Array(rows.length * width);
  rows.forEach((r, i) => {
    if (r.length !== width) throw new McError('BAD_VALUE', `${file}: inputs[${i}] has ${r.length} values, expected ${width} like inputs[0]`);
    inputs.set(r, i * width);
  });
  let labels: Int32Array | null = null;
  if (opts.labels !== false && o.labels !== undefined) labels = checkLabels(o.labels, rows.length, file);
  return { source: file, inputs, samples: rows.length, width, labels };
}

function checkLabels(l: unknown, n: number, file: string): Int32Array {
  if (!Array.isArray(l) && !(l instanceof Float64Array)) throw new McError('BAD_VALUE', `${file}: expected a list of class labels`);
  const arr = Array.from(l as ArrayLike<unknown>);
  if (arr.length !== n) throw new McError('BAD_VALUE', `${file}: expected ${n} labels (one per sample), found ${arr.length}`);
  const out = new Int32Array(n);
  arr.forEach((v, i) => {
    if (!Number.isInteger(v) || (v as number) < 0) throw new McError('BAD_VALUE', `${file}: label ${i} must be an integer >= 0, found ${String(v)}`);
    out[i] = v as number;
  });
  return out;
}

/** Read NumPy inputs (first axis = samples) and optional NumPy labels. */
export async function readNpy(file: string, labelsFile?: string): Promise<Dataset> {
  const x = parseNpy(new Uint8Array(await read(file, 'a .npy array')), file);
  const samples = x.shape[0] ?? 1;
  const width = samples ? x.values.length / samples : 0;
  let labels: Int32Array | null = null;
  if (labelsFile) {
    const y = parseNpy(new Uint8Array(await read(labelsFile, 'a .npy array of labels')), labelsFile);
    labels = checkLabels(y.values, samples, labelsFile);
  }
  return { source: file, inputs: Float32Array.from(x.values), samples, width, labels };
}

/**
 * Read evaluation data by extension: .csv (label last unless labels: false), .json, or
 * .npy (with `labelsFile`, another .npy).
 */
export async function readData(file: string, opts: { labels?: boolean; labelsFile?: string } = {}): Promise<Dataset> {
  const ext = file.toLowerCase().split('.').pop();
  if (opts.labelsFile && ext !== 'npy') throw new McError('USAGE', `--labels: only .npy inputs take a separate labels file; ${file} holds its own`);
  if (ext === 'csv') return readCsv(file, opts);
  if (ext === 'json') return parseJsonData((await read(file, 'a JSON data file')).toString('utf8'), file, opts);
  if (ext === 'npy') return readNpy(file, opts.labelsFile);
  throw new McError('USAGE', `--data ${file}: expected a .csv, .json or .npy file`);
}

/** Seeded uniform [0, 1) inputs for a model with no data: `samples` rows of `width`. */
export function syntheticData(samples: number, width: number, seed = 1): Dataset {
  let a = seed >>> 0;
  const inputs = new Float32Array(samples * width);
  for (let i = 0; i < inputs.length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    inputs[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return { source: `synthetic (seed ${seed}, uniform [0, 1))`, inputs, samples, width, labels: null };
}
