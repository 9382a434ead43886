/**
 * The pieces of `report --browser` that need no browser: the DevTools conditions and the
 * transfer time they predict, finding Chromium (and the one-line error without it), the
 * time-to-first-prediction budget, and the rows the renderers print.
 */
import { describe, expect, it } from 'vitest';
import { parseBudgets, checkBudgets } from '../../src/report/budgets.js';
import { findChromium } from '../../src/report/browser/chromium.js';
import { browserNotes, browserRows, transferRatios } from '../../src/report/browser/rows.js';
import { devtoolsConditions, devtoolsTransferTime } from '../../src/report/browser/throttle.js';
import { startServer } from '../../src/report/browser/server.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/synthetic.js';
import { NETWORKS } from '../../src/report/transfer.js';
import { validateConfig } from '../../src/config.js';
import type { Report } from '../../src/report/types.js';
import { cli } from '../helpers/cli.js';

describe('DevTools throttling', () => {
  it('maps a profile to latency = RTT and throughput = bandwidth in bytes per second', () => {
    expect(devtoolsConditions(NETWORKS['4g'])).toEqual({ offline: false, latency: 150, downloadThroughput: 204800, uploadThroughput: 204800 });
    expect(devtoolsConditions(NETWORKS['3g']).downloadThroughput).toBe(87500);
  });

  it('predicts one latency per request and the bytes at the link rate, with no set-up or slow start', () => {
    // 4g: 204.8 bytes/ms. A .mcz of 100,000 bytes: 150 + 488.28 ms.
    expect(devtoolsTransferTime({ container: 100_000 }, NETWORKS['4g'])).toBeCloseTo(638.28, 2);
    // model.json of 2,000 bytes, then 100,000 bytes of weights in two files: 150 + 9.77 + 150 + 488.28.
    expect(devtoolsTransferTime({ json: 2000, weights: [60_000, 40_000] }, NETWORKS['4g'])).toBeCloseTo(798.05, 2);
    // The simulation of the same files (docs/report.md worked example) is 1,184.18 ms: the gap is set-up and slow start.
  });
});

