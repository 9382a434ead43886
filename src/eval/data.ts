/**
 * Evaluation data: one or more arrays (samples along their first axis, one per model
 * input) plus optional integer labels. Formats (docs/report.md, "Data"): CSV, one sample
 * per row, the label in the last column unless `labels: false`; JSON {"inputs", "labels"};
 * NumPy .npy (labels from another .npy) and .npz (one array per model input, by key).
 * Every failure is a McError naming the file; nothing is sized by a count the file's
 * bytes do not back (docs/safety.md, "Evaluation data").
 */
import { readFile, stat } from 'node:fs/promises';
import { McError, ioError } from '../errors.js';
import { type NpyArray, parseNpy } from './npy.js';
import { parseNpz } from './npz.js';

/** One input array: samples along its first axis. */
export interface DataArray {
  /** The model input it feeds: the .npz key (without ".npy"); null for single-array formats (.csv, .json, .npy). */
  name: string | null;
  /** Shape of one sample: the file's shape without its first axis (.npy/.npz), [width] for CSV rows, the nested shape of a JSON sample (or [n] when flat). */
  shape: number[];
  /** 'int32' when the file holds integers (npy/npz integer and bool dtypes), else 'float32'. */
  dtype: 'float32' | 'int32';
  /** samples × product(shape) values, row-major. Integers outside int32 range are an error naming the file. */
  values: Float32Array | Int32Array;
}

/** Samples ready to feed a model. */
export interface Dataset {
  /** Where it came from (a path, or a description). */
  source: string;
  samples: number;
  /** One array per model input, in file order. */
  arrays: DataArray[];
  /** Class labels, or null. */
  labels: Int32Array | null;
}

/** Largest CSV or JSON file: the longest string V8 holds (binary formats go to 2 GiB). */
const MAX_TEXT_BYTES = 0x1fffffe8;
/** Largest data file (read whole). */
const MAX_DATA_BYTES = 2 ** 31 - 1;
/** Deepest nesting of a JSON sample (tfjs tensors have rank 6 at most; this leaves room). */
const MAX_JSON_RANK = 16;

const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A Dataset of `arrays`. */
function datasetOf(source: string, arrays: DataArray[], samples: number, labels: Int32Array | null): Dataset {
  return { source, samples, arrays, labels };
}

/** The one-array Dataset of a float32 matrix (CSV, JSON). */
function flatDataset(source: string, inputs: Float32Array, samples: number, width: number, labels: Int32Array | null, shape: number[] = [width]): Dataset {
  return datasetOf(source, [{ name: null, shape, dtype: 'float32', values: inputs }], samples, labels);
}

/** A value for a float32 slot; a finite number beyond the float32 range is an error rather than Infinity. */
function float32Of(v: number, where: () => string): number {
  const f = Math.fround(v);
  if (f - f !== 0 && v - v === 0) throw new McError('BAD_VALUE', `${where()}: ${v} is outside the float32 range`);
  return f;
}

/** A class label: an integer in [0, 2^31 - 1] (labels are int32). */
function isLabel(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff;
}

/** A JSON value in an error message, without walking it (a value may be nested thousands of levels deep). */
function shown(v: unknown): string {
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'string') return JSON.stringify(v.slice(0, 30));
  return v !== null && typeof v === 'object' ? 'an object' : String(v);
}

/** Cells in a CSV line, counted without splitting it. */
function countCells(line: string): number {
  let n = 1;
  for (let at = line.indexOf(','); at >= 0; at = line.indexOf(',', at + 1)) n++;
  return n;
}

