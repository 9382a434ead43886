/** Encoded tensors (float32 after pruning, float16, affine, int8 per tensor and per channel), dense and sparse. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeEntry } from '../../src/model/decode.js';
import { applyPlan, planLayer } from '../../src/passes/prune.js';
import { quantizeAffine, quantizeFloat16, quantizeInt8 } from '../../src/passes/quantize.js';
import type { Encoded, WeightTensor } from '../../src/passes/types.js';
import { parseMcz } from '../../src/mcz/read.js';
import { unpackMcz } from '../../src/mcz/unpack.js';
import { encodeMcz } from '../../src/mcz/write.js';
import { loadModel } from '../../src/model/load.js';
import { tempDir } from '../helpers/synthetic.js';
import { seededFloats } from '../helpers/tfjs.js';

const json = { modelTopology: { node: [] }, format: 'graph-model', weightsManifest: [] };

/** A seeded weight tensor in [-0.5, 0.5) * scale per output channel (last axis), optionally pruned. */
function tensor(name: string, shape: number[], sparsity: number, seed: number): WeightTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const last = shape[shape.length - 1] ?? 1;
  const v = seededFloats(n, seed).map((x, i) => (x - 0.5) * (1 + (i % last)));
  return { name, shape, values: sparsity > 0 ? applyPlan(v, planLayer(v, sparsity)) : v };
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

const encoders: Array<[string, (t: WeightTensor) => Encoded]> = [
  ['float32', (t) => ({ encoding: { kind: 'float32' }, symbols: t.values, decoded: t.values, warnings: [] })],
  ['float16', (t) => quantizeFloat16(t, {})],
  ['uint8 affine', (t) => quantizeAffine(t, { dtype: 'uint8' })],
  ['uint16 affine', (t) => quantizeAffine(t, { dtype: 'uint16' })],
  ['int8', (t) => quantizeInt8(t, { axis: null })],
  ['int8 per channel (axis 1)', (t) => quantizeInt8(t, { axis: 1 })],
];

describe('encoded tensors decode exactly to encoded.decoded', () => {
  for (const [name, encode] of encoders) {
    for (const sparsity of [0, 0.8]) {
      it(`${name}, ${sparsity ? 'pruned 80 % (sparse)' : 'dense'}`, async () => {
        const t = tensor('w', [96, 40], sparsity, 7);
        const enc = encode(t);
        const { bytes, stats } = await encodeMcz(json, [{ entry: { name: 'w', shape: t.shape as number[], dtype: 'float32', quantization: { dtype: 'uint8', scale: 1, min: 0 } }, encoded: enc }]);
        expect(stats.perTensor[0].encoding).toBe(name);
        // uint16 codes of a pruned tensor spread over two bytes; every other form goes sparse.
        if (sparsity) expect(stats.perTensor[0].sparse).toBe(true);
        const m = parseMcz(bytes, 'w.mcz');
        expect(m.tensors[0].encoding).toBe(name);
        expect(bits(m.decodeTensor(0) as Float32Array)).toEqual(bits(enc.decoded));
        const d = m.decodedEntry(0);
        expect(d.entry).toEqual({ name: 'w', shape: [96, 40], dtype: 'float32' });
        expect(bits(new Float32Array(d.bytes.slice().buffer))).toEqual(bits(enc.decoded));
        // The stock form decodes (as stock tfjs would) to the same values.
        const s = m.storedEntry(0);
        expect(s.widened).toBe(name.includes('per channel'));
        expect(bits(decodeEntry(s.entry, s.bytes.slice()) as Float32Array)).toEqual(bits(enc.decoded));
        if (name === 'int8') expect(s.entry.quantization).toEqual({ dtype: 'uint8', scale: (enc.encoding as { scales: Float32Array }).scales[0], min: -128 * (enc.encoding as { scales: Float32Array }).scales[0] });
      });
    }
  }

  it('per channel on every axis of a conv kernel, and int8 with -0, all-zero channels and extreme scales', async () => {
    const shape = [3, 3, 4, 6];
    const t = tensor('k', shape, 0.5, 3);
    t.values[5] = -0;
    for (let i = 0; i < t.values.length; i += 6) t.values[i] = 0; // channel 0 of the last axis all zero
    t.values[1] = 3e38;
    t.values[2] = 1e-30;
    const tensors = [0, 1, 2, 3].map((axis) => ({ entry: { name: `k${axis}`, shape, dtype: 'float32' as const }, encoded: quantizeInt8({ ...t, name: `k${axis}` }, { axis }) }));
    const { bytes } = await encodeMcz(json, tensors);
    const m = parseMcz(bytes, 'k.mcz');
    tensors.forEach((x, i) => {
      expect(m.tensors[i].encoding).toBe(`int8 per channel (axis ${i})`);
      expect(bits(m.decodeTensor(i) as Float32Array)).toEqual(bits(x.encoded.decoded));
    });
  });

  it('unpack writes per-channel int8 as float32 and says so; per-tensor int8 as stock uint8', async () => {
    const t = tensor('w', [50, 30], 0.75, 11);
    const { bytes } = await encodeMcz(json, [
      { entry: { name: 'pc', shape: [50, 30], dtype: 'float32' }, encoded: quantizeInt8(t, { axis: 1 }) },
      { entry: { name: 'pt', shape: [50, 30], dtype: 'float32' }, encoded: quantizeInt8(t, { axis: null }) },
    ]);
    const file = path.join(tempDir(), 'm.mcz');
    writeFileSync(file, bytes);
    const out = path.join(tempDir(), 'u');
    const r = await unpackMcz(file, out);
    expect(r.widened).toEqual(['pc']);
    const m = await loadModel(out);
    expect(m.tensors.map((x) => x.entry.quantization?.dtype ?? x.entry.dtype)).toEqual(['float32', 'uint8']);
    expect(bits((await m.readValues(m.tensors[0])) as Float32Array)).toEqual(bits(quantizeInt8(t, { axis: 1 }).decoded));
    expect(bits((await m.readValues(m.tensors[1])) as Float32Array)).toEqual(bits(quantizeInt8(t, { axis: null }).decoded));
    await m.close();
  });

  it('refuses encodings that do not fit their entry', async () => {
    const t = tensor('w', [4, 4], 0, 1);
    const entry = { name: 'w', shape: [4, 4], dtype: 'float32' as const };
    const enc = quantizeInt8(t, { axis: 1 });
    await expect(encodeMcz(json, [{ entry: { ...entry, shape: [4, 5] }, encoded: enc }])).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    await expect(encodeMcz(json, [{ entry: { ...entry, dtype: 'int32' }, encoded: enc }])).rejects.toMatchObject({ code: 'BAD_DTYPE' });
    const badScales = { ...enc, encoding: { kind: 'int8' as const, axis: 1, scales: new Float32Array(3) } };
    await expect(encodeMcz(json, [{ entry, encoded: badScales }])).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    await expect(encodeMcz(json, [{ entry, encoded: { ...enc, symbols: new Uint8Array(16) } }])).rejects.toMatchObject({ code: 'USAGE' });
  });
});
