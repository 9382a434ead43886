/**
 * Tensors already stored on a grid of the requested kind keep it: the output decodes to
 * the input's values bit for bit (folder and .mcz, per tensor and per channel), where
 * re-quantizing the decoded values would not; float32 tensors are quantized as before.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compressModel } from '../../src/compress.js';
import { parseMcz } from '../../src/mcz/read.js';
import { decodeEntry } from '../../src/model/decode.js';
import { loadModel } from '../../src/model/load.js';
import { quantizeAffine, quantizeInt8 } from '../../src/passes/quantize.js';
import type { QuantizeStep, Recipe } from '../../src/recipe.js';
import { cli } from '../helpers/cli.js';
import { type RawEntry, tempDir, writeModel } from '../helpers/synthetic.js';
import { predictions, seededFloats } from '../helpers/tfjs.js';

const U8 = 'fixtures/mnist-uint8';

const step = (dtype: QuantizeStep['dtype'], perChannel = false): QuantizeStep => ({ dtype, perChannel, include: [], exclude: [], minElements: 0, allowNonfinite: false });

const bitsOf = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** Decoded values of every tensor of a folder or .mcz, by name. */
async function decodedOf(p: string): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  if (p.endsWith('.mcz')) {
    const m = parseMcz(new Uint8Array(readFileSync(p)), p);
    m.tensors.forEach((t, i) => out.set(t.name, m.decodeTensor(i) as Float32Array));
    return out;
  }
  const m = await loadModel(p);
  for (const t of m.tensors) out.set(t.name, (await m.readValues(t)) as Float32Array);
  await m.close();
  return out;
}

/** Number of elements whose float32 bits differ, per tensor name in `names`. */
function bitDiffs(a: Map<string, Float32Array>, b: Map<string, Float32Array>, names: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) {
    const x = bitsOf(a.get(n)!);
    const y = bitsOf(b.get(n)!);
    expect(y.length, n).toBe(x.length);
    let d = 0;
    for (let i = 0; i < x.length; i++) d += +(x[i] !== y[i]);
    out[n] = d;
  }
  return out;
}

const zeros = (names: string[]) => Object.fromEntries(names.map((n) => [n, 0]));

describe('fixtures/mnist-uint8 (converter uint8) asked for int8 or uint8 keeps its grid', () => {
  const cases: Array<[string, Recipe, string]> = [
    ['int8 per tensor, folder', { quantize: step('int8') }, 'o'],
    ['int8 per tensor, .mcz', { quantize: step('int8') }, 'o.mcz'],
    ['int8 per channel, .mcz', { quantize: step('int8', true) }, 'o.mcz'],
    ['uint8, folder', { quantize: step('uint8') }, 'o'],
    ['uint8, .mcz', { quantize: step('uint8') }, 'o.mcz'],
  ];
  for (const [name, recipe, file] of cases) {
    it(`${name}: decoded values bit for bit equal, every tensor marked kept`, async () => {
      const out = path.join(tempDir(), file);
      const r = await compressModel(U8, out, recipe);
      const names = r.tensors.map((t) => t.name);
      expect(r.tensors.every((t) => t.keptGrid && t.from === 'uint8 affine' && t.to === 'uint8 affine' && t.maxError === 0 && t.rmsError === 0)).toBe(true);
      if (!file.endsWith('.mcz')) expect(r.totals.bytesAfter).toBe(r.totals.bytesBefore);
      expect(bitDiffs(await decodedOf(U8), await decodedOf(out), names)).toEqual(zeros(names));
    });
  }

  it('the folder output is the input tensors byte for byte, and stock tfjs predicts exactly as on the input', async () => {
    const out = path.join(tempDir(), 'o');
    await compressModel(U8, out, { quantize: step('int8') });
    const [a, b] = [await loadModel(U8), await loadModel(out)];
    expect(b.tensors.map((t) => t.entry)).toEqual(a.tensors.map((t) => t.entry));
    for (const [i, t] of a.tensors.entries()) expect(Buffer.from(await b.readBytes(b.tensors[i])).equals(Buffer.from(await a.readBytes(t))), t.name).toBe(true);
    await Promise.all([a.close(), b.close()]);
    const [p, q] = [await predictions(U8, 'fixtures/mnist-mlp'), await predictions(out, 'fixtures/mnist-mlp')];
    expect(bitsOf(q)).toEqual(bitsOf(p));
  });

  it('re-quantizing the decoded values instead would move most of them (what keeping the grid avoids)', async () => {
    const m = await loadModel(U8);
    const t = m.tensors.find((x) => x.name === 'dense1/kernel')!;
    const v = (await m.readValues(t)) as Float32Array;
    await m.close();
    for (const enc of [quantizeInt8({ name: t.name, shape: t.entry.shape, values: v }, { axis: null }), quantizeInt8({ name: t.name, shape: t.entry.shape, values: v }, { axis: 1 })]) {
      const d = bitsOf(enc.decoded);
      let moved = 0;
      bitsOf(v).forEach((x, i) => (moved += +(x !== d[i])));
      expect(moved).toBeGreaterThan(v.length / 2);
    }
  });

  it('pruned then asked for int8: kept grid, pruned weights exactly 0, every other value bit for bit', async () => {
    for (const file of ['o', 'o.mcz']) {
      const out = path.join(tempDir(), file);
      const r = await compressModel(U8, out, { prune: { sparsity: 0.5, scope: 'layer', pattern: 'unstructured', include: [], exclude: [], minElements: 0, allowEmpty: false }, quantize: step('int8') });
      const kernels = r.tensors.filter((t) => t.pruned);
      expect(kernels.map((t) => t.name)).toEqual(['dense1/kernel', 'dense2/kernel', 'dense3/kernel']);
      const [a, b] = [await decodedOf(U8), await decodedOf(out)];
      for (const t of kernels) {
        expect(t.keptGrid, t.name).toBe(true);
        expect(t.maxError, t.name).toBe(0);
        expect(t.sparsityAfter!, t.name).toBeGreaterThanOrEqual(0.5);
        const x = bitsOf(a.get(t.name)!);
        const y = bitsOf(b.get(t.name)!);
        let kept = 0;
        for (let i = 0; i < x.length; i++) {
          if (y[i] === x[i]) kept++;
          else expect(y[i], `${t.name}[${i}]`).toBe(0);
        }
        expect(kept).toBeGreaterThanOrEqual(0.49 * x.length);
      }
    }
  });
});

