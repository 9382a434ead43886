/** prune end to end on the fixtures: exact sparsity, N:M, what is left alone, determinism, composition with quantize. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compressModel } from '../../src/compress.js';
import { loadModel } from '../../src/model/load.js';
import type { PruneStep, QuantizeStep } from '../../src/recipe.js';
import { cli } from '../helpers/cli.js';
import { evaluate } from '../helpers/eval.js';
import { tempDir, writeModel } from '../helpers/synthetic.js';

const MLP = 'fixtures/mnist-mlp';
const prune = (sparsity: number, extra: Partial<PruneStep> = {}): PruneStep => ({
  sparsity,
  scope: 'layer',
  pattern: 'unstructured',
  include: [],
  exclude: [],
  minElements: 1024,
  allowEmpty: false,
  ...extra,
});

/** Decoded values of every tensor of a model, by name. */
async function values(p: string): Promise<Map<string, Float32Array>> {
  const m = await loadModel(p);
  const out = new Map<string, Float32Array>();
  for (const t of m.tensors) out.set(t.name, (await m.readValues(t)) as Float32Array);
  await m.close();
  return out;
}
const zeros = (v: Float32Array) => v.reduce((n, x) => n + (x === 0 ? 1 : 0), 0);

describe('layer scope', () => {
  for (const s of [0.5, 0.7, 0.9]) {
    it(`every targeted tensor reaches ${s * 100} % exactly; biases and small tensors untouched`, async () => {
      const out = path.join(tempDir(), 'p');
      await compressModel(MLP, out, { prune: prune(s) });
      const [a, b] = [await values(MLP), await values(out)];
      for (const [name, v] of b) {
        if (name === 'dense1/kernel' || name === 'dense2/kernel') expect(zeros(v), name).toBe(Math.round(s * v.length));
        else expect(Buffer.from(v.buffer).equals(Buffer.from(a.get(name)!.buffer)), name).toBe(true);
        // Kept weights keep their values.
        v.forEach((x, i) => x !== 0 && expect(x).toBe(a.get(name)![i]));
      }
    });
  }
});

