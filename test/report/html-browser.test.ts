/** The HTML report written by the CLI, opened in a real headless chromium: the table and every chart render with one row or mark per model. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressModel } from '../../src/compress.js';
import { NEEDS_CHROMIUM, launchChromium } from '../helpers/browser.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/synthetic.js';

let browser: Browser | undefined;
let html: string;

beforeAll(async () => {
  const root = tempDir();
  const cand = path.join(root, 'f16');
  await compressModel('fixtures/mnist-mlp', cand, { quantize: { dtype: 'float16', perChannel: false, include: [], exclude: [], minElements: 0, allowNonfinite: false } });
  const csv = path.join(root, 'test.csv');
  const lines = readFileSync('fixtures/mnist-mlp/test.csv', 'utf8').split('\n').slice(0, 200);
  writeFileSync(csv, `${lines.join('\n')}\n`);
  html = path.join(root, 'report.html');
  const r = await cli(['report', 'fixtures/mnist-mlp', cand, '--data', csv, '--format', 'html', '-o', html, '--network', '3g,4g']);
  expect(r.code).toBe(0);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe('HTML report in chromium', () => {
  it('renders the table and the size, accuracy-vs-size and load-time charts', async () => {
    expect(browser, NEEDS_CHROMIUM).toBeDefined();
    const tab = await (browser as Browser).newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    tab.on('request', (req) => {
      if (!req.url().startsWith('file:')) errors.push(`network request: ${req.url()}`);
    });
    await tab.goto(`file://${html}`);
    const charts = await tab.evaluate(() =>
      Array.from(document.querySelectorAll('svg')).map((svg) => {
        const box = svg.getBoundingClientRect();
        const marks = Array.from(svg.querySelectorAll('rect.bar, circle.dot')) as SVGGraphicsElement[];
        return {
          id: svg.id,
          width: box.width,
          height: box.height,
          marks: marks.length,
          drawn: marks.filter((m) => m.getBBox().width > 0 && m.getBBox().height > 0).length,
          labels: Array.from(svg.querySelectorAll('text')).map((t) => t.textContent),
        };
      }),
    );
    expect(errors).toEqual([]);
    expect(charts.map((c) => c.id)).toEqual(['size-per-model', 'accuracy-vs-size', 'transfer-3g', 'transfer-4g']);
    for (const c of charts) {
      expect(c.width, c.id).toBeGreaterThan(300);
      expect(c.height, c.id).toBeGreaterThan(50);
      expect(c.marks, c.id).toBe(2);
      expect(c.drawn, c.id).toBe(2);
      expect(c.labels, c.id).toEqual(expect.arrayContaining([expect.stringMatching(/^(1 )?original$/), expect.stringContaining('f16')]));
    }
    const table = await tab.evaluate(() => ({ pre: document.querySelectorAll('pre').length, rows: Array.from(document.querySelectorAll('#models tbody tr.model')).map((tr) => tr.getAttribute('data-model')) }));
    expect(table.pre).toBe(0);
    expect(table.rows).toEqual(['original', expect.stringContaining('f16')]);
    // The bars are in proportion: float16 is about half the original's brotli size.
    const widths = await tab.evaluate(() => Array.from(document.querySelectorAll('#size-per-model rect.bar')).map((r) => (r as SVGRectElement).getBBox().width));
    expect(widths[1] / widths[0]).toBeGreaterThan(0.4);
    expect(widths[1] / widths[0]).toBeLessThan(0.6);
    await tab.close();
  });
});