describe('a synthetic model: uint8 with a non-zero min, uint16, float16 and float32 tensors', () => {
  const u8 = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const n = 48 * 64;
  const r = seededFloats(n, 5);
  const codes8 = Uint8Array.from(r, (x) => Math.floor(x * 256));
  const codes16 = Uint16Array.from(r, (x) => Math.floor(x * 65536));
  // Converter-style: float64 scale and min (not float32 values), so the plain passes do not re-derive them.
  const q8pos = { dtype: 'uint8', scale: 0.00312345678, min: 0.2512345 };
  const q8mix = { dtype: 'uint8', scale: 0.0004348518217311186, min: -0.040441219420994025 };
  const q16 = { dtype: 'uint16', scale: 1.2345678901234567e-5, min: -0.4012345678901234 };
  const half = Uint16Array.from({ length: n }, (_, i) => [0x0000, 0x8000, 0x0001, 0x03ff, 0x3c00, 0xc000, 0x7bff, 0xfbff, 0x1234][i % 9] ^ (i & 0x0f0));
  const f32 = seededFloats(n, 9).map((x) => x - 0.5);
  const entries = (): RawEntry[] => [
    { entry: { name: 'pos', shape: [48, 64], dtype: 'float32', quantization: q8pos }, bytes: codes8 },
    { entry: { name: 'mix', shape: [48, 64], dtype: 'float32', quantization: { ...q8mix, original_dtype: 'float32' } }, bytes: codes8 },
    { entry: { name: 'u16', shape: [48, 64], dtype: 'float32', quantization: q16 }, bytes: u8(codes16) },
    { entry: { name: 'f16', shape: [48, 64], dtype: 'float32', quantization: { dtype: 'float16' } }, bytes: u8(half) },
    { entry: { name: 'f32', shape: [48, 64], dtype: 'float32' }, bytes: u8(f32) },
  ];
  const model = () => {
    const dir = path.join(tempDir(), 'm');
    writeModel(dir, entries(), { shardSize: 5000 });
    return dir;
  };
  const decodedInput = (i: number) => {
    const e = entries()[i];
    return decodeEntry(e.entry as never, e.bytes.slice()) as Float32Array;
  };

  it('the plain passes would not be the identity on these grids (what the rule fixes)', () => {
    for (const [i, dtype] of [[0, 'uint8'], [1, 'uint8'], [2, 'uint16']] as const) {
      const v = decodedInput(i);
      const d = bitsOf(quantizeAffine({ name: 'x', shape: [48, 64], values: v }, { dtype }).decoded);
      expect(bitsOf(v).some((x, k) => x !== d[k])).toBe(true);
    }
  });

  for (const [label, perChannel, file] of [['per tensor, folder', false, 'o'], ['per tensor, .mcz', false, 'o.mcz'], ['per channel, .mcz', true, 'o.mcz']] as const) {
    it(`int8 ${label}: uint8 tensors kept bit for bit; uint16, float16 and float32 quantized to int8`, async () => {
      const dir = model();
      const out = path.join(path.dirname(dir), file);
      const r = await compressModel(dir, out, { quantize: step('int8', perChannel) });
      const by = Object.fromEntries(r.tensors.map((t) => [t.name, t]));
      expect(by.pos.keptGrid && by.mix.keptGrid).toBe(true);
      for (const k of ['u16', 'f16', 'f32']) {
        expect(by[k].keptGrid, k).toBe(false);
        expect(by[k].to, k).toMatch(/^int8/);
        expect(by[k].maxError!, k).toBeGreaterThan(0);
      }
      const [a, b] = [await decodedOf(dir), await decodedOf(out)];
      expect(bitDiffs(a, b, ['pos', 'mix'])).toEqual({ pos: 0, mix: 0 });
      // The float32 tensor is quantized as before: within half a step of its int8 grid.
      const x = a.get('f32')!;
      const y = b.get('f32')!;
      const maxAbs = x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const bound = perChannel ? maxAbs / 127 / 2 : Math.fround(maxAbs / 127) / 2;
      x.forEach((v, i) => expect(Math.abs(y[i] - v)).toBeLessThanOrEqual(bound * (1 + 1e-6)));
      expect(bitsOf(b.get('f32')!)).toEqual(bitsOf(quantizeInt8({ name: 'f32', shape: [48, 64], values: f32 }, { axis: perChannel ? 1 : null }).decoded));
    });
  }

  for (const dtype of ['uint16', 'float16'] as const) {
    for (const file of ['o', 'o.mcz']) {
      it(`${dtype} -> ${dtype} (${file === 'o' ? 'folder' : '.mcz'}) is the identity on the ${dtype} tensor`, async () => {
        const dir = model();
        const out = path.join(path.dirname(dir), file);
        const r = await compressModel(dir, out, { quantize: step(dtype) });
        const name = dtype === 'uint16' ? 'u16' : 'f16';
        const t = r.tensors.find((x) => x.name === name)!;
        expect(t).toMatchObject({ keptGrid: true, maxError: 0, from: t.to });
        expect(r.tensors.filter((x) => x.keptGrid).map((x) => x.name)).toEqual([name]);
        expect(bitDiffs(await decodedOf(dir), await decodedOf(out), [name])).toEqual({ [name]: 0 });
      });
    }
  }

  it('pruned, a uint8 grid without 0.0 on it is quantized as asked; one with it is kept', async () => {
    const dir = model();
    const r = await compressModel(dir, path.join(path.dirname(dir), 'o.mcz'), {
      prune: { sparsity: 0.5, scope: 'layer', pattern: 'unstructured', include: ['pos', 'mix'], exclude: [], minElements: 0, allowEmpty: false },
      quantize: step('int8', true),
    });
    const by = Object.fromEntries(r.tensors.map((t) => [t.name, t]));
    expect(by.pos).toMatchObject({ pruned: true, keptGrid: false, to: expect.stringMatching(/^int8 per channel/) });
    expect(by.mix).toMatchObject({ pruned: true, keptGrid: true, maxError: 0, to: expect.stringMatching(/^uint8 affine/) });
  });
});

describe('the CLI says which tensors kept their grid', () => {
  it('in the table and in --json', async () => {
    const dir = tempDir();
    const t = await cli(['quantize', U8, '--dtype', 'int8', '--min-elements', '0', '--no-color', '-o', path.join(dir, 'a')]);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/dense1\/kernel .*uint8 affine \(grid kept\)/);
    const j = await cli(['quantize', U8, '--dtype', 'int8', '--per-channel', '--min-elements', '0', '--json', '-o', path.join(dir, 'b.mcz')]);
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.stdout);
    expect(doc.tensors.map((x: { keptGrid: boolean }) => x.keptGrid)).toEqual([true, true, true, true, true, true]);
  });
});
