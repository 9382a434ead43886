/** quantize end to end: outputs stock tfjs loads, predictions near the original's, sizes, selection, failures. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compressModel } from '../../src/compress.js';
import { loadModel } from '../../src/model/load.js';
import type { QuantizeStep } from '../../src/recipe.js';
import { cli } from '../helpers/cli.js';
import { agreement, evaluate } from '../helpers/eval.js';
import { tempDir, writeModel } from '../helpers/synthetic.js';
import { snapshot } from '../helpers/tree.js';
import { dataDirFor, fixtureModels, predictions } from '../helpers/tfjs.js';

const step = (dtype: QuantizeStep['dtype'], extra: Partial<QuantizeStep> = {}): QuantizeStep => ({
  dtype,
  perChannel: false,
  include: [],
  exclude: [],
  minElements: 1024,
  allowNonfinite: false,
  ...extra,
});

/** Largest |a - b|. */
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

/** Per dtype: the largest output difference allowed (softmax probabilities), on fixture inputs. */
const OUTPUT_TOLERANCE = { float16: 2e-3, uint16: 2e-3, uint8: 0.15, int8: 0.15 } as const;

describe('every fixture, every stock dtype: stock tfjs loads the output and predicts close to the original', () => {
  for (const dir of fixtureModels()) {
    for (const dtype of ['float16', 'uint16', 'uint8', 'int8'] as const) {
      it(`${path.basename(dir)} ${dtype}`, async () => {
        const out = path.join(tempDir(), 'q');
        const r = await compressModel(dir, out, { quantize: step(dtype) });
        const original = await predictions(dir, dataDirFor(dir));
        const quantized = await predictions(out, dataDirFor(dir));
        expect(quantized.length).toBe(original.length);
        expect(maxDiff(original, quantized)).toBeLessThanOrEqual(OUTPUT_TOLERANCE[dtype]);
        // Sizes: quantized tensors shrink by exactly their element size; the rest is unchanged.
        for (const t of r.tensors) {
          const n = t.shape.reduce((a, b) => a * b, 1);
          const touched = t.dtype === 'float32' && n >= 1024;
          const expected = touched ? n * (dtype === 'float16' || dtype === 'uint16' ? 2 : 1) : t.bytesBefore;
          expect(t.bytesAfter, t.name).toBe(expected);
        }
      });
    }
  }
});

describe('quantize on the MNIST MLP test split (2,000 digits)', () => {
  const mlp = 'fixtures/mnist-mlp';
  const csv = 'fixtures/mnist-mlp/test.csv';
  let base: Awaited<ReturnType<typeof evaluate>>;
  beforeAll(async () => {
    base = await evaluate(mlp, csv);
  });

  it('float16 loses at most 0.05 points', async () => {
    const out = path.join(tempDir(), 'f16');
    await compressModel(mlp, out, { quantize: step('float16', { minElements: 0 }) });
    const r = await evaluate(out, csv);
    expect(base.accuracy - r.accuracy).toBeLessThanOrEqual(0.0005);
  });

  it('int8 per channel loses at most 0.2 points (measured on the values a loader decodes)', async () => {
    const r = await evaluate({ quantize: step('int8', { perChannel: true, minElements: 0 }) }, csv, mlp);
    expect(base.accuracy - r.accuracy).toBeLessThanOrEqual(0.002);
    expect(agreement(base.top, r.top)).toBeGreaterThanOrEqual(0.99);
  });

  it('uint8 per tensor (the converter recipe) keeps top-1 agreement >= 99 %', async () => {
    const out = path.join(tempDir(), 'u8');
    await compressModel(mlp, out, { quantize: step('uint8', { minElements: 0 }) });
    const r = await evaluate(out, csv);
    expect(agreement(base.top, r.top)).toBeGreaterThanOrEqual(0.99);
  });
});

