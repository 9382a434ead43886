/**
 * The HTML page of hand-built v2 reports, opened in headless chromium: the table's rows,
 * the worst output in the headline, synthetic and weights-only marking, "as is" sizes,
 * escaping, and chart layout measured by the browser (labels inside their SVG, no two
 * overlapping, the Pareto line through exactly the non-dominated models).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import { textWidth, LABEL, TITLE } from '../../src/report/html/text.js';
import type { Report } from '../../src/report/types.js';
import { NEEDS_CHROMIUM, launchChromium } from '../helpers/browser.js';
import { crowdedReport, labelledReport, LONG_NAMES, multiOutputReport, OUTPUTS, syntheticReport, weightsOnlyReport } from '../helpers/reports.js';
import { tempDir } from '../helpers/synthetic.js';

let browser: Browser | undefined;
const root = tempDir('mc-html-');

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** Open the page of `r` from a file, recording page errors and any request that is not the file itself. */
async function open(r: Report, name: string): Promise<{ tab: Page; problems: string[] }> {
  expect(browser, NEEDS_CHROMIUM).toBeDefined();
  const file = path.join(root, `${name}.html`);
  writeFileSync(file, renderHtml(r));
  const tab = await (browser as Browser).newPage({ viewport: { width: 1400, height: 900 } });
  const problems: string[] = [];
  tab.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
  tab.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  tab.on('request', (req) => {
    if (req.url() !== `file://${file}`) problems.push(`request: ${req.url()}`);
  });
  await tab.goto(`file://${file}`);
  return { tab, problems };
}

/** Every chart's text boxes as the browser lays them out, and the runs of text with their drawn widths. */
async function layout(tab: Page) {
  return tab.evaluate(() =>
    Array.from(document.querySelectorAll('svg')).map((svg) => {
      const s = svg.getBoundingClientRect();
      const texts = Array.from(svg.querySelectorAll('text')).map((t) => {
        const b = t.getBoundingClientRect();
        return { text: t.textContent ?? '', left: b.left, top: b.top, right: b.right, bottom: b.bottom };
      });
      // One run per tspan, or per text without tspans: what the width estimate was made for.
      const runs = Array.from(svg.querySelectorAll('text')).flatMap((t) => {
        const spans = Array.from(t.querySelectorAll('tspan'));
        const title = t.classList.contains('title');
        return (spans.length ? spans : [t]).map((e) => ({ text: e.textContent ?? '', title, drawn: (e as SVGTextContentElement).getComputedTextLength() }));
      });
      return { id: svg.id, box: { left: s.left, top: s.top, right: s.right, bottom: s.bottom }, texts, runs };
    }),
  );
}

/** Labels outside their SVG or overlapping another label of the same chart, in words. */
function layoutProblems(charts: Awaited<ReturnType<typeof layout>>): string[] {
  const out: string[] = [];
  const eps = 0.5;
  for (const c of charts) {
    for (const t of c.texts) {
      if (t.left < c.box.left - eps || t.top < c.box.top - eps || t.right > c.box.right + eps || t.bottom > c.box.bottom + eps) out.push(`${c.id}: "${t.text}" leaves the SVG`);
    }
    for (let i = 0; i < c.texts.length; i++) {
      for (let j = i + 1; j < c.texts.length; j++) {
        const a = c.texts[i];
        const b = c.texts[j];
        if (a.left < b.right - eps && b.left < a.right - eps && a.top < b.bottom - eps && b.top < a.bottom - eps) out.push(`${c.id}: "${a.text}" overlaps "${b.text}"`);
      }
    }
    for (const r of c.runs) {
      const est = textWidth(r.text, r.title ? TITLE : LABEL);
      if (r.drawn > est) out.push(`${c.id}: "${r.text}" drawn ${r.drawn.toFixed(1)} px, estimated ${est.toFixed(1)} px`);
    }
  }
  return out;
}

