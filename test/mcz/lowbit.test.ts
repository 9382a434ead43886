/**
 * intN and cluster tensors through .mcz (format version 3): decoded bit for bit as the
 * pass decoded them by the in-memory reader, the file reader and the loader; pruned
 * zeros kept and cheap; deterministic files; versions; damaged heads and codes refused.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { McError } from '../../src/errors.js';
import { weightsOf } from '../../src/loader.js';
import { openMcz } from '../../src/mcz/file.js';
import { parseMcz } from '../../src/mcz/read.js';
import { unpackMcz } from '../../src/mcz/unpack.js';
import { encodeMcz, sectionChunks } from '../../src/mcz/write.js';
import { writeBody } from '../../src/mcz/body.js';
import { ByteWriter } from '../../src/mcz/bytes.js';
import { crc32 } from '../../src/mcz/crc32.js';
import { type SectionHead, writeHead } from '../../src/mcz/format.js';
import type { ManifestEntry } from '../../src/model/manifest.js';
import { encodeCluster } from '../../src/passes/cluster.js';
import { encodeIntN } from '../../src/passes/intn.js';
import { applyPlan, planLayer } from '../../src/passes/prune.js';
import { quantizeInt8 } from '../../src/passes/quantize.js';
import type { Encoded, WeightTensor } from '../../src/passes/types.js';
import { tempDir } from '../helpers/synthetic.js';
import { seededFloats } from '../helpers/tfjs.js';

const json = { modelTopology: { node: [] }, format: 'graph-model', weightsManifest: [] };
const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const version = (bytes: Uint8Array): number => new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);

/** A seeded [rows, cols] kernel, channels on the last axis with different scales, pruned to `sparsity`. */
function kernel(rows: number, cols: number, sparsity: number, seed: number): WeightTensor {
  const v = seededFloats(rows * cols, seed).map((x, i) => (x - 0.5) * (1 + (i % cols)) * 0.1);
  return { name: 'w', shape: [rows, cols], values: sparsity > 0 ? applyPlan(v, planLayer(v, sparsity)) : v };
}

/** Encode one tensor into a .mcz in memory and read it back every way a reader can. */
async function roundTrip(t: WeightTensor, enc: Encoded): Promise<{ bytes: Uint8Array; decoded: Float32Array[]; sparse: boolean; encoding: string; sectionBytes: number }> {
  const { bytes, stats } = await encodeMcz(json, [{ entry: { name: t.name, shape: [...t.shape], dtype: 'float32' }, encoded: enc }]);
  const m = parseMcz(bytes, 'w.mcz');
  const loader = weightsOf(m);
  const file = path.join(tempDir('lowbit-'), 'w.mcz');
  writeFileSync(file, bytes);
  const f = await openMcz(file);
  const fromFile = (await f.decodeTensor(0)) as Float32Array;
  await f.close();
  return {
    bytes,
    decoded: [m.decodeTensor(0) as Float32Array, new Float32Array(loader.weightData), fromFile],
    sparse: stats.perTensor[0].sparse,
    encoding: m.tensors[0].encoding,
    sectionBytes: stats.perTensor[0].bytes,
  };
}

