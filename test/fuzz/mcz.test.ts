/**
 * Fuzzing the .mcz readers: random mutations of valid containers (raw byte damage, and
 * damage behind valid checksums: inside a section, in the model section's JSON, in the
 * table) fed to every reader: parseMcz with decodeTensor / storedEntry / decodedEntry of
 * every tensor, the browser loader, the file reader (openMcz) and unpackMcz. Allowed: a
 * valid result or a McError, and all readers agree on whether a file is valid. What unpack
 * writes must load. CI runs a fixed seed; `npm run fuzz` many more cases.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { deflateSync, inflateSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { mczLoader } from '../../src/loader.js';
import { loadModel } from '../../src/model/load.js';
import { openMcz } from '../../src/mcz/file.js';
import { readFraming } from '../../src/mcz/format.js';
import { parseMcz } from '../../src/mcz/read.js';
import { unpackMcz } from '../../src/mcz/unpack.js';
import { encodeMcz } from '../../src/mcz/write.js';
import { everyDtype, tempDir, writeModel } from '../helpers/synthetic.js';
import { lowBitTensors, packFixture, patchSection, pruneInt8Tensors, rewriteTable, storedTensors, withModelSection } from '../mcz/helpers.js';
import { type ByteMutation, type JsonMutation, Tally, applyBytes, applyJson, byteMutations, jsonMutations, serialize, settings } from './mutate.js';

/** Where a case's mutations go; all but `bytes` keep every checksum valid. */
type Target =
  | { where: 'bytes'; ms: ByteMutation[] }
  | { where: 'section'; pick: number; ms: ByteMutation[] }
  | { where: 'model'; ms: JsonMutation[] }
  | { where: 'table'; pick: number; value: number };

const TABLE_VALUES = fc.oneof(fc.constantFrom(0, 1, 15, 16, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 40, 2 ** 53 - 1), fc.nat());
const target: fc.Arbitrary<Target> = fc.oneof(
  fc.record({ where: fc.constant('bytes' as const), ms: byteMutations }),
  { arbitrary: fc.record({ where: fc.constant('section' as const), pick: fc.nat(), ms: byteMutations }), weight: 3 },
  { arbitrary: fc.record({ where: fc.constant('model' as const), ms: jsonMutations }), weight: 3 },
  fc.record({ where: fc.constant('table' as const), pick: fc.nat(), value: TABLE_VALUES }),
);

/** Apply one target; a structured edit of a file an earlier one broke is skipped. */
function apply(bytes: Uint8Array, t: Target): Uint8Array {
  if (t.where === 'bytes') return applyBytes(bytes, t.ms);
  try {
    if (t.where === 'section') {
      const n = parseMcz(bytes, 'x').tensors.length;
      return patchSection(bytes, t.pick % (n + 1) === n ? 'model' : t.pick % (n + 1), (s) => {
        const m = applyBytes(s, t.ms);
        s.fill(0).set(m.subarray(0, s.length)); // same length: the table stays right
      });
    }
    if (t.where === 'model') {
      const tb = readFraming(bytes, 'x');
      const doc = JSON.parse(new TextDecoder().decode(inflateSync(bytes.subarray(tb.model.offset, tb.model.offset + tb.model.length))));
      const raw = new TextEncoder().encode(serialize(applyJson(doc, t.ms, 'weights')));
      return withModelSection(bytes, { deflated: deflateSync(raw), rawLength: raw.length });
    }
    return rewriteTable(bytes, (tb) => {
      const fields: Array<(v: number) => void> = [(v) => (tb.padding = v), (v) => (tb.model.length = v), (v) => (tb.model.rawLength = v), (v) => (tb.model.offset = v)];
      for (const s of tb.tensors) fields.push((v) => (s.offset = v), (v) => (s.length = v));
      fields[t.pick % fields.length]?.(t.value);
    });
  } catch {
    // The test helpers parse what they edit; a file an earlier target broke is left as it is.
    return bytes;
  }
}

describe('fuzzing .mcz containers', async () => {
  const every = await loadModel(writeModel(path.join(tempDir('mc-fuzz-'), 'every'), everyDtype()));
  const mlp = await loadModel('fixtures/mnist-mlp');
  const json = { format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] };
  const BASES: Array<[string, Uint8Array]> = [
    ['digits-cnn (lossless)', (await packFixture('fixtures/digits-cnn')).bytes],
    ['every dtype (strings, complex64, affine, float16)', (await encodeMcz(every.json, await storedTensors(every))).bytes],
    ['mnist-mlp pruned 75 % + int8 per channel (sparse, sign-magnitude)', (await encodeMcz(mlp.json, await pruneInt8Tensors(mlp, 0.75))).bytes],
    ['mnist-mlp pruned 50 % + int4 in groups of 64 (format 3, sparse)', (await encodeMcz(mlp.json, await lowBitTensors(mlp, 'int4', 0.5))).bytes],
    ['mnist-mlp in 16 clusters (format 3)', (await encodeMcz(mlp.json, await lowBitTensors(mlp, 'cluster16'))).bytes],
    ['near-constant, padded to its budget', (await encodeMcz(json, [{ entry: { name: 'c', shape: [1 << 20], dtype: 'float32' as const }, stored: new Uint8Array(4 << 20) }])).bytes],
  ];
  await Promise.all([every.close(), mlp.close()]);
  const tallies: Tally[] = [];
  afterAll(() => tallies.forEach((t) => t.report()));

  for (const [name, valid] of BASES) {
    it(`${name}: every reader gives a valid result or a McError, and they agree`, async () => {
      const [memory, loader, file, unpack] = ['in memory', 'loader', 'file reader', 'unpack'].map((r) => new Tally(`.mcz ${r}: ${name}`));
      tallies.push(memory, loader, file, unpack);
      const root = tempDir('mc-fuzz-');
      const mcz = path.join(root, 'm.mcz');
      await fc.assert(
        fc.asyncProperty(fc.array(target, { minLength: 1, maxLength: 2 }), async (targets) => {
          const bytes = targets.reduce(apply, valid);
          const ok = (o: string) => o === 'ok';
          const a = await memory.run(() => {
            const m = parseMcz(bytes, 'fuzz.mcz');
            m.tensors.forEach((_, i) => [m.decodeTensor(i), m.storedEntry(i), m.decodedEntry(i)]);
          });
          const b = await loader.run(async () => void (await mczLoader(bytes).load?.()));
          writeFileSync(mcz, bytes);
          const c = await file.run(async () => {
            const f = await openMcz(mcz);
            try {
              for (let i = 0; i < f.tensors.length; i++) await Promise.all([f.decodeTensor(i), f.storedEntry(i), f.decodedEntry(i)]);
            } finally {
              await f.close();
            }
          });
          const d = await unpack.run(async () => void (await unpackMcz(mcz, path.join(root, 'out'), { force: true })));
          expect({ loader: ok(b), file: ok(c), unpack: ok(d) }).toEqual({ loader: ok(a), file: ok(a), unpack: ok(a) });
          if (ok(d)) {
            // Nothing is written that the model reader would refuse.
            const m = await loadModel(path.join(root, 'out'));
            for (const t of m.tensors) await m.readValues(t);
            await m.close();
          }
        }),
        settings(600),
      );
    });
  }
});
