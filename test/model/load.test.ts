import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/load.js';
import { everyDtype, tempDir, writeModel } from '../helpers/synthetic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('loadModel decodes every dtype as stock tfjs does', () => {
  for (const shardSize of [undefined, 7, 64]) {
    it(`value for value, shards of ${shardSize ?? 'all'} bytes`, async () => {
      const entries = everyDtype();
      const file = writeModel(path.join(tempDir(), 'm'), entries, { shardSize });
      const model = await loadModel(file);
      try {
        expect(model.tensors.map((t) => t.name)).toEqual(entries.map((e) => e.entry.name));
        const total = entries.reduce((n, e) => n + e.bytes.length, 0);
        const concat = new Uint8Array(total);
        let at = 0;
        for (const e of entries) {
          concat.set(e.bytes, at);
          at += e.bytes.length;
        }
        const stock = tf.io.decodeWeights(concat.buffer, entries.map((e) => e.entry) as unknown as tf.io.WeightsManifestEntry[]);
        for (const [i, t] of model.tensors.entries()) {
          expect(await model.readBytes(t)).toEqual(entries[i].bytes);
          const ours = await model.readValues(t);
          const ref = stock[t.name];
          if (t.entry.dtype === 'string') {
            expect((ours as Uint8Array[]).map((b) => new TextDecoder().decode(b))).toEqual(ref.dataSync() as unknown as string[]);
          } else if (t.entry.dtype === 'complex64') {
            const re = tf.real(ref).dataSync();
            const im = tf.imag(ref).dataSync();
            const inter = Array.from(re).flatMap((r, k) => [r, im[k]]);
            expect(Array.from(ours as Float32Array)).toEqual(inter);
          } else {
            expect(Array.from(ours as Float32Array)).toEqual(Array.from(ref.dataSync() as Float32Array));
            expect(Object.prototype.toString.call(ours)).toBe(Object.prototype.toString.call(ref.dataSync()));
          }
        }
      } finally {
        await model.close();
      }
    });
  }

  it('recognises old files with no format field', async () => {
    const layers = writeModel(path.join(tempDir(), 'l'), everyDtype().slice(0, 1), { json: { format: undefined } });
    expect((await loadModel(layers)).format).toBe('layers-model');
    const graph = writeModel(path.join(tempDir(), 'g'), everyDtype().slice(0, 1), {
      json: { format: undefined, modelTopology: { node: [] } },
    });
    expect((await loadModel(graph)).format).toBe('graph-model');
  });

  it('reads several groups, each with its own shards', async () => {
    const dir = path.join(tempDir(), 'groups');
    const [a, b] = everyDtype();
    writeModel(dir, [a], {
      editGroup: () => undefined,
    });
    // A second group written by hand beside the first.
    const { writeFileSync, readFileSync } = await import('node:fs');
    writeFileSync(path.join(dir, 'group2-shard1of1.bin'), b.bytes);
    const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
    json.weightsManifest.push({ paths: ['group2-shard1of1.bin'], weights: [b.entry] });
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    const model = await loadModel(dir);
    expect(model.tensors.map((t) => [t.name, t.group, t.offset])).toEqual([
      ['f32', 0, 0],
      ['i32', 1, 0],
    ]);
    expect(Array.from((await model.readValues(model.tensors[1])) as Int32Array)).toEqual([-7, 0, 1, 2 ** 31 - 1, -(2 ** 31)]);
    await model.close();
  });
});