describe('what quantize leaves alone', () => {
  it('the graph model int32 tensor is copied byte for byte', async () => {
    const out = path.join(tempDir(), 'g');
    await compressModel('fixtures/mnist-graph', out, { quantize: step('int8', { minElements: 0 }) });
    const a = await loadModel('fixtures/mnist-graph');
    const b = await loadModel(out);
    const ints = a.tensors.filter((t) => t.entry.dtype === 'int32');
    expect(ints.length).toBeGreaterThan(0);
    for (const t of ints) {
      const u = b.tensors.find((x) => x.name === t.name)!;
      expect(u.entry).toEqual(t.entry);
      expect(Buffer.from(await b.readBytes(u)).equals(Buffer.from(await a.readBytes(t)))).toBe(true);
    }
    await Promise.all([a.close(), b.close()]);
  });

  it('--include, --exclude and --min-elements select tensors', async () => {
    const out = path.join(tempDir(), 's');
    const r = await compressModel('fixtures/mnist-mlp', out, { quantize: step('uint8', { include: ['dense*'], exclude: ['dense2/*'], minElements: 200 }) });
    const to = Object.fromEntries(r.tensors.map((t) => [t.name, t.to]));
    expect(to).toEqual({
      'dense1/kernel': 'uint8 affine',
      'dense1/bias': 'uint8 affine',
      'dense2/kernel': 'float32',
      'dense2/bias': 'float32',
      'dense3/kernel': 'uint8 affine',
      'dense3/bias': 'float32',
    });
  });

  it('already-quantized input is decoded first, then re-encoded', async () => {
    const out = path.join(tempDir(), 'h');
    const r = await compressModel('fixtures/mnist-uint8', out, { quantize: step('float16', { minElements: 0 }) });
    expect(r.tensors.every((t) => t.from === 'uint8 affine' && t.to === 'float16')).toBe(true);
    const a = await loadModel('fixtures/mnist-uint8');
    const b = await loadModel(out);
    for (const [i, t] of a.tensors.entries()) {
      const x = (await a.readValues(t)) as Float32Array;
      const y = (await b.readValues(b.tensors[i])) as Float32Array;
      // float16 keeps 11 significant bits: relative error <= 2^-11 (plus the subnormal step).
      x.forEach((v, k) => expect(Math.abs(y[k] - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -25));
    }
    await Promise.all([a.close(), b.close()]);
  });
});

describe('quantize failures and warnings', () => {
  const model = (values: number[]) => {
    const root = tempDir();
    const dir = path.join(root, 'm');
    writeModel(dir, [{ entry: { name: 'w', shape: [values.length / 2, 2], dtype: 'float32' }, bytes: new Uint8Array(new Float32Array(values).buffer) }]);
    return { root, dir };
  };

  it('NaN or Infinity: one-line error naming the tensor, nothing written; --allow-nonfinite encodes them', async () => {
    const { root, dir } = model([1, NaN, 2, 3]);
    const before = snapshot(root);
    const r = await cli(['quantize', dir, '--dtype', 'int8', '--min-elements', '0', '-o', path.join(root, 'o')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^maas-compress: error: tensor "w": expected finite values, found 1 NaN\/Infinity/);
    expect(snapshot(root)).toEqual(before);
    const ok = await cli(['quantize', dir, '--dtype', 'int8', '--min-elements', '0', '--allow-nonfinite', '-o', path.join(root, 'o')]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/warning: .*"w"/);
  });

  it('float16 saturates beyond 65504 with a warning naming the tensor', async () => {
    const { root, dir } = model([1e6, -1e6, 1, 2]);
    const r = await cli(['quantize', dir, '--dtype', 'float16', '--min-elements', '0', '-o', path.join(root, 'o')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: .*tensor "w".*2/);
    const m = await loadModel(path.join(root, 'o'));
    expect(Array.from((await m.readValues(m.tensors[0])) as Float32Array)).toEqual([65504, -65504, 1, 2]);
    await m.close();
  });

  it('per-channel int8 to a folder is refused with the reason and what to use instead', async () => {
    const { root, dir } = model([1, 2, 3, 4]);
    const r = await cli(['quantize', dir, '--dtype', 'int8', '--per-channel', '-o', path.join(root, 'o')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/stock manifest holds one scale and min per tensor; write a packed container \(-o model\.mcz\)/);
  });

  it('rejects an unknown --dtype and a missing one', async () => {
    expect((await cli(['quantize', 'fixtures/mnist-mlp', '--dtype', 'int9', '-o', path.join(tempDir(), 'o')])).stderr).toMatch(/--quantize: expected one of float16, int8, uint8, uint16, int2, .* or cluster<K> \(K in 2\.\.256\), found "int9"/);
    expect((await cli(['quantize', 'fixtures/mnist-mlp', '-o', path.join(tempDir(), 'o')])).stderr).toMatch(/--dtype/);
  });

  it('--json gives the per-tensor summary', async () => {
    const r = await cli(['quantize', 'fixtures/mnist-mlp', '--dtype', 'uint8', '-o', path.join(tempDir(), 'o'), '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const k = doc.tensors.find((t: { name: string }) => t.name === 'dense1/kernel');
    expect(k).toMatchObject({ from: 'float32', to: 'uint8 affine', bytesBefore: 940800, bytesAfter: 235200 });
    expect(k.maxError).toBeGreaterThan(0);
    expect(k.rmsError).toBeLessThan(k.maxError);
    expect(doc.totals.bytesAfter).toBeLessThan(doc.totals.bytesBefore / 3.5);
  });

  it('records the recipe in the output metadata', async () => {
    const out = path.join(tempDir(), 'o');
    await compressModel('fixtures/mnist-mlp', out, { quantize: step('float16') }, { command: 'quantize' });
    const j = JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8'));
    expect(j.userDefinedMetadata['maas-compress'].steps).toEqual([{ command: 'quantize', recipe: { quantize: step('float16') } }]);
  });
});
