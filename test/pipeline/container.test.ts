/** The container through the CLI: compress, pack, unpack, quantize/prune to .mcz, report on .mcz, and hostile files. */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { compressModel } from '../../src/compress.js';
import { loadModel } from '../../src/model/load.js';
import { modelSizes } from '../../src/size.js';
import { cli } from '../helpers/cli.js';
import { evaluate } from '../helpers/eval.js';
import { tempDir } from '../helpers/synthetic.js';
import { snapshot } from '../helpers/tree.js';

const MLP = 'fixtures/mnist-mlp';
let root: string;
let mcz: string;
let result: { stdout: string; code: number };

beforeAll(async () => {
  root = tempDir();
  mcz = path.join(root, 'm.mcz');
  result = await cli(['compress', MLP, '--prune', '0.75', '--quantize', 'int8', '--per-channel', '-o', mcz, '--no-color']);
});

describe('compress --prune 0.75 --quantize int8 --per-channel on the MNIST MLP', () => {
  it('is at least 12x smaller than the original and prints the entropy-bound ratio', async () => {
    expect(result.code).toBe(0);
    const original = (await modelSizes(MLP)).total.raw;
    const packed = readFileSync(mcz).length;
    expect(original / packed).toBeGreaterThanOrEqual(12);
    expect(result.stdout).toMatch(/entropy-bound ratio (0\.9\d|1\.0[0-2])\d*: tensors coded in/);
  });

  it('is at least 1.5x smaller than brotli -q 11 of the stock uint8 folder', async () => {
    const u8 = path.join(root, 'u8');
    await compressModel(MLP, u8, { quantize: { dtype: 'uint8', perChannel: false, include: [], exclude: [], minElements: 0, allowNonfinite: false } });
    const brotli = readdirSync(u8).reduce(
      (n, f) => n + zlib.brotliCompressSync(readFileSync(path.join(u8, f)), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
      0,
    );
    expect(brotli / readFileSync(mcz).length).toBeGreaterThanOrEqual(1.5);
  });

  it('its accuracy on the test split is reported, loaded through the loader', async () => {
    const r = await cli(['report', MLP, mcz, '--data', 'fixtures/mnist-mlp/test.csv', '--json', '--network', '4g']);
    expect(r.code).toBe(0);
    const [o, c] = JSON.parse(r.stdout).models;
    expect(c).toMatchObject({ container: true, files: [{ file: 'm.mcz' }] });
    expect(o.metrics.accuracy - c.metrics.accuracy).toBeLessThan(0.02);
    expect(c.delta.sizeReduction).toBeGreaterThanOrEqual(12);
  });
});

describe('pack / unpack', () => {
  it('pack then unpack gives the stored values back exactly, quantized entries included', async () => {
    const dir = tempDir();
    expect((await cli(['pack', 'fixtures/mnist-uint8', '-o', path.join(dir, 'u.mcz')])).code).toBe(0);
    expect((await cli(['unpack', path.join(dir, 'u.mcz'), '-o', path.join(dir, 'u')])).code).toBe(0);
    const [a, b] = [await loadModel('fixtures/mnist-uint8'), await loadModel(path.join(dir, 'u'))];
    expect(b.tensors.map((t) => t.entry)).toEqual(a.tensors.map((t) => t.entry));
    for (const [i, t] of a.tensors.entries()) expect(Buffer.from(await b.readBytes(b.tensors[i])).equals(Buffer.from(await a.readBytes(t)))).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });

  it('unpack says which tensors it widened to float32', async () => {
    const r = await cli(['unpack', mcz, '-o', path.join(tempDir(), 'w'), '--no-color']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/2 tensor\(s\) written as float32, because the stock manifest cannot hold per-channel int8, intN or clusters: dense1\/kernel, dense2\/kernel/);
    const acc = await evaluate(path.join(path.dirname(r.stdout.match(/wrote (\S+)/)![1]), 'w'), 'fixtures/mnist-mlp/test.csv');
    expect(acc.accuracy).toBeGreaterThan(0.94);
  });

  it('pack refuses a folder output, unpack a .mcz one', async () => {
    expect((await cli(['pack', MLP, '-o', path.join(tempDir(), 'x')])).stderr).toMatch(/pack writes a \.mcz file/);
    expect((await cli(['unpack', mcz, '-o', path.join(tempDir(), 'x.mcz')])).stderr).toMatch(/unpack writes a folder/);
  });

  it('quantize and prune write .mcz through the same code', async () => {
    const dir = tempDir();
    const q = await cli(['quantize', MLP, '--dtype', 'int8', '--per-channel', '-o', path.join(dir, 'q.mcz'), '--json']);
    expect(q.code).toBe(0);
    expect(JSON.parse(q.stdout).tensors[0].to).toBe('int8 per channel (axis 1)');
    const p = await cli(['prune', MLP, '--sparsity', '0.9', '-o', path.join(dir, 'p.mcz'), '--json']);
    expect(p.code).toBe(0);
    const doc = JSON.parse(p.stdout);
    expect(doc.tensors[0].to).toMatch(/sparse/);
    expect(doc.sizes.after.raw).toBeLessThan(doc.sizes.before.raw / 3);
  });

  it('compress with no pass flags uses the config recipe, and says so when there is none', async () => {
    const dir = tempDir();
    expect((await cli(['compress', path.resolve(MLP), '-o', 'a.mcz'], { cwd: dir })).stderr).toMatch(/no passes given/);
    writeFileSync(path.join(dir, 'maas-compress.config.json'), JSON.stringify({ model: path.resolve(MLP), recipe: { quantize: { dtype: 'float16' } } }));
    const r = await cli(['compress', '-o', 'a.mcz', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).recipe.quantize.dtype).toBe('float16');
  });
});

describe('hostile containers through the CLI: one line, exit 2, nothing written', () => {
  const damaged: [string, (b: Buffer) => Buffer][] = [
    ['truncated', (b) => b.subarray(0, b.length - 100)],
    ['a flipped byte', (b) => Buffer.from(b.map((x, i) => (i === Math.floor(b.length / 2) ? x ^ 0xff : x)))],
    ['not a container', () => Buffer.from('{"modelTopology": {}}')],
    ['empty', () => Buffer.alloc(0)],
  ];
  for (const [name, damage] of damaged) {
    it(name, async () => {
      const dir = tempDir();
      const bad = path.join(dir, 'bad.mcz');
      writeFileSync(bad, damage(readFileSync(mcz)));
      const before = snapshot(dir);
      for (const argv of [['unpack', bad, '-o', path.join(dir, 'out')], ['report', MLP, bad, '--samples', '8']]) {
        const r = await cli(argv);
        expect(r.code).toBe(2);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(/bad\.mcz/);
      }
      expect(snapshot(dir)).toEqual(before);
    });
  }
});

describe('report with the default recipes (the npm start job)', () => {
  it('builds float16, int8 per channel and 50 % pruning + int8 per channel (packed), with real accuracy', async () => {
    const r = await cli(['report', MLP, '--data', 'fixtures/mnist-mlp/test.csv', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.models.map((m: any) => [m.name, m.container])).toEqual([
      ['original', false],
      ['float16', false],
      ['int8 per channel', true],
      ['prune 50 % (layer) + int8 per channel', true],
    ]);
    expect(doc.models[1].delta.accuracyDrop).toBeLessThanOrEqual(0.0005);
    expect(doc.models[2].delta.accuracyDrop).toBeLessThanOrEqual(0.002);
    expect(doc.models[3].delta.accuracyDrop).toBeLessThanOrEqual(0.01);
    expect(doc.models[3].delta.sizeReduction).toBeGreaterThan(6);
  });
});