describe('the page server', () => {
  it('sends model files with the transfer encoding the browser accepts, a .mcz as is, and names it raw otherwise', async () => {
    const dir = path.join(tempDir(), 'model');
    mkdirSync(path.join(dir, 'w'), { recursive: true });
    const json = JSON.stringify({ format: 'layers-model', padding: 'x'.repeat(5000) });
    const weights = new Uint8Array(20_000).map((_, i) => i % 7);
    writeFileSync(path.join(dir, 'model.json'), json);
    writeFileSync(path.join(dir, 'w', 'shard 1.bin'), weights);
    writeFileSync(path.join(dir, 'm.mcz'), weights);
    const server = await startServer('<p>page</p>', [], [{ url: '/loader.js', type: 'text/javascript', body: new TextEncoder().encode('1') }]);
    try {
      const url = await server.addModel(0, [path.join(dir, 'model.json'), path.join(dir, 'w', 'shard 1.bin')], false, 'br');
      const mcz = await server.addModel(1, [path.join(dir, 'm.mcz')], true, 'br');
      expect(url).toBe(`${server.base}/m/0/model.json`);
      const get = (u: string, enc: string) => fetch(u, { headers: { 'accept-encoding': enc } });
      const shard = await get(`${server.base}/m/0/w/shard%201.bin`, 'gzip, br');
      expect(shard.headers.get('content-encoding')).toBe('br');
      // fetch decodes the body: the bytes on the wire are fewer than the file's, the bytes read are the file's.
      expect(Number(shard.headers.get('content-length'))).toBeLessThan(weights.length / 10);
      expect(new Uint8Array(await shard.arrayBuffer())).toEqual(weights);
      const raw = await get(url, 'gzip');
      expect(raw.headers.get('content-encoding')).toBeNull();
      expect(await raw.text()).toBe(json);
      expect(server.refusedEncodings()).toEqual(['/m/0/model.json']);
      const container = await get(mcz, 'br');
      expect(container.headers.get('content-encoding')).toBeNull();
      expect(new Uint8Array(await container.arrayBuffer())).toEqual(weights);
      expect((await get(`${server.base}/m/0/../../etc/passwd`, 'br')).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('finding Chromium', () => {
  it('fails in one line naming what to install when there is none', () => {
    expect(() => findChromium(undefined, {}, ['/nonexistent/chromium'])).toThrow(
      'report --browser needs Chromium and found none (looked in /nonexistent/chromium): install it (Debian/Ubuntu: apt-get install chromium) or set MAAS_COMPRESS_CHROMIUM to its path',
    );
  });

  it('takes the explicit path, then $MAAS_COMPRESS_CHROMIUM, then the first system path that exists', () => {
    expect(findChromium(process.execPath, {}, [])).toBe(process.execPath);
    expect(findChromium(undefined, { MAAS_COMPRESS_CHROMIUM: process.execPath }, [])).toBe(process.execPath);
    expect(findChromium(undefined, {}, ['/nonexistent/a', process.execPath])).toBe(process.execPath);
    expect(() => findChromium(undefined, { MAAS_COMPRESS_CHROMIUM: '/nonexistent/b' }, [process.execPath])).toThrow(/\/nonexistent\/b does not exist/);
  });

  it('is checked before any model is built: exit 2, one line, no output file', async () => {
    const r = await cli(['report', 'fixtures/digits-cnn', '--browser', '--runs', '1'], { env: { MAAS_COMPRESS_CHROMIUM: '/nonexistent/chromium' } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual(['maas-compress: error: report --browser: /nonexistent/chromium does not exist: expected a Chromium or Chrome executable there ($MAAS_COMPRESS_CHROMIUM or the chromium option)']);
  });

  it('refuses a bad --runs or --browser-backend with exit 2', async () => {
    const runs = await cli(['report', 'fixtures/digits-cnn', '--browser', '--runs', '0']);
    expect([runs.code, runs.stderr.trim()]).toEqual([2, 'maas-compress: error: --runs: expected an integer from 1 to 100, found "0"']);
    const backend = await cli(['report', 'fixtures/digits-cnn', '--browser', '--browser-backend', 'webgpu']);
    expect(backend.code).toBe(2);
    expect(backend.stderr).toMatch(/--browser-backend.*webgpu/);
  });
});

describe('the time-to-first-prediction budget', () => {
  it('parses <time>@<profile> and fails a model above it, or one not measured', () => {
    const budgets = parseBudgets({ maxTimeToFirstPrediction: '1.5s@3g' });
    expect(budgets).toEqual([{ kind: 'maxTimeToFirstPrediction', limit: 1500, network: NETWORKS['3g'] }]);
    const subject = { name: 'm', accuracyDrop: null, sizeReduction: 1, encodedSize: 1, transferMs: { '3g': 900 }, cosineMin: null, sqnrDb: undefined, agreement: null };
    expect(checkBudgets(budgets, { ...subject, timeToFirstPredictionMs: { '3g': 1499 } })[0]).toEqual({ name: 'max-time-to-first-prediction@3g', model: 'm', limit: 1500, actual: 1499, passed: true });
    expect(checkBudgets(budgets, { ...subject, timeToFirstPredictionMs: { '3g': 1501 } })[0].passed).toBe(false);
    expect(checkBudgets(budgets, subject)[0]).toMatchObject({ actual: null, passed: false });
    expect(() => parseBudgets({ maxTimeToFirstPrediction: 'fast' })).toThrow('--max-time-to-first-prediction: expected <time>@<network> like 3s@4g, found "fast"');
  });

  it('is a config budget key', () => {
    expect(() => validateConfig({ budgets: { maxTimeToFirstPrediction: '3s@4g' } }, 'maas-compress.config.json', '.')).not.toThrow();
  });
});

describe('rows of the browser figures', () => {
  const timing = (transferMs: number) => ({ transferMs, decodeMs: 5, buildMs: 20, firstPredictionMs: 30, timeToFirstPredictionMs: transferMs + 55, predictionMs: 1.25 });
  const report = {
    networks: [NETWORKS['3g'], NETWORKS.broadband],
    browser: { chromium: '1.2.3', backend: 'wasm', runs: 3, protocol: 'HTTP/1.1', throttling: 'devtools', backendInitMs: 40 },
    models: [
      { name: 'original', transfer: { '3g': { ms: 2000 }, broadband: { ms: 400 } }, browser: { '3g': timing(1000), broadband: timing(300) } },
      { name: 'small', transfer: { '3g': { ms: 1000 }, broadband: { ms: 100 } }, browser: { '3g': timing(600), broadband: timing(80) } },
      { name: 'weights', transfer: { '3g': { ms: 1000 }, broadband: { ms: 100 } }, browser: null },
    ],
  } as unknown as Report;

  it('gives measured beside simulated for every model and profile', () => {
    const rows = browserRows(report) as string[][];
    expect(rows.map((r) => r.slice(0, 5))).toEqual([
      ['original', '3g', '2.00 s', '1.00 s', '0.50'],
      ['original', 'broadband', '400 ms', '300 ms', '0.75'],
      ['small', '3g', '1.00 s', '600 ms', '0.60'],
      ['small', 'broadband', '100 ms', '80 ms', '0.80'],
      ['weights', '3g', '1.00 s', '-', '-'],
      ['weights', 'broadband', '100 ms', '-', '-'],
    ]);
    expect(rows[0].slice(5)).toEqual(['5.0 ms', '20 ms', '30 ms', '1.05 s', '1.3 ms']);
    expect(browserRows({ ...report, browser: undefined })).toBeNull();
  });

  it('states the median ratio per profile in the notes', () => {
    expect(transferRatios(report)).toEqual({ '3g': 0.55, broadband: 0.775 });
    expect(browserNotes(report)[1]).toMatch(/^measured ÷ simulated transfer \(median over models\): 3g 0\.55, broadband 0\.78;/);
  });
});