/** The fidelity chart's dots and Pareto polyline. */
async function pareto(tab: Page) {
  return tab.evaluate(() => {
    const dots = Array.from(document.querySelectorAll('#accuracy-vs-size circle.dot')).map((c) => ({
      name: c.getAttribute('data-model') ?? '',
      x: Number(c.getAttribute('data-x')),
      y: Number(c.getAttribute('data-y')),
      cx: Number(c.getAttribute('cx')),
      cy: Number(c.getAttribute('cy')),
      front: c.classList.contains('front'),
      fill: c.getAttribute('fill'),
    }));
    const lines = Array.from(document.querySelectorAll('#accuracy-vs-size polyline.pareto')) as SVGPolylineElement[];
    // SVGPoint is single precision: back to the 0.1 px the page writes.
    const r = (v: number) => Math.round(v * 10) / 10;
    return { dots, lines: lines.map((l) => Array.from(l.points).map((p) => [r(p.x), r(p.y)])) };
  });
}

/** The names not dominated by another dot (no larger, no less faithful, better on one), computed here independently. */
function nonDominated(dots: { name: string; x: number; y: number }[]): Set<string> {
  return new Set(dots.filter((p) => !dots.some((q) => q !== p && q.x <= p.x && q.y >= p.y && (q.x < p.x || q.y > p.y))).map((p) => p.name));
}

const REPORTS: [string, () => Report][] = [
  ['labelled', labelledReport],
  ['multi-output', multiOutputReport],
  ['synthetic', syntheticReport],
  ['weights-only', weightsOnlyReport],
  ['crowded', crowdedReport],
];

