/**
 * The bundled loader in a real browser: a page served from 127.0.0.1 loads the tfjs UMD
 * bundles (core, cpu backend, layers, converter) and dist-style loader.iife.min.js, loads
 * .mcz files from the same server, predicts on MNIST / digits test rows, and must agree
 * with the Node predictions of the same files. Needs Debian's chromium at /usr/bin/chromium
 * (apt-get install -y chromium); driven by playwright-core, which downloads nothing.
 */
import { readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import type { Browser } from 'playwright-core';
import { NEEDS_CHROMIUM, launchChromium } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/load.js';
import { mczLoader } from '../../src/loader.js';
import { encodeMcz } from '../../src/mcz/write.js';
import { readTestCsv, tf } from '../helpers/tfjs.js';
// @ts-expect-error: a plain .mjs script without type declarations
import { buildLoader } from '../../scripts/build-loader.mjs';
import { lowBitTensors, packFixture, pruneInt8Tensors } from './helpers.js';

const ROWS = 16;

/** The models served, with how to load them and the input rows to predict on. */
interface Case {
  file: string;
  graph: boolean;
  shape: number[];
  csv: string;
  bytes?: Uint8Array;
}
const cases: Case[] = [
  { file: 'mlp-int8pc.mcz', graph: false, shape: [784], csv: 'fixtures/mnist-mlp/test.csv' },
  { file: 'graph-int8pc.mcz', graph: true, shape: [784], csv: 'fixtures/mnist-mlp/test.csv' },
  { file: 'digits-cnn.mcz', graph: false, shape: [8, 8, 1], csv: 'fixtures/digits-cnn/test.csv' },
  { file: 'mlp-int4-g64.mcz', graph: false, shape: [784], csv: 'fixtures/mnist-mlp/test.csv' },
  { file: 'graph-cluster16.mcz', graph: true, shape: [784], csv: 'fixtures/mnist-mlp/test.csv' },
];

const tfFiles: Record<string, string> = {
  '/tf-core.js': 'node_modules/@tensorflow/tfjs-core/dist/tf-core.min.js',
  '/tf-backend-cpu.js': 'node_modules/@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.min.js',
  '/tf-layers.js': 'node_modules/@tensorflow/tfjs-layers/dist/tf-layers.min.js',
  '/tf-converter.js': 'node_modules/@tensorflow/tfjs-converter/dist/tf-converter.min.js',
};

const page = `<!doctype html><meta charset="utf-8"><title>mcz</title>
${[...Object.keys(tfFiles), '/loader.js'].map((s) => `<script src="${s}"></script>`).join('\n')}`;

/** Node predictions of a .mcz through the same loader. */
async function nodePredictions(c: Case, inputs: Float32Array): Promise<number[]> {
  await tf.setBackend('cpu');
  const model = c.graph ? await loadGraphModel(mczLoader(c.bytes as Uint8Array)) : await loadLayersModel(mczLoader(c.bytes as Uint8Array));
  const x = tf.tensor(inputs, [ROWS, ...c.shape]);
  const y = model.predict(x) as tf.Tensor;
  const out = Array.from(y.dataSync());
  tf.dispose([x, y]);
  model.dispose();
  return out;
}

describe('the bundled loader in Chromium', () => {
  let server: Server;
  let browser: Browser | undefined;
  let base = '';

  beforeAll(async () => {
    const mlp = await loadModel('fixtures/mnist-mlp');
    cases[0].bytes = (await encodeMcz(mlp.json, await pruneInt8Tensors(mlp, 0.75))).bytes;
    await mlp.close();
    const graph = await loadModel('fixtures/mnist-graph');
    cases[1].bytes = (await encodeMcz(graph.json, await pruneInt8Tensors(graph, 0.75))).bytes;
    await graph.close();
    cases[2].bytes = (await packFixture('fixtures/digits-cnn')).bytes;
    // The sub-8-bit codecs (format version 3): int4 in groups of 64 after 50 % pruning, and 16 clusters per tensor.
    const mlp4 = await loadModel('fixtures/mnist-mlp');
    cases[3].bytes = (await encodeMcz(mlp4.json, await lowBitTensors(mlp4, 'int4', 0.5))).bytes;
    await mlp4.close();
    const graph16 = await loadModel('fixtures/mnist-graph');
    cases[4].bytes = (await encodeMcz(graph16.json, await lowBitTensors(graph16, 'cluster16'))).bytes;
    await graph16.close();
    for (const c of cases.slice(3)) expect(new DataView((c.bytes as Uint8Array).buffer).getUint32(8, true), c.file).toBe(3);
    const { code } = await buildLoader();
    const routes = new Map<string, [string, Uint8Array | string]>([
      ['/', ['text/html', page]],
      ['/loader.js', ['text/javascript', code.iife]],
      ...Object.entries(tfFiles).map(([url, f]) => [url, ['text/javascript', readFileSync(f)]] as [string, [string, Uint8Array]]),
      ...cases.map((c) => [`/${c.file}`, ['application/octet-stream', c.bytes as Uint8Array]] as [string, [string, Uint8Array]]),
    ]);
    server = createServer((req, res) => {
      const r = routes.get(req.url ?? '');
      res.writeHead(r ? 200 : 404, { 'content-type': r ? r[0] : 'text/plain' });
      res.end(r ? r[1] : 'not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('predicts in the browser exactly as in Node', async () => {
    expect(browser, NEEDS_CHROMIUM).toBeDefined();
    const tab = await (browser as Browser).newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    await tab.goto(`${base}/`);
    for (const c of cases) {
      const { inputs } = readTestCsv(c.csv, ROWS);
      const fromBrowser = await tab.evaluate(
        async ({ url, graph, shape, rows, data }) => {
          const g = globalThis as unknown as Record<string, any>;
          await g.tf.setBackend('cpu');
          const handler = g.maasCompressLoader.mczLoader(url);
          const model = graph ? await g.tf.loadGraphModel(handler) : await g.tf.loadLayersModel(handler);
          const x = g.tf.tensor(data, [rows, ...shape]);
          const y = model.predict(x);
          return Array.from((await y.data()) as Float32Array);
        },
        { url: `${base}/${c.file}`, graph: c.graph, shape: c.shape, rows: ROWS, data: Array.from(inputs) },
      );
      expect(fromBrowser.length, c.file).toBe(ROWS * 10);
      expect(fromBrowser, c.file).toEqual(await nodePredictions(c, inputs));
    }
    // A missing file is a one-line error naming the URL.
    const missing = await tab.evaluate(async (url) => {
      const g = globalThis as unknown as Record<string, any>;
      return g.tf.loadLayersModel(g.maasCompressLoader.mczLoader(url)).then(
        () => 'loaded',
        (e: { code?: string; message: string }) => `${e.code}: ${e.message}`,
      );
    }, `${base}/nothing.mcz`);
    expect(missing).toBe(`MISSING_FILE: ${base}/nothing.mcz: expected a .mcz file, the server answered HTTP 404`);
    expect(errors).toEqual([]);
  }, 30_000);
});