/** Parse CSV text into a Dataset; `file` names it in errors. */
export function parseCsv(text: string, file: string, opts: { labels?: boolean } = {}): Dataset {
  const withLabels = opts.labels !== false;
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new McError('BAD_VALUE', `${file}: expected at least one CSV row, found none`);
  const cols = countCells(lines[0]);
  const width = withLabels ? cols - 1 : cols;
  if (width < 1) throw new McError('BAD_VALUE', `${file}: expected input columns${withLabels ? ' and a label column' : ''}, found ${cols} column(s)`);
  // Every row is checked before the matrix is sized, so rows x columns is bounded by the text.
  lines.forEach((line, r) => {
    const n = countCells(line);
    if (n !== cols) throw new McError('BAD_VALUE', `${file}: row ${r + 1} has ${n} columns, expected ${cols} like row 1`);
  });
  const inputs = new Float32Array(lines.length * width);
  const labels = withLabels ? new Int32Array(lines.length) : null;
  lines.forEach((line, r) => {
    const cells = line.split(',');
    for (let c = 0; c < width; c++) {
      const v = Number(cells[c]);
      if (cells[c].trim() === '' || Number.isNaN(v)) {
        throw new McError('BAD_VALUE', `${file}: row ${r + 1}, column ${c + 1}: expected a number, found ${JSON.stringify(cells[c].slice(0, 30))}`);
      }
      inputs[r * width + c] = float32Of(v, () => `${file}: row ${r + 1}, column ${c + 1}`);
    }
    if (labels) {
      const l = cells[width].trim() === '' ? NaN : Number(cells[width]);
      if (!isLabel(l)) throw new McError('BAD_VALUE', `${file}: row ${r + 1}: expected a class label (an integer from 0 to 2^31 - 1) in the last column, found ${JSON.stringify(cells[width].slice(0, 30))}`);
      labels[r] = l;
    }
  });
  return flatDataset(file, inputs, lines.length, width, labels);
}

/** The bytes of a data file, at most `max` of them: a regular file, checked before it is read. */
async function read(file: string, what: string, max = MAX_DATA_BYTES): Promise<Buffer> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new McError('MISSING_FILE', `${file}: expected ${what}, found no such file`);
    throw ioError(e, file, 'reading the data');
  }
  // A folder or a FIFO is refused before it is opened (a FIFO would block the read).
  if (!st.isFile()) throw new McError('MISSING_FILE', `${file}: expected ${what}, found ${st.isDirectory() ? 'a folder' : 'something that is not a regular file'}`);
  const size = Number(st.size);
  if (size > max) throw new McError('UNSUPPORTED', `${file}: ${size} bytes, over the ${max}-byte limit of ${what}${max === MAX_TEXT_BYTES ? ' (use .npy or .npz for larger data)' : ''}`);
  try {
    return await readFile(file);
  } catch (e) {
    throw ioError(e, file, 'reading the data');
  }
}

/** Read a CSV data file. */
export async function readCsv(file: string, opts: { labels?: boolean } = {}): Promise<Dataset> {
  return parseCsv((await read(file, 'a CSV data file', MAX_TEXT_BYTES)).toString('utf8'), file, opts);
}

/** The nested shape of a JSON sample, read along its first elements: [] for a number, [n] for a flat list. */
function nestedShape(x: unknown, where: string): number[] {
  const shape: number[] = [];
  for (let y = x; Array.isArray(y); y = y[0]) {
    if (shape.length === MAX_JSON_RANK) throw new McError('BAD_VALUE', `${where}: nested deeper than ${MAX_JSON_RANK} levels`);
    shape.push(y.length);
    if (y.length === 0) break;
  }
  return shape;
}

/**
 * Write sample `x` of `shape` into `out` from `at` (row-major; out null: only check),
 * checking that it has exactly that shape; returns the next offset.
 */
function fillSample(x: unknown, shape: readonly number[], depth: number, out: Float32Array | null, at: number, where: () => string): number {
  if (depth === shape.length) {
    if (typeof x !== 'number') throw new McError('BAD_VALUE', `${where()}: expected a number at depth ${depth}, found ${shown(x)}`);
    const v = float32Of(x, where);
    if (out) out[at] = v;
    return at + 1;
  }
  if (!Array.isArray(x) || x.length !== shape[depth]) {
    throw new McError('BAD_VALUE', `${where()}: expected a list of ${shape[depth]} at depth ${depth} (shape [${shape.join(', ')}], like inputs[0]), found ${shown(x)}`);
  }
  for (const y of x) at = fillSample(y, shape, depth + 1, out, at, where);
  return at;
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
  const samples = o.inputs.length;
  const shape = nestedShape(o.inputs[0], `${file}: inputs[0]`);
  const width = product(shape);
  // Each value takes at least two characters of the text (a digit and a separator): more
  // values than that means some sample is not of inputs[0]'s shape; find it before sizing anything.
  const rows = o.inputs;
  if (samples * width > text.length) {
    rows.forEach((s, i) => fillSample(s, shape, 0, null, 0, () => `${file}: inputs[${i}]`));
    throw new McError('BAD_VALUE', `${file}: ${samples} samples of shape [${shape.join(', ')}] cannot fit in ${text.length} characters`);
  }
  const inputs = new Float32Array(samples * width);
  rows.forEach((s, i) => fillSample(s, shape, 0, inputs, i * width, () => `${file}: inputs[${i}]`));
  let labels: Int32Array | null = null;
  if (opts.labels !== false && o.labels !== undefined) labels = checkLabels(o.labels, samples, file);
  return flatDataset(file, inputs, samples, width, labels, shape);
}