describe('HTML report of hand-built v2 reports, in chromium', () => {
  it.each(REPORTS)('%s: a real table, charts whose labels fit and do not overlap, a Pareto line through exactly the front; offline, no errors', async (name, make) => {
    const r = make();
    const { tab, problems } = await open(r, name);
    const charts = await layout(tab);
    expect(layoutProblems(charts)).toEqual([]);
    expect(charts.map((c) => c.id)).toEqual(['size-per-model', ...(r.inputs === 'none' ? [] : ['accuracy-vs-size']), 'transfer-3g', 'transfer-4g', 'transfer-broadband']);
    for (const c of charts) expect(c.texts.length, c.id).toBeGreaterThan(r.models.length);
    const page = await tab.evaluate(() => ({
      pre: document.querySelectorAll('pre').length,
      tables: document.querySelectorAll('table#models').length,
      rows: document.querySelectorAll('#models tbody tr.model').length,
      names: Array.from(document.querySelectorAll('#models tbody tr.model')).map((tr) => tr.getAttribute('data-model')),
      json: document.getElementById('report-data')?.textContent ?? '',
      scripts: Array.from(document.querySelectorAll('script')).map((s) => s.type),
    }));
    expect(page.pre).toBe(0);
    expect(page.tables).toBe(1);
    expect(page.rows).toBe(r.models.length);
    expect(page.names).toEqual(r.models.map((m) => m.name));
    expect(JSON.parse(page.json)).toEqual(r);
    expect(page.scripts).toEqual(['application/json']);
    if (r.inputs !== 'none') {
      const p = await pareto(tab);
      expect(p.dots.map((d) => d.name)).toEqual(r.models.map((m) => m.name));
      const front = nonDominated(p.dots);
      expect(new Set(p.dots.filter((d) => d.front).map((d) => d.name))).toEqual(front);
      for (const d of p.dots) expect(d.fill === '#fff', `${d.name} is drawn hollow exactly when dominated`).toBe(!front.has(d.name));
      expect(p.lines).toHaveLength(1);
      const expected = p.dots.filter((d) => front.has(d.name)).sort((a, b) => a.x - b.x || b.y - a.y).map((d) => [d.cx, d.cy]);
      expect(p.lines[0]).toEqual(expected);
    }
    expect(problems).toEqual([]);
    await tab.close();
  });

  it('labelled: accuracy columns, full long names, .mcz sizes "as is", the known front, budgets in words', async () => {
    const { tab } = await open(labelledReport(), 'labelled-details');
    const t = await tab.evaluate(() => ({
      head: Array.from(document.querySelectorAll('#models thead th')).map((th) => th.textContent),
      cells: Array.from(document.querySelectorAll('#models tbody tr.model')).map((tr) => Array.from(tr.children).map((c) => c.textContent ?? '')),
      foot: document.querySelector('.footnotes')?.textContent ?? '',
      h1: document.querySelector('h1')?.textContent ?? '',
      budgets: Array.from(document.querySelectorAll('ul.budgets li')).map((li) => li.textContent ?? ''),
      barLabels: Array.from(document.querySelectorAll('#size-per-model text.label')).map((e) => e.textContent),
      legend: Array.from(document.querySelectorAll('#accuracy-vs-size text.key-name')).map((e) => e.textContent),
      measure: document.getElementById('accuracy-vs-size')?.getAttribute('data-measure'),
      subRows: document.querySelectorAll('#models tr.output').length,
    }));
    expect(t.head.slice(0, 4)).toEqual(['model', 'accuracy', 'drop (pts)', 'worst cosine']);
    expect(t.subRows).toBe(0);
    const col = (h: string) => t.head.indexOf(h);
    expect(t.cells.map((c) => c[col('accuracy')])).toEqual(['96.65 %', '96.65 %', '96.60 %', '96.50 %', '80.00 %']);
    expect(t.cells.map((c) => c[col('drop (pts)')])).toEqual(['–', '0.00', '0.05', '0.15', '16.65']);
    expect(t.cells.map((c) => c[col('SQNR dB')])).toEqual(['exact', '78.2', '41.5', '33.9', '6.1']);
    // The two .mcz are served as is: no transfer-encoded size of their own.
    expect(t.cells.map((c) => [c[col('gzip')], c[col('brotli')]].join('|'))).toEqual(['992 kB|970 kB', '496 kB|486 kB', 'as is‡|as is‡', 'as is‡|as is‡', '373 kB|365 kB']);
    expect(t.foot).toContain('‡ as is');
    for (const n of LONG_NAMES) {
      expect(t.cells.some((c) => c[0].includes(n))).toBe(true);
      expect(t.barLabels.some((l) => l?.endsWith(n))).toBe(true);
      expect(t.legend).toContain(n);
    }
    expect(t.measure).toBe('accuracy');
    const p = await pareto(tab);
    expect(p.dots.filter((d) => d.front).map((d) => d.name)).toEqual(['float16', 'int8 per channel', 'prune 50 % (layer) + int8 per channel']);
    expect(t.h1).toBe('maas-compress report: failed');
    expect(t.budgets).toEqual([expect.stringMatching(/^FAIL max-accuracy-drop for "prune 90 %/), expect.stringMatching(/^ok +max-accuracy-drop for "float16"/)]);
    expect(t.cells[4].at(-1)).toBe('failed: max-accuracy-drop');
    await tab.close();
  });

  it('multi-output: one sub-row per output, the damaged second output in the headline, user text escaped', async () => {
    const r = multiOutputReport();
    const { tab } = await open(r, 'multi-details');
    const t = await tab.evaluate(() => {
      const head = Array.from(document.querySelectorAll('#models thead th')).map((th) => th.textContent);
      const rows = Array.from(document.querySelectorAll('#models tbody tr')).map((tr) => ({
        kind: tr.className,
        model: tr.getAttribute('data-model'),
        output: tr.getAttribute('data-output'),
        cells: Array.from(tr.children).map((c) => c.textContent ?? ''),
        worstCell: tr.querySelector('td.worst')?.textContent ?? null,
      }));
      return { head, rows, nameCells: Array.from(document.querySelectorAll('#models th.name .model-name')).map((e) => e.textContent) };
    });
    expect(t.rows.filter((x) => x.kind.startsWith('model'))).toHaveLength(4);
    expect(t.rows.filter((x) => x.kind.startsWith('output'))).toHaveLength(8);
    // Each model's sub-rows follow it, named by the full output names.
    expect(t.rows.map((x) => x.output ?? x.model)).toEqual(r.models.flatMap((m) => [m.name, ...OUTPUTS]));
    const cosCol = t.head.indexOf('worst cosine');
    expect(cosCol).toBeGreaterThan(0);
    const head = t.rows.find((x) => x.kind.startsWith('model') && x.model === 'int8 per tensor');
    expect(head?.cells[cosCol]).toBe('0.34000');
    expect(head?.worstCell).toBe('0.34000');
    expect(head?.cells[0]).toContain(`worst: ${OUTPUTS[1]}, sample 3`);
    const subs = t.rows.filter((x) => x.model === 'int8 per tensor' && x.output);
    expect(subs.map((x) => x.cells[cosCol])).toEqual(['1', '0.34000']);
    expect(subs.map((x) => x.kind)).toEqual(['output', 'output worst']);
    expect(subs[1].cells[0]).toBe(`${OUTPUTS[1]} (worst)`);
    // An exact original names no worst output.
    expect(t.rows.filter((x) => x.model === 'original').every((x) => !x.kind.includes('worst') && x.worstCell === null)).toBe(true);
    // The hostile name is text, not markup.
    expect(t.nameCells).toContain(`<script>alert("x")</script> & 'quoted' "name"`);
    await tab.close();
  });

  it('synthetic inputs: a banner, and every fidelity cell marked', async () => {
    const r = syntheticReport();
    const { tab } = await open(r, 'synthetic-details');
    const t = await tab.evaluate(() => ({
      banner: document.querySelector('.banner.synthetic')?.textContent ?? '',
      fid: Array.from(document.querySelectorAll('#models td.fid')).map((td) => ({ synthetic: td.classList.contains('synthetic'), mark: td.querySelector('sup.syn-mark')?.getAttribute('aria-label') ?? null })),
      plain: document.querySelectorAll('#models td.fid:not(.synthetic)').length,
      head: Array.from(document.querySelectorAll('#models thead th')).map((th) => th.textContent),
      title: document.querySelector('#accuracy-vs-size text.title')?.textContent,
      dots: Array.from(document.querySelectorAll('#accuracy-vs-size circle.dot')).map((c) => c.classList.contains('synthetic')),
    }));
    expect(t.banner).toMatch(/^Synthetic inputs.*256 seeded random inputs, not from real data/);
    expect(t.head).not.toContain('accuracy');
    expect(t.fid).toHaveLength(r.models.length * 5);
    expect(t.fid.every((c) => c.synthetic && c.mark === 'synthetic inputs')).toBe(true);
    expect(t.plain).toBe(0);
    expect(t.title).toBe('Worst-case cosine vs served size (synthetic inputs)');
    expect(t.dots).toEqual([true, true, true]);
    await tab.close();
  });

  it('weights-only: "needs a topology" in place of the fidelity figures, sizes and load times still charted', async () => {
    const r = weightsOnlyReport();
    const { tab } = await open(r, 'weights-details');
    const t = await tab.evaluate(() => ({
      none: Array.from(document.querySelectorAll('#models tr.model td.fid')).map((td) => [td.className, td.textContent, td.getAttribute('colspan')]),
      noChart: document.querySelector('p.no-chart')?.textContent ?? '',
      banner: document.querySelector('.banner.weights-only')?.textContent ?? '',
      bars: document.querySelectorAll('#size-per-model rect.bar').length,
    }));
    expect(t.none).toEqual(r.models.map(() => ['fid none', 'needs a topology', '5']));
    expect(t.noChart).toContain('needs a topology');
    expect(t.banner).toContain('Weights-only manifest');
    expect(t.bars).toBe(3);
    await tab.close();
  });
});
