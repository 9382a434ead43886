/**
 * `report --browser` end to end in Debian's chromium: the MNIST MLP and a pruned int8 .mcz
 * of it, measured on broadband and on a slower custom profile. The figures must be
 * complete and ordered, the slower profile must measure slower, the measured transfer must
 * follow what DevTools throttling predicts for the bytes served, and the renderers must
 * show it (the HTML charts laid out in chromium). Needs /usr/bin/chromium.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown, renderTable } from '../../src/report/render.js';
import { devtoolsTransferTime } from '../../src/report/browser/throttle.js';
import { measureInBrowser } from '../../src/report/browser/measure.js';
import { modelFiles } from '../../src/size.js';
import type { Report } from '../../src/report/types.js';
import { NEEDS_CHROMIUM, launchChromium } from '../helpers/browser.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/synthetic.js';

const FIELDS = ['transferMs', 'decodeMs', 'buildMs', 'firstPredictionMs', 'timeToFirstPredictionMs', 'predictionMs'] as const;
const SLOW = { name: 'slow', kbitPerSecond: 4000, rttMs: 300 };

let root: string;
let report: Report;
let stderr: string;
let browser: Browser | undefined;

beforeAll(async () => {
  root = tempDir();
  const mcz = path.join(root, 'p50-int8.mcz');
  const made = await cli(['compress', 'fixtures/mnist-mlp', '--prune', '0.5', '--quantize', 'int8', '--per-channel', '-o', mcz]);
  expect(made.code, made.stderr).toBe(0);
  const csv = path.join(root, 'test.csv');
  writeFileSync(csv, `${readFileSync('fixtures/mnist-mlp/test.csv', 'utf8').split('\n').slice(0, 200).join('\n')}\n`);
  const r = await cli(['report', 'fixtures/mnist-mlp', mcz, '--data', csv, '--browser', '--runs', '1', '--network', `broadband,slow=${SLOW.kbitPerSecond}/${SLOW.rttMs}`, '--json']);
  expect(r.code, r.stderr).toBe(0);
  report = JSON.parse(r.stdout) as Report;
  stderr = r.stderr;
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

describe('report --browser', () => {
  it('measures every model on every profile, with the simulation kept beside it', () => {
    expect(stderr).toBe('');
    expect(report.browser).toMatchObject({ backend: 'wasm', runs: 1, protocol: 'HTTP/1.1', throttling: 'devtools' });
    expect(report.browser?.chromium).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(report.browser?.unencoded).toBeUndefined(); // chromium accepted brotli, so the bytes are the simulated ones
    expect(report.models.map((m) => m.name)).toEqual(['original', path.join(root, 'p50-int8.mcz')]);
    for (const m of report.models) {
      expect(Object.keys(m.transfer)).toEqual(['broadband', 'slow']);
      expect(Object.keys(m.browser ?? {})).toEqual(['broadband', 'slow']);
      for (const net of ['broadband', 'slow']) {
        const b = m.browser?.[net];
        for (const f of FIELDS) expect(Number.isFinite(b?.[f]) && (b?.[f] as number) >= 0, `${m.name} ${net} ${f}`).toBe(true);
        const t = b as NonNullable<typeof b>;
        expect(t.timeToFirstPredictionMs, `${m.name} ${net}`).toBeGreaterThanOrEqual(t.transferMs);
        // One run: the total is that run's sum (each figure rounded to 0.1 ms).
        expect(Math.abs(t.timeToFirstPredictionMs - (t.transferMs + t.decodeMs + t.buildMs + t.firstPredictionMs))).toBeLessThan(0.3);
        expect(t.predictionMs).toBeGreaterThan(0);
      }
    }
  });

  it('measures the throttled slower profile slower, by what DevTools throttling predicts for the bytes served', () => {
    for (const m of report.models) {
      const fast = m.browser?.broadband as NonNullable<NonNullable<typeof m.browser>[string]>;
      const slow = m.browser?.slow as typeof fast;
      expect(slow.transferMs, m.name).toBeGreaterThan(fast.transferMs);
      expect(slow.timeToFirstPredictionMs, m.name).toBeGreaterThan(fast.timeToFirstPredictionMs);
      const sent = m.files.map((f) => (m.servedAsIs ? f.raw : f.brotli));
      for (const net of report.networks) {
        const predicted = m.container ? devtoolsTransferTime({ container: sent[0] }, net) : devtoolsTransferTime({ json: sent[0], weights: sent.slice(1) }, net);
        const measured = (m.browser?.[net.name] as typeof fast).transferMs;
        // Throttling never delivers faster than its rate; the page, the throttle's own delay and
        // a busy CPU (the suite runs files in parallel) add a little: 0-2 % and 30-100 ms when idle.
        expect(measured, `${m.name} @${net.name}`).toBeGreaterThanOrEqual(0.97 * predicted);
        expect(measured, `${m.name} @${net.name}`).toBeLessThanOrEqual(1.1 * predicted + 400);
      }
    }
  });

  it('times the loader decode for the .mcz and none for the stock model', () => {
    const [orig, mcz] = report.models;
    expect(orig.browser?.broadband.decodeMs).toBeLessThan(5);
    expect(mcz.browser?.broadband.decodeMs).toBeGreaterThan(0);
  });

  it('prints the measured figures beside the simulated ones in the table and markdown', () => {
    const table = renderTable(report);
    expect(table).toMatch(/measured ÷ simulated/);
    const rows = table.split('\n').filter((l) => /^(original|\/).*\s(broadband|slow)\s/.test(l));
    expect(rows.length).toBe(4);
    expect(table).toMatch(/measured ÷ simulated transfer \(median over models\): broadband \d\.\d\d, slow \d\.\d\d/);
    const md = renderMarkdown(report);
    expect(md).toContain('#### Measured in a browser');
    expect(md.split('\n').filter((l) => / \| (broadband|slow) \| /.test(l)).length).toBe(4);
  });

  it('draws a stacked bar per model and profile in the HTML, every label inside its chart and none overlapping', async () => {
    expect(browser, NEEDS_CHROMIUM).toBeDefined();
    const file = path.join(root, 'report.html');
    writeFileSync(file, renderHtml(report));
    const tab = await (browser as Browser).newPage();
    await tab.goto(`file://${file}`);
    const charts = await tab.evaluate(() =>
      Array.from(document.querySelectorAll('svg.stacked')).map((svg) => {
        const box = svg.getBoundingClientRect();
        const texts = Array.from(svg.querySelectorAll('text')).map((t) => t.getBoundingClientRect());
        const bars = Array.from(svg.querySelectorAll('rect.segment.transfer')).map((r) => (r as SVGRectElement).getBBox().width);
        const totals = Array.from(svg.querySelectorAll('rect.segment')).reduce((s, r) => s + (r as SVGRectElement).getBBox().width, 0);
        const inside = texts.every((t) => t.left >= box.left - 0.5 && t.right <= box.right + 0.5 && t.top >= box.top - 0.5 && t.bottom <= box.bottom + 0.5);
        let overlaps = 0;
        for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) if (texts[i].left < texts[j].right && texts[j].left < texts[i].right && texts[i].top < texts[j].bottom && texts[j].top < texts[i].bottom) overlaps++;
        return { id: svg.id, bars, totals, inside, overlaps, ticks: svg.querySelectorAll('line.simulated').length };
      }),
    );
    expect(charts.map((c) => c.id)).toEqual(['browser-broadband', 'browser-slow']);
    for (const c of charts) {
      expect(c.bars.length, c.id).toBe(2);
      expect(c.bars.every((w) => w > 1), c.id).toBe(true);
      expect(c.ticks, c.id).toBe(2);
      expect(c.inside, c.id).toBe(true);
      expect(c.overlaps, c.id).toBe(0);
    }
    // The original's bar is longer than the .mcz's: it has more bytes to wait for.
    expect(charts[1].bars[0]).toBeGreaterThan(charts[1].bars[1]);
    expect(await tab.locator('#browser-table tbody tr').count()).toBe(4);
  });
});

describe('the time-to-first-prediction budget', () => {
  it('turns the browser on and exits 1 when a model is slower than the limit', async () => {
    const failing = await cli(['report', 'fixtures/digits-cnn', 'fixtures/digits-cnn', '--network', 'broadband', '--runs', '1', '--max-time-to-first-prediction', '1ms@broadband']);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(/^maas-compress: budget not met: max-time-to-first-prediction@broadband for "fixtures\/digits-cnn": limit 1 ms, actual [\d.]+ m?s\n$/);
    const passing = await cli(['report', 'fixtures/digits-cnn', 'fixtures/digits-cnn', '--network', 'broadband', '--runs', '1', '--max-time-to-first-prediction', '60s@broadband', '--json']);
    expect(passing.code, passing.stderr).toBe(0);
    const r = JSON.parse(passing.stdout) as Report;
    expect(r.budgets).toEqual([expect.objectContaining({ name: 'max-time-to-first-prediction@broadband', passed: true, actual: r.models[1].browser?.broadband.timeToFirstPredictionMs })]);
  }, 120_000);
});

describe('browser backends', () => {
  it('runs the wasm, webgl (SwiftShader) and cpu backends of Debian chromium headless', async () => {
    const files = await modelFiles('fixtures/digits-cnn');
    const subject = { name: 'digits-cnn', files, container: false, runnable: true };
    for (const backend of ['wasm', 'webgl', 'cpu'] as const) {
      const { info, timings } = await measureInBrowser([subject], [{ name: 'fast', kbitPerSecond: 100_000, rttMs: 5 }], 'br', { runs: 1, backend });
      expect(info.backend).toBe(backend);
      const t = timings[0]?.fast;
      expect(t && t.timeToFirstPredictionMs >= t.transferMs && t.predictionMs > 0, backend).toBe(true);
    }
  }, 120_000);
});