/** Labels from a JSON list or a .npy array: integers in [0, 2^31 - 1], one per sample. */
function checkLabels(l: unknown, n: number, file: string): Int32Array {
  if (!Array.isArray(l) && !(l instanceof Int32Array) && !(l instanceof Float32Array)) throw new McError('BAD_VALUE', `${file}: expected a list of class labels`);
  const arr = l as ArrayLike<unknown>;
  if (arr.length !== n) throw new McError('BAD_VALUE', `${file}: expected ${n} labels (one per sample), found ${arr.length}`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = arr[i];
    if (!isLabel(v)) throw new McError('BAD_VALUE', `${file}: label ${i} must be an integer from 0 to 2^31 - 1, found ${shown(v)}`);
    out[i] = v;
  }
  return out;
}

/**
 * A .npy array as a DataArray: samples along its first axis. A 0-d array (a scalar) has
 * no sample axis and is refused; a per-sample scalar input is an array of shape [N]
 * (sample shape []). No samples (a first axis of 0) is refused too.
 */
function sampleArray(a: NpyArray, name: string | null, where: string): DataArray & { samples: number } {
  if (a.shape.length === 0) throw new McError('BAD_VALUE', `${where}: a 0-d array (a scalar); expected samples along the first axis (a per-sample scalar input is an array of shape [N])`);
  if (a.shape[0] === 0) throw new McError('BAD_VALUE', `${where}: holds no samples (its first axis is 0)`);
  return { name, shape: a.shape.slice(1), dtype: a.dtype, values: a.values, samples: a.shape[0] };
}

/** Labels from a .npy file, one per sample. */
async function readLabels(labelsFile: string, samples: number): Promise<Int32Array> {
  const y = parseNpy(await read(labelsFile, 'a .npy array of labels'), labelsFile);
  return checkLabels(y.values, samples, labelsFile);
}

/** Read NumPy inputs (first axis = samples) and optional NumPy labels. */
export async function readNpy(file: string, labelsFile?: string): Promise<Dataset> {
  const { samples, ...array } = sampleArray(parseNpy(await read(file, 'a .npy array'), file), null, file);
  const labels = labelsFile ? await readLabels(labelsFile, samples) : null;
  return datasetOf(file, [array], samples, labels);
}

/** Read an .npz: one array per model input (by key), all with the same number of samples; optional NumPy labels. */
export async function readNpz(file: string, labelsFile?: string): Promise<Dataset> {
  const parsed = parseNpz(await read(file, 'an .npz archive'), file);
  const arrays = parsed.map((p) => sampleArray(p.array, p.name, `${file}: array "${p.name}"`));
  const samples = arrays[0].samples;
  if (arrays.some((a) => a.samples !== samples)) {
    const dims = arrays.map((a) => `"${a.name}" ${a.samples}`).join(', ');
    throw new McError('SIZE_MISMATCH', `${file}: every array must hold the same number of samples (its first axis); found ${dims}`);
  }
  const labels = labelsFile ? await readLabels(labelsFile, samples) : null;
  return datasetOf(file, arrays.map(({ samples: _n, ...a }) => a), samples, labels);
}

/**
 * Read evaluation data by extension: .csv (label last unless labels: false), .json, or
 * .npy / .npz (labels from `labelsFile`, a .npy).
 */
export async function readData(file: string, opts: { labels?: boolean; labelsFile?: string } = {}): Promise<Dataset> {
  const ext = file.toLowerCase().split('.').pop();
  if (opts.labelsFile && ext !== 'npy' && ext !== 'npz') throw new McError('USAGE', `--labels: only .npy and .npz inputs take a separate labels file; ${file} holds its own`);
  const labelsFile = opts.labels === false ? undefined : opts.labelsFile;
  if (ext === 'csv') return readCsv(file, opts);
  if (ext === 'json') return parseJsonData((await read(file, 'a JSON data file', MAX_TEXT_BYTES)).toString('utf8'), file, opts);
  if (ext === 'npy') return readNpy(file, labelsFile);
  if (ext === 'npz') return readNpz(file, labelsFile);
  throw new McError('USAGE', `--data ${file}: expected a .csv, .json, .npy or .npz file`);
}
