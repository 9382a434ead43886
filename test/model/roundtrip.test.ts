/** Read then write gives byte-identical weights and identical stock-tfjs predictions, for every fixture. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyModel } from '../../src/copy.js';
import { loadModel } from '../../src/model/load.js';
import { RECORD_KEY } from '../../src/model/save.js';
import { tempDir } from '../helpers/synthetic.js';
import { dataDirFor, fixtureModels, predictions } from '../helpers/tfjs.js';

/** All weight bytes of a model, concatenated in manifest order. */
async function weightBytes(p: string): Promise<Buffer> {
  const m = await loadModel(p);
  const parts = [];
  for (const t of m.tensors) parts.push(await m.readBytes(t));
  await m.close();
  return Buffer.concat(parts);
}

const fixtures = fixtureModels();

describe('round trip through copy', () => {
  it('covers the five fixtures', () => {
    expect(fixtures.map((f) => path.basename(f))).toEqual(['bigmodel', 'digits-cnn', 'mnist-graph', 'mnist-mlp', 'mnist-uint8']);
  });

  for (const dir of fixtures) {
    for (const shardSize of [4194304, 65536]) {
      it(`${path.basename(dir)} (shards of ${shardSize} bytes)`, async () => {
        const out = path.join(tempDir(), 'out');
        const r = await copyModel(dir, out, { shardSize });
        const src = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
        const dst = JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8'));
        // Weights byte for byte, entries as they were.
        expect((await weightBytes(out)).equals(await weightBytes(dir))).toBe(true);
        expect(dst.weightsManifest.flatMap((g: any) => g.weights)).toEqual(src.weightsManifest.flatMap((g: any) => g.weights));
        // Stock layout and every other field kept, plus the record.
        const n = dst.weightsManifest[0].paths.length;
        expect(dst.weightsManifest[0].paths).toEqual(Array.from({ length: n }, (_, i) => `group1-shard${i + 1}of${n}.bin`));
        expect(r.files.slice(1).every((f, i) => f.bytes === (i < n - 1 ? shardSize : f.bytes))).toBe(true);
        for (const k of Object.keys(src)) if (k !== 'weightsManifest' && k !== 'userDefinedMetadata') expect(dst[k]).toEqual(src[k]);
        expect(dst.userDefinedMetadata[RECORD_KEY].steps.at(-1)).toEqual({ command: 'copy' });
        // Stock tfjs predicts the same.
        const a = await predictions(dir, dataDirFor(dir));
        const b = await predictions(out, dataDirFor(dir));
        expect(b.length).toBeGreaterThan(0);
        expect(Array.from(b)).toEqual(Array.from(a));
      });
    }
  }
});
