/** A self-contained HTML page of a Report, with inline SVG charts (no scripts, no network). */
import { formatBytes } from '../format.js';
import { budgetLine, dataNote, renderTable } from './render.js';
import type { Report } from './report.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
const COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#ff9da6', '#9d755d'];

/** Horizontal bars: one per label, scaled to the largest value. */
function bars(id: string, title: string, items: { label: string; value: number; text: string }[]): string {
  const w = 640;
  const rowH = 26;
  const left = 220;
  const max = Math.max(...items.map((i) => i.value), 1e-9);
  const rects = items
    .map((it, k) => {
      const bw = Math.max(1, ((w - left - 110) * it.value) / max);
      const y = 30 + k * rowH;
      return `<text x="${left - 8}" y="${y + 16}" text-anchor="end">${esc(it.label)}</text><rect class="bar" x="${left}" y="${y + 3}" width="${bw.toFixed(1)}" height="${rowH - 8}" fill="${COLORS[k % COLORS.length]}"/><text x="${(left + bw + 6).toFixed(1)}" y="${y + 16}">${esc(it.text)}</text>`;
    })
    .join('');
  return `<figure><svg id="${id}" role="img" aria-label="${esc(title)}" width="${w}" height="${40 + items.length * rowH}"><text x="0" y="16" class="title">${esc(title)}</text>${rects}</svg></figure>`;
}

/** Scatter of accuracy (or agreement) against brotli size. */
function scatter(r: Report): string {
  const w = 640;
  const h = 300;
  const pad = 50;
  const useAcc = r.data.labels;
  const pts = r.models.map((m) => ({ name: m.name, x: m.sizes.brotli, y: (useAcc ? m.metrics.accuracy : m.metrics.agreement) ?? 0 }));
  const xmax = Math.max(...pts.map((p) => p.x)) * 1.1;
  const ymin = Math.min(...pts.map((p) => p.y)) - 0.01;
  const ymax = Math.max(...pts.map((p) => p.y)) + 0.005;
  const sx = (x: number) => pad + ((w - 2 * pad) * x) / xmax;
  const sy = (y: number) => h - pad - ((h - 2 * pad) * (y - ymin)) / Math.max(1e-9, ymax - ymin);
  const dots = pts
    .map((p, k) => `<circle class="dot" cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="6" fill="${COLORS[k % COLORS.length]}"/><text x="${(sx(p.x) + 9).toFixed(1)}" y="${(sy(p.y) + 4).toFixed(1)}">${esc(p.name)}</text>`)
    .join('');
  const label = useAcc ? 'accuracy' : 'top-1 agreement';
  return `<figure><svg id="accuracy-vs-size" role="img" aria-label="${label} vs size" width="${w}" height="${h}"><text x="0" y="16" class="title">${label} vs brotli size</text><line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#888"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#888"/><text x="${w / 2}" y="${h - 12}" text-anchor="middle">brotli bytes (0 to ${esc(formatBytes(xmax))})</text><text x="12" y="${pad - 8}">${(ymax * 100).toFixed(1)} %</text><text x="12" y="${h - pad}">${(ymin * 100).toFixed(1)} %</text>${dots}</svg></figure>`;
}

/** The whole page. */
export function renderHtml(r: Report): string {
  const sizeChart = bars('size-per-model', 'Size per model (brotli)', r.models.map((m) => ({ label: m.name, value: m.sizes.brotli, text: formatBytes(m.sizes.brotli) })));
  const transferCharts = r.networks
    .map((n) => bars(`transfer-${n.name.replace(/\W/g, '-')}`, `Load time @${n.name} (${n.kbitPerSecond} kbit/s, ${n.rttMs} ms RTT)`, r.models.map((m) => ({ label: m.name, value: m.transfer[n.name].ms, text: `${(m.transfer[n.name].ms / 1000).toFixed(2)} s` }))))
    .join('');
  const budgets = r.budgets.length ? `<h2>Budgets</h2><ul>${r.budgets.map((b) => `<li class="${b.passed ? 'ok' : 'fail'}">${esc(budgetLine(b))}</li>`).join('')}</ul>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>maas-compress report</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}svg text{font:12px system-ui,sans-serif;fill:#222}svg .title{font-weight:600;font-size:14px}pre{background:#f6f6f6;padding:1em;overflow:auto}.ok{color:#2a7}.fail{color:#c33;font-weight:600}figure{margin:1.5em 0}</style>
</head><body>
<h1>maas-compress report ${r.passed ? '<span class="ok">passed</span>' : '<span class="fail">failed</span>'}</h1>
<p>${esc(dataNote(r))}</p>
<pre>${esc(renderTable(r))}</pre>
${budgets}
<h2>Charts</h2>
${sizeChart}
${scatter(r)}
${transferCharts}
<script type="application/json" id="report-data">${JSON.stringify(r).replace(/</g, '\\u003c')}</script>
</body></html>
`;
}
