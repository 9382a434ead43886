/** The HTML report's pure parts, without a browser: the Pareto front, label wrapping, escaping, the page's text. */
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import { dominators, paretoFront } from '../../src/report/html/pareto.js';
import { esc, textWidth, wrap } from '../../src/report/html/text.js';
import { LONG_NAMES, labelledReport, multiOutputReport } from '../helpers/reports.js';

describe('paretoFront', () => {
  it('keeps the models no other model beats on both size and fidelity, smallest first', () => {
    const pts = [
      { x: 1000, y: 0.9665 }, // beaten by 1: smaller, same accuracy
      { x: 500, y: 0.9665 },
      { x: 280, y: 0.966 },
      { x: 150, y: 0.965 },
      { x: 400, y: 0.8 }, // beaten by 2
    ];
    expect(paretoFront(pts)).toEqual([3, 2, 1]);
    expect(Array.from(dominators(pts))).toEqual([1, -1, -1, -1, 2]);
  });

  it('keeps both of two equal points, and a single point', () => {
    expect(paretoFront([{ x: 5, y: 1 }, { x: 5, y: 1 }, { x: 6, y: 1 }])).toEqual([0, 1]);
    expect(paretoFront([{ x: 5, y: 0.3 }])).toEqual([0]);
  });
});

describe('wrap', () => {
  it('breaks long names after spaces or separators into lines within the width, losing nothing', () => {
    for (const name of [...LONG_NAMES, 'prune-90-global-kernels-only+uint8-per-tensor/biases-excluded', 'x'.repeat(120)]) {
      const lines = wrap(name, 200);
      expect(lines.join('')).toBe(name);
      for (const l of lines) expect(textWidth(l), l).toBeLessThanOrEqual(200);
    }
    expect(wrap(LONG_NAMES[3], 200)).toEqual(['prune 90 % (global scope, ', 'kernels only) + uint8 per ', 'tensor, biases excluded, ', 'packed']);
    expect(wrap('float16', 200)).toEqual(['float16']);
  });
});

describe('renderHtml', () => {
  it('escapes user text everywhere and embeds the report as JSON that parses back', () => {
    const r = multiOutputReport();
    const html = renderHtml(r);
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(html).not.toContain('<script>alert');
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39; &quot;name&quot;');
    const json = /<script type="application\/json" id="report-data">(.*)<\/script>/s.exec(html)?.[1] ?? '';
    expect(JSON.parse(json)).toEqual(r);
    expect(html).not.toMatch(/<pre|https?:|src=|href=/);
  });

  it('says the status in words and names every long model in full', () => {
    const html = renderHtml(labelledReport());
    expect(html).toContain('<h1>maas-compress report: <span class="fail">failed</span></h1>');
    for (const n of LONG_NAMES) expect(html).toContain(`<span class="model-name">${esc(n)}</span>`);
  });
});
