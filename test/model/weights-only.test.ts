/**
 * Weights-only manifests (face-api's `*-weights_manifest.json`: a bare list of groups, no
 * topology) through every command: read as stock tfjs reads them, written back in the
 * same form under the same name, packed into a version-2 .mcz and unpacked again.
 */
import { readFileSync, readdirSync, writeFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadModel, isWeightsOnly, resolveModelPath } from '../../src/model/load.js';
import { fileHandler } from '../../src/model/tfjs-io.js';
import { compressInMemory } from '../../src/compress.js';
import { mczLoader, mczWeights, parseMcz } from '../../src/loader.js';
import { modelFiles } from '../../src/size.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/synthetic.js';
import { FACE_DIR, FACE_MANIFEST, stockWeights, writeWeightsOnly } from '../helpers/weights-only.js';

/** Every tensor's decoded values, by name, as maas-compress decodes them. */
async function decoded(p: string): Promise<Map<string, ArrayLike<number>>> {
  const m = await loadModel(p);
  const out = new Map<string, ArrayLike<number>>();
  for (const t of m.tensors) out.set(t.name, (await m.readValues(t)) as ArrayLike<number>);
  await m.close();
  return out;
}

/** The bytes of every shard of a weights-only manifest, in manifest order. */
function shardBytes(file: string): Buffer {
  const groups = JSON.parse(readFileSync(file, 'utf8')) as Array<{ paths: string[] }>;
  return Buffer.concat(groups.flatMap((g) => g.paths.map((p) => readFileSync(path.join(path.dirname(file), p)))));
}

const entriesOf = (file: string): unknown[] => (JSON.parse(readFileSync(file, 'utf8')) as Array<{ weights: unknown[] }>).flatMap((g) => g.weights);

async function ok(argv: string[]): Promise<string> {
  const r = await cli(argv);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe('reading a weights-only manifest', () => {
  it("decodes face-api's tiny face detector value for value as stock tfjs's weights loader", async () => {
    const m = await loadModel(FACE_DIR);
    expect(m.format).toBe('weights-only');
    expect(m.file).toBe(path.join(FACE_DIR, FACE_MANIFEST));
    expect(m.json.manifestFile).toBe(FACE_MANIFEST);
    expect(m.tensors.length).toBe(19);
    await m.close();
    const stock = await stockWeights(path.join(FACE_DIR, FACE_MANIFEST));
    const ours = await decoded(FACE_DIR);
    expect([...ours.keys()]).toEqual(Object.keys(stock));
    for (const [name, v] of ours) expect(Array.from(v), name).toEqual(Array.from(stock[name].values));
    expect(await modelFiles(FACE_DIR)).toEqual([path.join(FACE_DIR, FACE_MANIFEST), path.join(FACE_DIR, 'tiny_face_detector_model.bin')]);
    expect(await isWeightsOnly(FACE_DIR)).toBe(true);
    expect(await isWeightsOnly('fixtures/digits-cnn')).toBe(false);
  });

  it('reads every group of a two-group manifest (uint8 and float32), shards without extension', async () => {
    const file = writeWeightsOnly(path.join(tempDir(), 'm'));
    const stock = await stockWeights(file);
    const ours = await decoded(file);
    expect([...ours.keys()]).toEqual(['conv0/filters', 'conv0/bias', 'fc/weights', 'fc/bias', 'fc/steps']);
    for (const [name, v] of ours) expect(Array.from(v), name).toEqual(Array.from(stock[name].values));
  });

  it('a folder resolves to its one weights manifest; model.json wins; several are named in the error', async () => {
    const dir = path.join(tempDir(), 'm');
    const file = writeWeightsOnly(dir);
    expect(await resolveModelPath(dir)).toBe(file);
    writeWeightsOnly(dir, undefined, 'other_model');
    await expect(resolveModelPath(dir)).rejects.toMatchObject({
      code: 'MISSING_FILE',
      message: `${dir}: expected a model.json or one *weights_manifest.json in this folder, found no model.json and 2 weights manifests (mixed_model-weights_manifest.json, other_model-weights_manifest.json); name one`,
    });
    for (const f of ['model.json', 'group1-shard1of1.bin']) copyFileSync(path.join('fixtures/digits-cnn', f), path.join(dir, f));
    expect(await resolveModelPath(dir)).toBe(path.join(dir, 'model.json'));
  });

  it('tfjs model loaders get a clear error, not a model without layers', async () => {
    await expect(fileHandler(FACE_DIR).load!()).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/tiny_face_detector_model-weights_manifest\.json: a weights-only manifest has no model topology/) });
    await expect(compressInMemory(FACE_DIR, {})).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});

