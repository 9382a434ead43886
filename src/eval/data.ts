/**
 * Evaluation data: samples as flat float32 rows plus optional integer labels. CSV: one
 * sample per row, the input values in the model's input order (row-major for images),
 * the label in the last column unless `labels: false`.
 */
import { readFile } from 'node:fs/promises';
import { McError } from '../errors.js';

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

/** Read a CSV data file. */
export async function readCsv(file: string, opts: { labels?: boolean } = {}): Promise<Dataset> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new McError('MISSING_FILE', `${file}: expected a CSV data file, found none`);
  }
  return parseCsv(text, file, opts);
}