describe('global scope', () => {
  it('combined sparsity within one weight of the target, tensors at different sparsities', async () => {
    const out = path.join(tempDir(), 'g');
    const r = await compressModel(MLP, out, { prune: prune(0.7, { scope: 'global' }) });
    const b = await values(out);
    const k1 = b.get('dense1/kernel')!;
    const k2 = b.get('dense2/kernel')!;
    const total = k1.length + k2.length;
    expect(Math.abs(zeros(k1) + zeros(k2) - 0.7 * total)).toBeLessThanOrEqual(1);
    expect(zeros(k1) / k1.length).not.toBeCloseTo(zeros(k2) / k2.length, 2);
    const reported = r.tensors.filter((t) => t.pruned).map((t) => t.sparsityAfter);
    expect(reported).toEqual([zeros(k1) / k1.length, zeros(k2) / k2.length]);
  });

  it('refuses to zero a whole tensor unless --allow-empty', async () => {
    const root = tempDir();
    const big = new Float32Array(2048).map((_, i) => 1 + (i % 7));
    const tiny = new Float32Array(1024).fill(1e-6);
    writeModel(path.join(root, 'm'), [
      { entry: { name: 'big', shape: [32, 64], dtype: 'float32' }, bytes: new Uint8Array(big.buffer) },
      { entry: { name: 'tiny', shape: [32, 32], dtype: 'float32' }, bytes: new Uint8Array(tiny.buffer) },
    ]);
    const r = await cli(['prune', path.join(root, 'm'), '--sparsity', '0.4', '--scope', 'global', '-o', path.join(root, 'o')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tensor "tiny": global pruning at 40 % would zero all of its 1024 weights; pass --allow-empty/);
    expect(readdirSync(root)).toEqual(['m']);
    const ok = await cli(['prune', path.join(root, 'm'), '--sparsity', '0.4', '--scope', 'global', '--allow-empty', '-o', path.join(root, 'o')]);
    expect(ok.code).toBe(0);
  });
});

describe('N:M structured', () => {
  it('2:4 along the input axis holds in every group', async () => {
    const out = path.join(tempDir(), 'nm');
    await compressModel(MLP, out, { prune: prune(0.5, { pattern: { n: 2, m: 4 } }) });
    const b = await values(out);
    for (const [name, [rows, cols]] of [['dense1/kernel', [784, 300]], ['dense2/kernel', [300, 100]]] as const) {
      const v = b.get(name)!;
      for (let c = 0; c < cols; c++) {
        for (let g = 0; g < rows; g += 4) {
          let nz = 0;
          for (let r = g; r < Math.min(rows, g + 4); r++) if (v[r * cols + c] !== 0) nz++;
          expect(nz).toBeLessThanOrEqual(2);
        }
      }
      expect(zeros(v)).toBe(v.length / 2);
    }
  });
});

describe('determinism and composition', () => {
  it('same input and flags give byte-identical files', async () => {
    const [x, y] = [path.join(tempDir(), 'a'), path.join(tempDir(), 'b')];
    for (const o of [x, y]) await compressModel(MLP, o, { prune: prune(0.6, { scope: 'global' }) }, { shardSize: 300000 });
    const files = readdirSync(x).sort();
    expect(readdirSync(y).sort()).toEqual(files);
    for (const f of files) expect(readFileSync(path.join(x, f)).equals(readFileSync(path.join(y, f))), f).toBe(true);
  });

  for (const dtype of ['int8', 'uint8', 'uint16', 'float16'] as const) {
    it(`prune then quantize ${dtype} keeps every pruned weight exactly zero`, async () => {
      const root = tempDir();
      await compressModel(MLP, path.join(root, 'p'), { prune: prune(0.5) });
      const q: QuantizeStep = { dtype, perChannel: false, include: [], exclude: [], minElements: 0, allowNonfinite: false };
      await compressModel(path.join(root, 'p'), path.join(root, 'q'), { quantize: q });
      const [p, r] = [await values(path.join(root, 'p')), await values(path.join(root, 'q'))];
      for (const [name, v] of p) {
        const w = r.get(name)!;
        v.forEach((x, i) => x === 0 && expect(Object.is(w[i], 0) || Object.is(w[i], -0), `${name}[${i}]`).toBe(true));
        expect(zeros(w)).toBeGreaterThanOrEqual(zeros(v));
      }
    });
  }
});

describe('prune on the MNIST MLP test split', () => {
  let base: number;
  beforeAll(async () => {
    base = (await evaluate(MLP, 'fixtures/mnist-mlp/test.csv')).accuracy;
  });
  for (const scope of ['layer', 'global'] as const) {
    it(`50 % ${scope} scope loses at most 1 point`, async () => {
      const out = path.join(tempDir(), scope);
      await compressModel(MLP, out, { prune: prune(0.5, { scope }) });
      expect(base - (await evaluate(out, 'fixtures/mnist-mlp/test.csv')).accuracy).toBeLessThanOrEqual(0.01);
    });
  }
});

describe('prune CLI', () => {
  it('prints sparsity and the raw / gzip sizes before and after', async () => {
    const r = await cli(['prune', MLP, '--sparsity', '70%', '-o', path.join(tempDir(), 'o'), '--no-color']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/dense1\/kernel\s+\[784,300\]\s+float32.*0\.0 % -> 70\.0 %/);
    expect(r.stdout).toMatch(/^raw\s+1\.07 MB -> 1\.07 MB \(1\.00x\)$/m);
    expect(r.stdout).toMatch(/^gzip\s+\S+ \S+ -> \S+ \S+ \((2|3)\.\d\dx\)$/m);
  });

  it('rejects bad flags before reading weights', async () => {
    const o = path.join(tempDir(), 'o');
    expect((await cli(['prune', MLP, '--sparsity', '150%', '-o', o])).stderr).toMatch(/--sparsity: expected a fraction in \[0, 1\]/);
    expect((await cli(['prune', MLP, '-o', o])).stderr).toMatch(/missing --sparsity/);
    expect((await cli(['prune', MLP, '--pattern', '4:2', '-o', o])).stderr).toMatch(/--pattern/);
    expect((await cli(['prune', MLP, '--sparsity', '0.5', '--scope', 'model', '-o', o])).code).toBe(2);
  });
});
