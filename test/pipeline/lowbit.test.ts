/** The sub-8-bit codecs through the CLI and the pipeline: compress to .mcz, load it in stock tfjs through the loader, accuracy; folder outputs refused; flags and config. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { McError } from '../../src/errors.js';
import { mczLoader } from '../../src/loader.js';
import { fileHandler } from '../../src/model/tfjs-io.js';
import { quantizeStep, recipeFrom } from '../../src/recipe.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/synthetic.js';
import { readTestCsv, tf } from '../helpers/tfjs.js';

const MLP = 'fixtures/mnist-mlp';
const { inputs, labels } = readTestCsv(`${MLP}/test.csv`);

/** Test accuracy (in %) of a model loaded by stock tfjs: a .mcz through the loader, or a folder. */
async function accuracy(file: string): Promise<number> {
  await tf.setBackend('cpu');
  const handler = file.endsWith('.mcz') ? mczLoader(new Uint8Array(readFileSync(file))) : fileHandler(path.join(file, 'model.json'));
  const model = await loadLayersModel(handler);
  const x = tf.tensor(inputs, [labels.length, 784]);
  const y = model.predict(x) as tf.Tensor;
  const top = tf.argMax(y, 1);
  const best = Array.from(top.dataSync());
  tf.dispose([x, y, top]);
  model.dispose();
  return (100 * best.filter((b, i) => b === labels[i]).length) / labels.length;
}

let root: string;
let original: number;
beforeAll(async () => {
  root = tempDir('lowbit-');
  original = await accuracy(MLP);
}, 60_000);

describe('compress --quantize int4 --group-size 64 on the MNIST MLP', () => {
  it('writes a version 3 .mcz that stock tfjs loads through the loader, within 0.6 points of the original accuracy', async () => {
    const out = path.join(root, 'int4.mcz');
    const r = await cli(['compress', MLP, '--quantize', 'int4', '--group-size', '64', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const bytes = readFileSync(out);
    expect(bytes.readUInt32LE(8)).toBe(3);
    // 1,068,416 bytes originally; measured 144,478 (7.4x), 96.55 % against 96.65 %.
    expect(bytes.length).toBeLessThan(150_000);
    expect(original - (await accuracy(out))).toBeLessThanOrEqual(0.6);
  }, 60_000);

  it('cluster16 per channel, int2 and symmetric int3 through quantize (--dtype still works)', async () => {
    for (const [args, bound] of [
      [['--quantize', 'cluster16', '--per-channel'], 1],
      [['--dtype', 'int3', '--symmetric'], 3],
      [['--quantize', 'int2', '--group-size', '32'], 40],
    ] as Array<[string[], number]>) {
      const out = path.join(root, `${args.join('')}.mcz`);
      const r = await cli(['quantize', MLP, ...args, '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(original - (await accuracy(out)), args.join(' ')).toBeLessThanOrEqual(bound);
    }
  }, 120_000);

  it('a tfjs folder cannot hold them: refused before anything is read, with one line saying to write a .mcz', async () => {
    for (const args of [['--quantize', 'int4'], ['--quantize', 'cluster16'], ['--quantize', 'int8', '--group-size', '128']]) {
      const out = path.join(root, 'folder');
      const r = await cli(['quantize', MLP, ...args, '-o', out]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/cannot be written to a tfjs folder: .* write a packed container \(-o model\.mcz\)/);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('flags and config are checked before any weight is read', async () => {
    const bad = async (args: string[]) => (await cli(['compress', MLP, ...args, '-o', path.join(root, 'x.mcz')])).stderr.trim();
    expect(await bad(['--quantize', 'int9'])).toMatch(/--quantize: expected one of float16, int8, .* or cluster<K> \(K in 2\.\.256\), found "int9"/);
    expect(await bad(['--quantize', 'cluster300'])).toMatch(/cluster<K>: expected K in 2\.\.256, found "300"/);
    expect(await bad(['--quantize', 'float16', '--group-size', '64'])).toMatch(/--group-size: only the intN codecs/);
    expect(await bad(['--quantize', 'int4', '--symmetric', '--affine'])).toMatch(/--symmetric and --affine exclude each other/);
    expect(await bad(['--quantize', 'int4', '--group-size', '0'])).toMatch(/--group-size: expected a whole number of weights >= 1, found "0"/);
    expect(await bad(['--quantize', 'int4', '--dtype', 'int8'])).toMatch(/--quantize int4 and --dtype int8 disagree/);
    expect(quantizeStep({ dtype: 'int4' })).toMatchObject({ dtype: 'int4', groupSize: 64, symmetric: false, clusters: null });
    expect(quantizeStep({ dtype: 'int3', perChannel: true })).toMatchObject({ groupSize: null });
    expect(quantizeStep({ dtype: 'int8' })).toMatchObject({ groupSize: null, symmetric: true });
    expect(recipeFrom({ quantize: { dtype: 'cluster8', perChannel: true } }, 'cfg').quantize).toMatchObject({ dtype: 'cluster', clusters: 8, perChannel: true });
    expect(() => recipeFrom({ quantize: { dtype: 'int4', groupSize: 'x' } }, 'cfg')).toThrow(McError);
  });
});
