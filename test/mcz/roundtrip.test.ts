/** Lossless pack → parse → unpack for every fixture and every dtype; determinism; atomic writes. */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMcError } from '../../src/errors.js';
import { decodeEntry } from '../../src/model/decode.js';
import { loadModel } from '../../src/model/load.js';
import { parseMcz } from '../../src/mcz/read.js';
import { readMcz, unpackMcz } from '../../src/mcz/unpack.js';
import { encodeMcz, writeMcz } from '../../src/mcz/write.js';
import { everyDtype, tempDir, writeModel } from '../helpers/synthetic.js';
import { fixtureModels } from '../helpers/tfjs.js';
import { packFixture, storedTensors } from './helpers.js';

const fixtures = fixtureModels();

/** All stored bytes and entries of a model folder, in manifest order. */
async function weights(p: string): Promise<{ entries: unknown[]; bytes: Buffer }> {
  const m = await loadModel(p);
  try {
    const parts: Uint8Array[] = [];
    for (const t of m.tensors) parts.push(await m.readBytes(t));
    return { entries: m.tensors.map((t) => t.entry), bytes: Buffer.concat(parts) };
  } finally {
    await m.close();
  }
}

describe('lossless pack of every fixture', () => {
  it('covers the five fixtures', () => {
    expect(fixtures.map((f) => path.basename(f))).toEqual(['bigmodel', 'digits-cnn', 'mnist-graph', 'mnist-mlp', 'mnist-uint8']);
  });

  for (const dir of fixtures) {
    it(`${path.basename(dir)}: parse gives the stored entries and bytes; unpack gives byte-identical weights`, async () => {
      const { bytes, json, tensors, stats } = await packFixture(dir);
      const m = parseMcz(bytes, 'x.mcz');
      expect(m.tensors.map((t) => t.name)).toEqual(tensors.map((t) => t.entry.name));
      tensors.forEach((t, i) => {
        const s = m.storedEntry(i);
        expect(s.widened).toBe(false);
        expect(s.entry).toEqual(t.entry);
        expect(Buffer.from(s.bytes).equals(Buffer.from(t.stored as Uint8Array))).toBe(true);
        // Decoded values are what stock decoding of the stored entry gives.
        expect(m.decodeTensor(i)).toEqual(decodeEntry(t.entry, t.stored as Uint8Array));
      });
      const { weightsManifest: _w, ...rest } = json;
      expect(m.modelJson).toEqual(rest);
      expect(stats.bytes).toBe(bytes.length);

      const out = path.join(tempDir(), 'unpacked');
      const file = path.join(tempDir(), 'm.mcz');
      writeFileSync(file, bytes);
      const r = await unpackMcz(file, out);
      expect(r.widened).toEqual([]);
      const a = await weights(dir);
      const b = await weights(out);
      expect(b.entries).toEqual(a.entries);
      expect(b.bytes.equals(a.bytes)).toBe(true);
      const src = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
      const dst = JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8'));
      for (const k of Object.keys(src)) if (k !== 'weightsManifest') expect(dst[k]).toEqual(src[k]);
    });
  }
});

describe('every dtype and stored encoding', () => {
  it('round-trips strings, bool, int32, complex64, uint8/uint16/float16 (with extra fields), scalars and empty tensors', async () => {
    const file = writeModel(path.join(tempDir(), 'm'), everyDtype(), { shardSize: 37 });
    const m = await loadModel(file);
    const tensors = await storedTensors(m);
    await m.close();
    const { bytes } = await encodeMcz(m.json, tensors);
    const p = parseMcz(bytes, 'every.mcz');
    tensors.forEach((t, i) => {
      expect(p.storedEntry(i).entry).toEqual(t.entry);
      expect(Array.from(p.storedEntry(i).bytes)).toEqual(Array.from(t.stored as Uint8Array));
      expect(p.decodeTensor(i)).toEqual(decodeEntry(t.entry, t.stored as Uint8Array));
    });
    expect(p.tensors.find((t) => t.name === 'q16')?.encoding).toBe('uint16 affine');
    expect(p.tensors.find((t) => t.name === 'h')?.encoding).toBe('float16');
  });

  it('round-trips sparse and constant tensors of every width', async () => {
    const n = 4096;
    const f = new Float32Array(n).map((_, i) => (i % 7 === 0 ? Math.sin(i) : 0));
    const f16 = new Uint16Array(n).map((_, i) => (i % 5 === 0 ? i : 0x3c00));
    const i32 = new Int32Array(n).map((_, i) => (i % 300 === 0 ? -i : 0));
    const u8 = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const tensors = [
      { entry: { name: 'f', shape: [64, 64], dtype: 'float32' as const }, stored: u8(f) },
      { entry: { name: 'h', shape: [n], dtype: 'float32' as const, quantization: { dtype: 'float16' as const } }, stored: u8(f16) },
      { entry: { name: 'i', shape: [n], dtype: 'int32' as const }, stored: u8(i32) },
      { entry: { name: 'zeros', shape: [n], dtype: 'float32' as const }, stored: new Uint8Array(4 * n) },
      { entry: { name: 'c', shape: [n / 2], dtype: 'complex64' as const }, stored: u8(f) },
    ];
    const { bytes, stats } = await encodeMcz({ modelTopology: { node: [] }, format: 'graph-model', weightsManifest: [] }, tensors);
    expect(stats.perTensor.filter((t) => t.sparse).map((t) => t.name)).toEqual(expect.arrayContaining(['f', 'h', 'i']));
    const p = parseMcz(bytes, 's.mcz');
    tensors.forEach((t, i) => expect(Buffer.from(p.storedEntry(i).bytes).equals(Buffer.from(t.stored))).toBe(true));
  });
});