describe('commands on a weights-only manifest', () => {
  it('inspect --json lists its tensors and says weights-only', async () => {
    const file = writeWeightsOnly(path.join(tempDir(), 'm'));
    const r = JSON.parse(await ok(['inspect', file, '--json']));
    expect(r.format).toBe('weights-only');
    expect(r.tensors.map((t: { name: string; encoding: string }) => `${t.name}:${t.encoding}`)).toEqual(['conv0/filters:uint8 affine', 'conv0/bias:uint8 affine', 'fc/weights:float32', 'fc/bias:float32', 'fc/steps:int32']);
    expect(r.totals).toEqual({ tensors: 5, parameters: 288 + 8 + 512 + 16 + 4, bytes: 288 + 8 + 2048 + 64 + 16 });
  });

  for (const dtype of ['float16', 'int8', 'uint8'] as const) {
    it(`quantize --dtype ${dtype} writes a weights-only manifest stock tfjs decodes within the pass's bound`, async () => {
      const root = tempDir();
      const file = writeWeightsOnly(path.join(root, 'm'));
      const out = path.join(root, 'out');
      await ok(['quantize', path.join(root, 'm'), '--dtype', dtype, '--min-elements', '0', '-o', out]);
      expect(readdirSync(out).sort()).toEqual(['group1-shard1of1.bin', 'mixed_model-weights_manifest.json']);
      const written = JSON.parse(readFileSync(path.join(out, 'mixed_model-weights_manifest.json'), 'utf8'));
      expect(Array.isArray(written) && written.length === 1 && written[0].paths).toEqual(['group1-shard1of1.bin']);
      const before = await decoded(file);
      const after = await stockWeights(path.join(out, 'mixed_model-weights_manifest.json'));
      expect(Object.keys(after)).toEqual([...before.keys()]);
      for (const e of written[0].weights as Array<{ name: string; dtype: string; quantization?: { dtype: string; scale?: number } }>) {
        const a = before.get(e.name) as ArrayLike<number>;
        const b = after[e.name].values;
        if (e.dtype === 'int32') {
          expect(e.quantization).toBeUndefined();
          expect(Array.from(b)).toEqual(Array.from(a));
          continue;
        }
        expect(e.quantization?.dtype).toBe(dtype === 'int8' ? 'uint8' : dtype);
        const scale = e.quantization?.scale ?? 0;
        let max = 0;
        let lo = Infinity;
        let hi = -Infinity;
        for (let i = 0; i < a.length; i++) {
          // float16: half an ulp (2^-11 relative, 2^-25 in the subnormals); affine: scale / 2 plus float32 rounding of the decode.
          const bound = dtype === 'float16' ? Math.max(Math.abs(a[i]) * 2 ** -11, 2 ** -25) : scale / 2 + Math.abs(a[i]) * 2 ** -23;
          expect(Math.abs(b[i] - a[i]), `${e.name}[${i}]`).toBeLessThanOrEqual(bound);
          max = Math.max(max, Math.abs(a[i]));
          lo = Math.min(lo, a[i]);
          hi = Math.max(hi, a[i]);
        }
        // The bound is a real one: the scale is the pass's own, not one wide enough to pass anything.
        if (e.name === 'fc/weights' && dtype === 'int8') expect(scale).toBeCloseTo(max / 127, 7);
        if (e.name === 'fc/weights' && dtype === 'uint8') expect(scale).toBeLessThanOrEqual(((hi - lo) / 255) * 1.0001);
      }
    });
  }

  it('prune zeros half of each kernel, leaves biases and int32 alone, and writes the same form', async () => {
    const root = tempDir();
    const file = writeWeightsOnly(path.join(root, 'm'));
    const out = path.join(root, 'out');
    await ok(['prune', file, '--sparsity', '50%', '--min-elements', '0', '-o', out]);
    const before = await decoded(file);
    const written = path.join(out, 'mixed_model-weights_manifest.json');
    const after = await stockWeights(written);
    const scales = new Map(entriesOf(written).map((e) => [(e as { name: string }).name, (e as { quantization?: { scale: number } }).quantization?.scale ?? 0]));
    for (const name of ['conv0/filters', 'fc/weights']) {
      const b = after[name].values;
      const zeros = Array.from(b).filter((v) => v === 0).length;
      expect(zeros / b.length, name).toBeGreaterThanOrEqual(0.5);
      // Kept weights are the input's: exactly for float32, within half a step of the grid the uint8 tensor is stored on.
      const a = before.get(name) as ArrayLike<number>;
      const bound = (scales.get(name) as number) / 2;
      expect(bound).toBeLessThan(0.01);
      for (let i = 0; i < b.length; i++) if (b[i] !== 0) expect(Math.abs(b[i] - a[i]), `${name}[${i}]`).toBeLessThanOrEqual(bound + Math.abs(a[i]) * 2 ** -23);
    }
    for (const name of ['conv0/bias', 'fc/bias', 'fc/steps']) expect(Array.from(after[name].values), name).toEqual(Array.from(before.get(name) as ArrayLike<number>));
  });

  it('pack then unpack gives back the same manifest name, entries and weight bytes; the .mcz is format version 2', async () => {
    const root = tempDir();
    const mcz = path.join(root, 'face.mcz');
    const out = path.join(root, 'out');
    await ok(['pack', FACE_DIR, '-o', mcz]);
    const bytes = new Uint8Array(readFileSync(mcz));
    expect(new DataView(bytes.buffer).getUint32(8, true)).toBe(2);
    const m = parseMcz(bytes, 'face.mcz');
    expect(m.format).toBe('weights-only');
    expect(m.modelJson).toMatchObject({ format: 'weights-only', manifestFile: FACE_MANIFEST, userDefinedMetadata: { 'maas-compress': { steps: [{ command: 'pack' }] } } });
    await ok(['unpack', mcz, '-o', out]);
    expect(readdirSync(out).sort()).toEqual(['group1-shard1of1.bin', FACE_MANIFEST]);
    const src = path.join(FACE_DIR, FACE_MANIFEST);
    const dst = path.join(out, FACE_MANIFEST);
    expect(shardBytes(dst).equals(shardBytes(src))).toBe(true);
    expect(entriesOf(dst)).toEqual(entriesOf(src));
    // A bare list again: nothing of the record (a list has no place for it).
    expect(JSON.parse(readFileSync(dst, 'utf8'))).toEqual([{ paths: ['group1-shard1of1.bin'], weights: entriesOf(src) }]);
    // Two groups become one, their bytes in manifest order.
    const file = writeWeightsOnly(path.join(root, 'two'));
    await ok(['pack', file, '-o', path.join(root, 'two.mcz')]);
    await ok(['unpack', path.join(root, 'two.mcz'), '-o', path.join(root, 'two-out')]);
    expect(shardBytes(path.join(root, 'two-out', 'mixed_model-weights_manifest.json')).equals(shardBytes(file))).toBe(true);
  });

  it('the browser loader refuses a tfjs model from it and gives its weights for tf.io.decodeWeights', async () => {
    const root = tempDir();
    await ok(['pack', FACE_DIR, '-o', path.join(root, 'face.mcz')]);
    const bytes = new Uint8Array(readFileSync(path.join(root, 'face.mcz')));
    await expect(mczLoader(bytes, { name: 'face.mcz' }).load!()).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: 'face.mcz: a weights-only manifest has no model topology, so tf.loadLayersModel / tf.loadGraphModel cannot build a model from it; read its tensors with mczWeights() and tf.io.decodeWeights',
    });
    const { weightData, weightSpecs } = await mczWeights(bytes);
    const map = tf.io.decodeWeights(weightData, weightSpecs);
    const stock = await stockWeights(path.join(FACE_DIR, FACE_MANIFEST));
    expect(Object.keys(map)).toEqual(Object.keys(stock));
    for (const [name, t] of Object.entries(map)) {
      expect(t.shape, name).toEqual(stock[name].shape);
      expect(Array.from(t.dataSync()), name).toEqual(Array.from(stock[name].values));
    }
    tf.dispose(Object.values(map));
  });

  it('compress to .mcz: pruned, int8 per channel within bound, 1.8x smaller or better; unpack widens per-channel tensors to float32', async () => {
    const root = tempDir();
    const mcz = path.join(root, 'face.mcz');
    const r = JSON.parse(await ok(['compress', FACE_DIR, '--prune', '0.5', '--quantize', 'int8', '--per-channel', '-o', mcz, '--json']));
    expect(r.sizes.reduction).toBeGreaterThan(1.8);
    const m = parseMcz(new Uint8Array(readFileSync(mcz)), 'face.mcz');
    expect(m.format).toBe('weights-only');
    const before = await decoded(FACE_DIR);
    m.tensors.forEach((t, i) => {
      const a = before.get(t.name) as ArrayLike<number>;
      const b = m.decodeTensor(i) as Float32Array;
      let max = 0;
      for (let k = 0; k < a.length; k++) max = Math.max(max, Math.abs(a[k]));
      // Per-channel scales are at most the per-tensor one, max|v| / 127.
      const bound = max / 127 / 2 + max * 2 ** -23;
      let zeros = 0;
      for (let k = 0; k < a.length; k++) {
        if (b[k] === 0) zeros++;
        else expect(Math.abs(b[k] - a[k]), `${t.name}[${k}]`).toBeLessThanOrEqual(t.encoding.startsWith('int8') ? bound : 0);
      }
      const pruned = r.tensors[i].pruned as boolean;
      if (pruned) expect(zeros / a.length, t.name).toBeGreaterThanOrEqual(0.5);
    });
    expect(r.tensors.filter((t: { pruned: boolean }) => t.pruned).length).toBeGreaterThan(0);
    // The float32 kernel of the two-group manifest becomes int8 per channel, which unpack writes as float32.
    const file = writeWeightsOnly(path.join(root, 'two'));
    await ok(['compress', file, '--prune', '0.5', '--quantize', 'int8', '--per-channel', '--min-elements', '0', '-o', path.join(root, 'two.mcz')]);
    const out = path.join(root, 'out');
    const u = JSON.parse(await ok(['unpack', path.join(root, 'two.mcz'), '-o', out, '--json']));
    expect(u.widened).toContain('fc/weights');
    const entry = entriesOf(path.join(out, 'mixed_model-weights_manifest.json')).find((e) => (e as { name: string }).name === 'fc/weights');
    expect(entry).toEqual({ name: 'fc/weights', shape: [32, 16], dtype: 'float32' });
    const a = (await decoded(file)).get('fc/weights') as Float32Array;
    const b = (await stockWeights(path.join(out, 'mixed_model-weights_manifest.json')))['fc/weights'].values;
    const max = a.reduce((x, v) => Math.max(x, Math.abs(v)), 0);
    expect(b.filter((v) => v === 0).length / b.length).toBeGreaterThanOrEqual(0.5);
    for (let k = 0; k < a.length; k++) if (b[k] !== 0) expect(Math.abs(b[k] - a[k])).toBeLessThanOrEqual(max / 127 / 2 + max * 2 ** -23);
  });

  it('copy re-shards and keeps the weights byte for byte', async () => {
    const out = path.join(tempDir(), 'out');
    await ok(['copy', FACE_DIR, '--shard-size', '65536', '-o', out]);
    const dst = path.join(out, FACE_MANIFEST);
    expect(JSON.parse(readFileSync(dst, 'utf8'))[0].paths).toEqual(['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin']);
    expect(shardBytes(dst).equals(shardBytes(path.join(FACE_DIR, FACE_MANIFEST)))).toBe(true);
  });

  it('a manifest named otherwise keeps its name; a JSON array under model.json is weights-only too', async () => {
    const root = tempDir();
    const dir = path.join(root, 'm');
    const file = writeWeightsOnly(dir);
    const renamed = path.join(dir, 'model.json');
    writeFileSync(renamed, readFileSync(file));
    await ok(['copy', renamed, '-o', path.join(root, 'out')]);
    expect(readdirSync(path.join(root, 'out')).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    expect(Array.isArray(JSON.parse(readFileSync(path.join(root, 'out', 'model.json'), 'utf8')))).toBe(true);
  });
});
