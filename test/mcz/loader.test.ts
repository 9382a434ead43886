/** maas-compress/loader in Node: stock tfjs loads .mcz bytes and URLs, predicting exactly as the unpacked folder. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/load.js';
import { mczLoader } from '../../src/loader.js';
import { unpackMcz } from '../../src/mcz/unpack.js';
import { encodeMcz } from '../../src/mcz/write.js';
import { tempDir } from '../helpers/synthetic.js';
import { dataDirFor, fixtureInputs, fixtureModels, predictions, readTestCsv, tf } from '../helpers/tfjs.js';
import { packFixture, pruneInt8Tensors } from './helpers.js';

/** Predictions of a .mcz through the loader on `rows` fixture inputs. */
async function mczPredictions(bytes: Uint8Array, graph: boolean, dataDir: string, rows = 256): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const handler = mczLoader(bytes);
  const model = graph ? await loadGraphModel(handler) : await loadLayersModel(handler);
  const shape = graph
    ? (model as Awaited<ReturnType<typeof loadGraphModel>>).inputs[0].shape!.slice(1).map((d) => (d < 0 ? 1 : d))
    : ((model as Awaited<ReturnType<typeof loadLayersModel>>).inputs[0].shape as number[]).slice(1);
  const x = fixtureInputs(dataDir, rows, shape);
  const y = model.predict(x) as tf.Tensor;
  const out = y.dataSync() as Float32Array;
  tf.dispose([x, y]);
  model.dispose();
  return out;
}

/** Unpack `bytes` to a fresh folder and return it. */
async function unpacked(bytes: Uint8Array): Promise<string> {
  const file = path.join(tempDir(), 'm.mcz');
  writeFileSync(file, bytes);
  const out = path.join(tempDir(), 'u');
  await unpackMcz(file, out);
  return out;
}

describe('mczLoader with stock tfjs', () => {
  for (const dir of fixtureModels()) {
    it(`${path.basename(dir)}: loader predictions equal stock tfjs on the unpacked folder`, async () => {
      const { bytes, json } = await packFixture(dir);
      const graph = json.format === 'graph-model';
      const a = await mczPredictions(bytes, graph, dataDirFor(dir));
      const b = await predictions(await unpacked(bytes), dataDirFor(dir));
      expect(a.length).toBeGreaterThan(0);
      expect(Array.from(a)).toEqual(Array.from(b));
    });
  }

  for (const name of ['mnist-mlp', 'mnist-graph']) {
    it(`${name} pruned 75 % + int8 per channel: loader equals the unpacked (float32-widened) folder; accuracy reported`, async () => {
      const m = await loadModel(`fixtures/${name}`);
      const { bytes } = await encodeMcz(m.json, await pruneInt8Tensors(m, 0.75));
      await m.close();
      const graph = name === 'mnist-graph';
      const rows = 2000;
      const a = await mczPredictions(bytes, graph, 'fixtures/mnist-mlp', rows);
      const b = await predictions(await unpacked(bytes), 'fixtures/mnist-mlp', rows);
      expect(Array.from(a)).toEqual(Array.from(b));
      const { labels } = readTestCsv('fixtures/mnist-mlp/test.csv', rows);
      let right = 0;
      labels.forEach((label, i) => {
        const row = a.subarray(i * 10, i * 10 + 10);
        if (row.indexOf(Math.max(...row)) === label) right++;
      });
      console.log(`${name} prune 0.75 + int8 per channel (.mcz ${bytes.length} bytes): test accuracy ${((100 * right) / labels.length).toFixed(2)} % on ${labels.length} rows`);
      expect(right / labels.length).toBeGreaterThan(0.9);
    });
  }

  it('loads from a URL through the given fetch, and names the URL when the server refuses', async () => {
    const { bytes } = await packFixture('fixtures/digits-cnn');
    const fetch = async (url: string | URL | Request) =>
      String(url).endsWith('/m.mcz') ? new Response(bytes.slice().buffer) : new Response('not here', { status: 404 });
    const model = await loadLayersModel(mczLoader('http://127.0.0.1:9/m.mcz', { fetch: fetch as typeof globalThis.fetch }));
    expect(model.inputs[0].shape).toEqual([null, 8, 8, 1]);
    model.dispose();
    await expect(mczLoader(new URL('http://127.0.0.1:9/x.mcz'), { fetch: fetch as typeof globalThis.fetch }).load!()).rejects.toMatchObject({
      code: 'MISSING_FILE',
      message: 'http://127.0.0.1:9/x.mcz: expected a .mcz file, the server answered HTTP 404',
    });
    await expect(mczLoader(new Uint8Array(10), { name: 'given.mcz' }).load!()).rejects.toMatchObject({ code: 'BAD_MANIFEST', message: expect.stringMatching(/^given\.mcz: not a \.mcz file/) });
    // An ArrayBuffer works as well as a Uint8Array.
    const artifacts = await mczLoader(bytes.slice().buffer).load!();
    expect(artifacts.weightSpecs?.map((s) => s.dtype)).toEqual(['float32', 'float32', 'float32', 'float32']);
  });
});