describe('determinism and writing', () => {
  it('packs the same input to identical bytes', async () => {
    const a = await packFixture('fixtures/mnist-uint8');
    const b = await packFixture('fixtures/mnist-uint8');
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
  });

  it('writes atomically, refuses to overwrite without force, and records a step when asked', async () => {
    const m = await loadModel('fixtures/digits-cnn');
    const tensors = await storedTensors(m);
    await m.close();
    const dir = tempDir();
    const file = path.join(dir, 'out.mcz');
    const stats = await writeMcz(file, m.json, tensors, { step: { command: 'pack' }, version: '9.9.9' });
    expect(readFileSync(file).length).toBe(stats.bytes);
    expect((await readMcz(file)).modelJson.userDefinedMetadata).toEqual({ 'maas-compress': { version: '9.9.9', steps: [{ command: 'pack' }] } });
    const again = writeMcz(file, m.json, tensors, {});
    await expect(again).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    await writeMcz(file, m.json, tensors, { force: true });
    // A failing tensor leaves nothing behind: no output, no temporary file.
    const bad = path.join(dir, 'bad.mcz');
    const broken = [...tensors, { entry: { name: 'x', shape: [3], dtype: 'float32' as const }, stored: new Uint8Array(5) }];
    const err = await writeMcz(bad, m.json, broken, {}).catch((e: unknown) => e);
    expect(isMcError(err) && err.code).toBe('SIZE_MISMATCH');
    expect(existsSync(bad)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['out.mcz']);
  });

  it('takes tensors from an async iterable, one at a time', async () => {
    const m = await loadModel('fixtures/mnist-mlp');
    let inFlight = 0;
    async function* produce() {
      for (const t of m.tensors) {
        inFlight++;
        yield { entry: t.entry, stored: await m.readBytes(t) };
        inFlight--;
      }
    }
    const file = path.join(tempDir(), 'a.mcz');
    const stats = await writeMcz(file, m.json, produce(), {});
    await m.close();
    expect(inFlight).toBe(0);
    expect(stats.perTensor.map((t) => t.name)).toEqual(m.tensors.map((t) => t.name));
    expect((await readMcz(file)).tensors.length).toBe(m.tensors.length);
  });

  it('pads a near-constant model to stay within the reader budget', async () => {
    const json = { modelTopology: { node: [] }, format: 'graph-model', weightsManifest: [] };
    const zeros = { entry: { name: 'z', shape: [1 << 21], dtype: 'float32' as const }, stored: new Uint8Array(4 << 21) };
    const { bytes } = await encodeMcz(json, [zeros]);
    // 8 MiB of weights need a file of at least (8 MiB - 1 MiB) / 4096 bytes.
    expect(bytes.length).toBeGreaterThanOrEqual((7 << 20) / 4096);
    const p = parseMcz(bytes, 'z.mcz');
    expect((p.decodeTensor(0) as Float32Array).every((v) => v === 0)).toBe(true);
  });

  it('refuses duplicate names, a missing payload and an unknown dtype', async () => {
    const json = { modelTopology: { node: [] }, format: 'graph-model', weightsManifest: [] };
    const t = { entry: { name: 'a', shape: [1], dtype: 'float32' as const }, stored: new Uint8Array(4) };
    await expect(encodeMcz(json, [t, t])).rejects.toMatchObject({ code: 'BAD_MANIFEST' });
    await expect(encodeMcz(json, [{ entry: t.entry }])).rejects.toMatchObject({ code: 'USAGE' });
    await expect(encodeMcz(json, [{ entry: { ...t.entry, dtype: 'float64' as never }, stored: t.stored }])).rejects.toMatchObject({ code: 'BAD_DTYPE' });
  });
});
