/** Stock tfjs in tests: load a model from disk through fileHandler and run it. */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileHandler } from '../../src/model/tfjs-io.js';

export { tf };

/**
 * Real pretrained models (fixtures/README.md, "Real models"): tested on their own data in
 * test/real/, not by the generic every-fixture tests, whose seeded inputs and softmax
 * tolerances are made for the generated fixtures.
 */
export const REAL_FIXTURES = ['mobileface'];

/** The generated fixture folders that hold a model.json. */
export function fixtureModels(root = 'fixtures'): string[] {
  return readdirSync(root)
    .filter((d) => !REAL_FIXTURES.includes(d))
    .map((d) => path.join(root, d))
    .filter((d) => existsSync(path.join(d, 'model.json')))
    .sort();
}

/** First `n` rows of a fixture's test.csv: inputs (flat) and labels. */
export function readTestCsv(file: string, n = Infinity): { inputs: Float32Array; labels: number[]; width: number } {
  const rows = readFileSync(file, 'utf8').trim().split('\n').slice(0, n);
  const width = rows[0].split(',').length - 1;
  const inputs = new Float32Array(rows.length * width);
  const labels: number[] = [];
  rows.forEach((r, i) => {
    const cells = r.split(',').map(Number);
    inputs.set(cells.slice(0, width), i * width);
    labels.push(cells[width]);
  });
  return { inputs, labels, width };
}

/** Seeded pseudo-random floats in [0, 1). */
export function seededFloats(n: number, seed = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return out;
}

/** The folder whose test.csv feeds a fixture: its own, else the MNIST split for MNIST variants. */
export function dataDirFor(dir: string): string {
  if (existsSync(path.join(dir, 'test.csv'))) return dir;
  return path.basename(dir).startsWith('mnist') ? path.join(path.dirname(dir), 'mnist-mlp') : dir;
}

/** Inputs for a fixture: its test split when it has one, else seeded noise; `rows` samples. */
export function fixtureInputs(dir: string, rows: number, inputShape: number[]): tf.Tensor {
  const csv = path.join(dir, 'test.csv');
  const width = inputShape.reduce((a, b) => a * b, 1);
  const flat = existsSync(csv) ? readTestCsv(csv, rows).inputs : seededFloats(rows * width);
  return tf.tensor(flat, [flat.length / width, ...inputShape]);
}

/** Load any tfjs model from disk with stock tfjs (layers or graph). */
export async function loadStock(p: string): Promise<{ predict(x: tf.Tensor): tf.Tensor; inputShape: number[]; dispose(): void }> {
  await tf.setBackend('cpu');
  const json = JSON.parse(readFileSync(p.endsWith('.json') ? p : path.join(p, 'model.json'), 'utf8'));
  if (json.format === 'graph-model' || json.modelTopology?.node) {
    const g = await loadGraphModel(fileHandler(p));
    const shape = g.inputs[0].shape!.slice(1).map((d) => (d < 0 ? 1 : d));
    return { predict: (x) => g.predict(x) as tf.Tensor, inputShape: shape, dispose: () => g.dispose() };
  }
  const m = await loadLayersModel(fileHandler(p));
  const shape = (m.inputs[0].shape as number[]).slice(1);
  return { predict: (x) => m.predict(x) as tf.Tensor, inputShape: shape, dispose: () => m.dispose() };
}

/** Predictions of the model at `p` on `rows` fixture inputs from `dataDir`. */
export async function predictions(p: string, dataDir: string, rows = 256): Promise<Float32Array> {
  const m = await loadStock(p);
  const x = fixtureInputs(dataDir, rows, m.inputShape);
  const y = m.predict(x);
  const out = y.dataSync() as Float32Array;
  tf.dispose([x, y]);
  m.dispose();
  return out;
}