describe('intN and cluster tensors in .mcz', () => {
  it('every bit width, both grids and clusters, dense or sparse: readers and loader give exactly the pass decoded values', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          rows: fc.integer({ min: 1, max: 90 }),
          cols: fc.integer({ min: 1, max: 7 }),
          sparsity: fc.constantFrom(0, 0.5, 0.9),
          seed: fc.integer({ min: 1, max: 1000 }),
          codec: fc.oneof(
            fc.record({ bits: fc.integer({ min: 2, max: 8 }), groupSize: fc.constantFrom(1, 5, 32, 64, 1000), symmetric: fc.boolean() }),
            fc.record({ k: fc.constantFrom(2, 3, 16, 256), perChannel: fc.boolean() }),
          ),
        }),
        async ({ rows, cols, sparsity, seed, codec }) => {
          const t = kernel(rows, cols, sparsity, seed);
          const enc = 'bits' in codec ? encodeIntN(t, 1, { ...codec, allowNonfinite: false }) : encodeCluster(t, { ...codec, axis: codec.perChannel ? 1 : null, seed });
          const r = await roundTrip(t, enc);
          expect(version(r.bytes)).toBe(3);
          for (const d of r.decoded) expect(bits(d)).toEqual(bits(enc.decoded));
          // Pruned weights stay exactly 0.
          for (let i = 0; i < t.values.length; i++) if (t.values[i] === 0) expect(Object.is(r.decoded[0][i], 0)).toBe(true);
          // Deterministic: the same bytes again.
          expect((await encodeMcz(json, [{ entry: { name: 'w', shape: [rows, cols], dtype: 'float32' }, encoded: enc }])).bytes).toEqual(r.bytes);
        },
      ),
      { seed: 5, numRuns: 120 },
    );
  }, 120_000);

  it('names the encodings; pruned weights cost their positions only (sparse sections)', async () => {
    const dense = kernel(784, 30, 0, 3);
    const pruned = kernel(784, 30, 0.9, 3);
    const o = { bits: 4, groupSize: 64, symmetric: false, allowNonfinite: false };
    const a = await roundTrip(dense, encodeIntN(dense, 1, o));
    const b = await roundTrip(pruned, encodeIntN(pruned, 1, o));
    expect(a.encoding).toBe('int4 g64 (axis 1)');
    expect(a.sparse).toBe(false);
    expect(b.sparse).toBe(true);
    // 10 % of the weights left: their codes and positions, well under a third of the dense section.
    expect(b.sectionBytes).toBeLessThan(a.sectionBytes / 3);
    const c = await roundTrip(pruned, encodeCluster(pruned, { k: 16, perChannel: true, axis: 1, seed: 1 }));
    expect(c.encoding).toBe('cluster16 (axis 1)');
    expect(c.sparse).toBe(true);
    const s = await roundTrip(dense, encodeIntN(dense, 1, { ...o, bits: 3, symmetric: true, groupSize: 10_000 }));
    expect(s.encoding).toBe('int3 g784 symmetric (axis 1)');
  });

  it('files without the new encodings stay version 1; unpack widens intN and clusters to float32 and says so', async () => {
    const t = kernel(64, 4, 0.5, 9);
    const old = await encodeMcz(json, [{ entry: { name: 'w', shape: [64, 4], dtype: 'float32' }, encoded: quantizeInt8(t, { axis: 1 }) }]);
    expect(version(old.bytes)).toBe(1);
    const enc = encodeIntN(t, 1, { bits: 2, groupSize: 16, symmetric: false, allowNonfinite: false });
    const { bytes } = await encodeMcz(json, [{ entry: { name: 'w', shape: [64, 4], dtype: 'float32' }, encoded: enc }]);
    const dir = tempDir('lowbit-unpack-');
    writeFileSync(path.join(dir, 'w.mcz'), bytes);
    const r = await unpackMcz(path.join(dir, 'w.mcz'), path.join(dir, 'out'));
    expect(r.widened).toEqual(['w']);
  });

  it('refuses a version 3 section in an older file, damaged heads and out-of-range codes; the writer refuses such codes', async () => {
    const t = kernel(40, 3, 0, 2);
    const enc = encodeIntN(t, 1, { bits: 3, groupSize: 8, symmetric: false, allowNonfinite: false });
    const entry = { name: 'w', shape: [40, 3], dtype: 'float32' as const };
    const { bytes } = await encodeMcz(json, [{ entry, encoded: enc }]);
    const older = bytes.slice();
    new DataView(older.buffer).setUint32(8, 1, true);
    expect(failure(older)).toMatch(/^BAD_MANIFEST: w\.mcz: tensor "w" \(section 0\): unknown section kind 2 in format version 1/);
    // A streaming writer not told about the new encodings refuses instead of writing a file older readers misread.
    const stats = { bytes: 0, coded: 0, entropyBound: 0, perTensor: [] };
    const section = { entry, section: Uint8Array.of(2), crc: 0, decodedBytes: 0, stats: { name: 'w', encoding: 'int3', sparse: false, bytes: 1, coded: 0, bound: 0 } };
    await expect(drain(sectionChunks(json, [section], stats))).rejects.toThrow(/tensor "w": int3 needs \.mcz format version 3, but the file was begun as version 1/);

    const g = enc.encoding as Extract<Encoded['encoding'], { kind: 'intn' }>;
    const codes = enc.symbols as Uint8Array;
    expect(failure(await fileWith(entry, { ...g, bits: 9 }, codes))).toMatch(/^BAD_MANIFEST: w\.mcz: tensor "w" \(section 0\): head fields out of range/);
    // An affine int3 zero code of 200: the group's codes decode outside 0..7.
    const zeros = (g.zeros as Uint8Array).slice();
    zeros[4] = 200;
    expect(failure(await fileWith(entry, { ...g, zeros }, codes))).toMatch(/^BAD_MANIFEST: w\.mcz: tensor "w": element \d+: code out of range \(corrupt file\)/);
    // A symmetric int3 byte of 5 (|q| <= 3) and a cluster index past k.
    const bad = codes.slice();
    bad[7] = 5;
    expect(failure(await fileWith(entry, { ...g, symmetric: true, zeros: null }, bad))).toMatch(/element 7: code out of range/);
    const book = encodeCluster(t, { k: 4, perChannel: false, axis: null, seed: 1 });
    const idx = (book.symbols as Uint8Array).slice();
    idx[11] = 4;
    expect(failure(await fileWith(entry, book.encoding as Parameters<typeof fileWith>[1], idx))).toMatch(/element 11: code out of range/);
    // The writer checks what the reader would refuse.
    await expect(encodeMcz(json, [{ entry, encoded: { ...book, symbols: idx } }])).rejects.toThrow(/tensor "w": element 11 has cluster index 4, expected < 4/);
    await expect(encodeMcz(json, [{ entry, encoded: { ...enc, encoding: { ...g, zeros } } }])).rejects.toThrow(/tensor "w": zero code 200 is outside the int3 range/);
    await expect(encodeMcz(json, [{ entry, encoded: { ...enc, symbols: bad, encoding: { ...g, symmetric: true, zeros: null } } }])).rejects.toThrow(/tensor "w": element 7 has code byte 5, outside the int3 range of its group/);
  });
});

/** The error a reader gives for `b` (decoding tensor 0), as "CODE: message", or "ok". */
function failure(b: Uint8Array): string {
  try {
    parseMcz(b, 'w.mcz').decodeTensor(0);
  } catch (e) {
    expect(e).toBeInstanceOf(McError);
    return `${(e as McError).code}: ${(e as McError).message}`;
  }
  return 'ok';
}

async function drain(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of chunks) out.push(c.slice());
  return out;
}

/** A version 3 file of one section written from `head` and `codes` as given, past the writer's checks. */
async function fileWith(entry: ManifestEntry, head: SectionHead, codes: Uint8Array): Promise<Uint8Array> {
  const w = new ByteWriter(4096 + 2 * codes.length);
  writeHead(w, head);
  writeBody(w, { bytes: codes, count: codes.length, width: 1, strings: false });
  const section = w.view().slice();
  const stats = { bytes: 0, coded: 0, entropyBound: 0, perTensor: [] };
  const s = { entry, section, crc: crc32(section), decodedBytes: 4 * codes.length, stats: { name: entry.name, encoding: head.kind, sparse: false, bytes: section.length, coded: 0, bound: 0 } };
  const parts = await drain(sectionChunks(json, [s], stats, { lowBit: true }));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
