/**
 * report feeds each model as its signature declares: several inputs from an .npz by name,
 * int32 placeholders with int32 values, a fixed batch size in batches of that size, and
 * open dimensions with the shape the data file gives.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { npyBytes } from '../helpers/npy.js';
import { tempDir, writeModel } from '../helpers/synthetic.js';
import { seededFloats } from '../helpers/tfjs.js';

const dims = (ds: number[]) => ({ dim: ds.map((d) => ({ size: String(d) })) });
const F = { type: 'DT_FLOAT' };
const constNode = (name: string, shape: number[]) => ({ name, op: 'Const', attr: { dtype: F, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(shape) } } } });
const placeholder = (name: string, shape: number[], dtype = 'DT_FLOAT') => ({ name, op: 'Placeholder', attr: { dtype: { type: dtype }, shape: { shape: dims(shape) } } });

/** A graph model with one float weight `w` of `shape` and these nodes. */
function graph(dir: string, shape: number[], nodes: object[], inputs: Record<string, [string, number[]]>, outputs: string[]): string {
  const n = shape.reduce((a, b) => a * b, 1);
  const w = seededFloats(n, 5).map((v) => v - 0.5);
  writeModel(dir, [{ entry: { name: 'w', shape, dtype: 'float32' }, bytes: new Uint8Array(w.buffer) }], {
    json: {
      format: 'graph-model',
      modelTopology: { node: [constNode('w', shape), ...nodes], library: {}, versions: { producer: 1 } },
      signature: {
        inputs: Object.fromEntries(Object.entries(inputs).map(([k, [dtype, s]]) => [k, { name: `${k}:0`, dtype, tensorShape: dims(s) }])),
        outputs: Object.fromEntries(outputs.map((o) => [o, { name: `${o}:0`, dtype: 'DT_FLOAT' }])),
      },
    },
  });
  return dir;
}

let root: string;
let twoInputs: string;
let fixedBatch: string;
let openDims: string;

beforeAll(() => {
  root = tempDir();
  // x float [-1, 4] + Cast(k int32 [-1, 4]) -> MatMul w [4, 3]
  twoInputs = graph(
    path.join(root, 'two'),
    [4, 3],
    [
      placeholder('x', [-1, 4]),
      placeholder('k', [-1, 4], 'DT_INT32'),
      { name: 'kf', op: 'Cast', input: ['k'], attr: { SrcT: { type: 'DT_INT32' }, DstT: F } },
      { name: 's', op: 'AddV2', input: ['x', 'kf'], attr: { T: F } },
      { name: 'y', op: 'MatMul', input: ['s', 'w'], attr: { T: F, transpose_a: { b: false }, transpose_b: { b: false } } },
    ],
    { x: ['DT_FLOAT', [-1, 4]], k: ['DT_INT32', [-1, 4]] },
    ['y'],
  );
  // A signature that fixes the batch: x [1, 4] -> MatMul w [4, 2]
  fixedBatch = graph(
    path.join(root, 'fixed'),
    [4, 2],
    [placeholder('x', [1, 4]), { name: 'y', op: 'MatMul', input: ['x', 'w'], attr: { T: F, transpose_a: { b: false }, transpose_b: { b: false } } }],
    { x: ['DT_FLOAT', [1, 4]] },
    ['y'],
  );
  // Open spatial dims: x [-1, -1, -1, 3] * w [3]
  openDims = graph(path.join(root, 'open'), [3], [placeholder('x', [-1, -1, -1, 3]), { name: 'y', op: 'Mul', input: ['x', 'w'], attr: { T: F } }], { x: ['DT_FLOAT', [-1, -1, -1, 3]] }, ['y']);
});

const report = (model: string, data: string, ...more: string[]) => cli(['report', model, model, '--data', data, '--json', '--network', '4g', ...more]);

describe('report inputs', () => {
  it('an .npz feeds each input by name; int32 placeholders get int32', async () => {
    const file = path.join(root, 'two.npz');
    const x = seededFloats(6 * 4, 2);
    writeFileSync(file, zipSync({ 'x.npy': npyBytes('<f4', [6, 4], x), 'k.npy': npyBytes('<i4', [6, 4], Array.from({ length: 24 }, (_, i) => i % 5)) }, { level: 0 }));
    const r = await report(twoInputs, file);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.data.samples).toBe(6);
    expect(doc.models[1].metrics.outputs).toEqual([expect.objectContaining({ name: 'y', shape: [3], cosineMin: 1, sqnrDb: null })]);
    // Float data for the int32 input is fed as int32 as well (a float32 tensor would be refused by tfjs).
    writeFileSync(file, zipSync({ 'x.npy': npyBytes('<f4', [6, 4], x), 'k:0.npy': npyBytes('<f4', [6, 4], new Float32Array(24).fill(2)) }, { level: 0 }));
    expect((await report(twoInputs, file)).code).toBe(0);
  });

  it('a wrong or missing array name lists the model inputs; one array for two inputs is refused', async () => {
    const file = path.join(root, 'bad.npz');
    writeFileSync(file, zipSync({ 'x.npy': npyBytes('<f4', [2, 4], seededFloats(8, 1)), 'kk.npy': npyBytes('<i4', [2, 4], new Int32Array(8)) }, { level: 0 }));
    let r = await report(twoInputs, file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.npz: no array for the model input "k"; the model's inputs are "x", "k", the file holds "x", "kk"\n$/);
    const npy = path.join(root, 'one.npy');
    writeFileSync(npy, npyBytes('<f4', [2, 4], seededFloats(8, 1)));
    r = await report(twoInputs, npy);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/one\.npy: the model has 2 inputs \("x", "k"\); give an \.npz with one array per input name\n$/);
  });

  it('a signature with batch 1 runs every sample, one batch at a time', async () => {
    const file = path.join(root, 'six.npy');
    writeFileSync(file, npyBytes('<f4', [6, 4], seededFloats(24, 7)));
    const r = await report(fixedBatch, file);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.data.samples).toBe(6);
    expect(doc.models[0].metrics.outputs[0].shape).toEqual([2]);
  });

  it('open dimensions keep the shape of the data file', async () => {
    const file = path.join(root, 'images.npy');
    writeFileSync(file, npyBytes('<f4', [3, 5, 7, 3], seededFloats(3 * 5 * 7 * 3, 9)));
    const r = await report(openDims, file);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).models[0].metrics.outputs[0].shape).toEqual([5, 7, 3]);
    // A sample shape that cannot fit: one line naming both shapes.
    writeFileSync(file, npyBytes('<f4', [3, 5, 7, 2], seededFloats(3 * 5 * 7 * 2, 9)));
    const bad = await report(openDims, file);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/images\.npy: samples of shape \[5, 7, 2\] \(70 values\), the model's input "x" takes \[-1, -1, -1, 3\] \(batch first\)\n$/);
  });
});
