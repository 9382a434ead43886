/**
 * The worker pool changes nothing but speed: the same recipes written with worker threads
 * (the real worker entry, bundled from src) and on the main thread give byte-identical
 * files and identical outcomes, and a failure in a worker reaches the caller as the same
 * McError.
 */
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressModel } from '../../src/compress.js';
import { isMcError } from '../../src/errors.js';
import { orderedMap } from '../../src/parallel/pool.js';
import type { Recipe } from '../../src/recipe.js';
import { type RawEntry, everyDtype, tempDir, writeModel } from '../helpers/synthetic.js';
import { seededFloats } from '../helpers/tfjs.js';

const u8 = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Kernels of several sizes (some with zeros, one stored quantized) and every other dtype. */
function entries(): RawEntry[] {
  const out = everyDtype();
  [[300, 40], [64, 64], [1000, 7], [33, 129]].forEach(([r, c], k) => {
    const v = Float32Array.from(seededFloats(r * c, 11 + k), (x, i) => (i % 5 === 0 ? 0 : (x - 0.5) * (k + 1)));
    out.push({ entry: { name: `dense_${k}/kernel`, shape: [r, c], dtype: 'float32' }, bytes: u8(v) });
  });
  out.push({
    entry: { name: 'q/kernel', shape: [40, 50], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.01, min: -1.2 } },
    bytes: Uint8Array.from(seededFloats(2000, 5), (x) => Math.floor(x * 256)),
  });
  return out;
}

// Kernels only: the float16 entry of everyDtype holds Infinity, which the quantizers refuse.
const quantize = (dtype: 'float16' | 'int8' | 'uint8', perChannel = false) => ({ dtype, perChannel, include: ['*kernel'], exclude: [], minElements: 0, allowNonfinite: false });
const prune = (scope: 'layer' | 'global', pattern: 'unstructured' | { n: number; m: number } = 'unstructured') => ({
  sparsity: 0.6,
  scope,
  pattern,
  include: [],
  exclude: [],
  minElements: 0,
  allowEmpty: true,
});

const RECIPES: Array<[string, Recipe, string]> = [
  ['int8', { quantize: quantize('int8') }, ''],
  ['float16', { quantize: quantize('float16') }, ''],
  ['prune-global', { prune: prune('global') }, ''],
  ['prune-2of4 + uint8', { prune: prune('layer', { n: 2, m: 4 }), quantize: quantize('uint8') }, ''],
  ['pack', {}, '.mcz'],
  ['prune + int8 per channel', { prune: prune('layer'), quantize: quantize('int8', true) }, '.mcz'],
];

/** Every file under `p` (a folder or one file), by name, with its bytes. */
function filesOf(p: string): Record<string, string> {
  if (!statSync(p).isDirectory()) return { file: readFileSync(p).toString('base64') };
  return Object.fromEntries(readdirSync(p).sort().map((f) => [f, readFileSync(path.join(p, f)).toString('base64')]));
}

describe('worker threads', () => {
  const dir = tempDir('mc-parallel-');
  let workerScript = '';
  let model = '';
  beforeAll(async () => {
    workerScript = path.join(dir, 'worker.mjs');
    await build({ entryPoints: ['src/parallel/worker.ts'], bundle: true, platform: 'node', format: 'esm', outfile: workerScript, logLevel: 'error' });
    model = writeModel(path.join(dir, 'model'), entries(), { shardSize: 7000 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, recipe, ext] of RECIPES) {
    it(`${name}: the same bytes and outcomes with 2 workers as on the main thread`, async () => {
      const one = path.join(dir, `${name}-main${ext}`);
      const two = path.join(dir, `${name}-workers${ext}`);
      const a = await compressModel(model, one, recipe, { workers: 0 });
      const b = await compressModel(model, two, recipe, { workers: 2, workerScript });
      expect(filesOf(two)).toEqual(filesOf(one));
      expect(b.tensors).toEqual(a.tensors);
      expect(b.warnings).toEqual(a.warnings);
      expect(b.container).toEqual(a.container);
    });
  }

  it('a failure in a worker is the McError the main thread would throw', async () => {
    const bad = entries();
    const v = new Float32Array(bad[bad.length - 2].bytes.buffer.slice(0));
    v[17] = NaN;
    bad[bad.length - 2] = { ...bad[bad.length - 2], bytes: u8(v) };
    const m = writeModel(path.join(dir, 'nan'), bad);
    const errorOf = async (workers: number) => {
      try {
        await compressModel(m, path.join(dir, `nan-${workers}`), { quantize: quantize('int8') }, { workers, workerScript });
      } catch (e) {
        return e;
      }
      throw new Error('expected a failure');
    };
    const [a, b] = [await errorOf(0), await errorOf(2)];
    expect(isMcError(b)).toBe(true);
    expect({ code: (b as { code: string }).code, message: (b as Error).message }).toEqual({ code: (a as { code: string }).code, message: (a as Error).message });
    expect((b as Error).message).toMatch(/dense_3\/kernel.*NaN\/Infinity \(first at index 17\)/);
  });

  it('orderedMap keeps input order, bounds what is in flight, and surfaces the first failure in order', async () => {
    let running = 0;
    let most = 0;
    const delays = [30, 1, 20, 1, 5, 1, 1, 10];
    const out: number[] = [];
    for await (const x of orderedMap(
      delays.map((d, i) => ({ d, i })),
      async ({ d, i }) => {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, d));
        running--;
        return i;
      },
      { count: 3, weight: Infinity },
    )) out.push(x);
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
    // By weight: one heavy item runs alone.
    most = 0;
    running = 0;
    for await (const _ of orderedMap(
      [5, 5, 5],
      async (w) => {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 2));
        running--;
        return w;
      },
      { count: 10, weight: 6 },
      (w) => w,
    ));
    expect(most).toBe(1);
    const seen: number[] = [];
    const failing = async () => {
      for await (const x of orderedMap(
        [0, 1, 2, 3],
        async (i) => {
          await new Promise((r) => setTimeout(r, i === 2 ? 1 : 10));
          if (i >= 2) throw new Error(`item ${i}`);
          return i;
        },
        { count: 4, weight: Infinity },
      ))
        seen.push(x);
    };
    await expect(failing()).rejects.toThrow('item 2');
    expect(seen).toEqual([0, 1]);
  });
});
