/**
 * A self-contained HTML page of a Report: a real table of every model (and of every
 * output of multi-output models), inline SVG charts, and the report's JSON. No script
 * runs and nothing is fetched; every piece of user text (model, output and file names)
 * is escaped.
 */
import { formatBytes } from '../format.js';
import { barChart } from './html/bars.js';
import { browserSection } from './html/browser.js';
import { COLORS, encodingName, secs, servedBytes } from './html/figures.js';
import { fidelityChart } from './html/scatter.js';
import { modelTable } from './html/table.js';
import { esc, SVG_FONT_CSS } from './html/text.js';
import { budgetLine } from './render.js';
import type { Report } from './types.js';

const CSS = `body{font:14px system-ui,sans-serif;margin:2em;color:#222;max-width:1600px}
h1 .ok,.ok{color:#17663a}h1 .fail,.fail{color:#b3261e;font-weight:600}
.banner{border:2px solid #222;padding:.6em 1em;margin:1em 0;background:#fff8e1}.banner strong{display:block}
.table-wrap{overflow-x:auto}table{border-collapse:collapse;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.3em 0}th,td{border-bottom:1px solid #ddd;padding:.3em .6em;vertical-align:top}
table{font-size:13px}thead th{border-bottom:2px solid #222;text-align:left;vertical-align:bottom}.num{text-align:right;white-space:nowrap}thead th.num{white-space:normal}
th,td{padding:.3em .45em}sup{line-height:0}th.name{text-align:left;font-weight:600;min-width:13em;max-width:32em}td.budget{min-width:8em}th.name .n{display:inline-block;min-width:1.4em;color:#555;font-weight:400}
.worst-note{font-weight:400;font-size:12px;color:#555}td.worst{font-weight:700}
tr.output th{font-weight:400;padding-left:2.4em;text-align:left}tr.output th::before{content:"\\21B3\\00A0"}tr.output td{color:#444;background:#fafafa}tr.output.worst td.fid{font-weight:700}
td.synthetic{font-style:italic}.syn-mark{font-style:normal;color:#7a4b00}td.none{color:#555;font-style:italic;text-align:center}
.footnotes{font-size:13px;color:#333;padding-left:1.2em}figure{margin:1.5em 0;overflow-x:auto}figcaption{font-size:13px;color:#333;max-width:60em}
${SVG_FONT_CSS}`;

/** Where the figures come from, in one sentence built from the report itself. */
function dataSentence(r: Report): string {
  const d = r.data;
  const sizes = `transfer sizes ${encodingName(r.encoding)}; backend ${r.backend}`;
  if (r.inputs === 'none') return `No inputs were run: ${sizes}.`;
  if (r.inputs === 'synthetic') return `Inputs: ${d.samples} seeded random samples (${d.source}), no labels; ${sizes}.`;
  const labels = d.labels ? `with labels${d.labelOutput ? ` for output ${d.labelOutput}` : ''}` : 'without labels (agreement and cosine against the original)';
  return `Data: ${d.source}, ${d.samples} samples ${labels}; ${sizes}.`;
}

/** The warning at the top when the fidelity figures are not from real data. */
function banner(r: Report): string {
  if (r.inputs === 'synthetic') {
    return `<div class="banner synthetic" role="note"><strong>Synthetic inputs</strong>Every fidelity figure on this page (marked †) comes from ${r.data.samples} seeded random inputs, not from real data: it says how closely each model follows the original on those inputs, not how accurate it is.</div>`;
  }
  if (r.inputs === 'none') {
    return `<div class="banner weights-only" role="note"><strong>No fidelity figures</strong>Weights-only manifest: without a topology nothing can be run, so only sizes and load times are reported.</div>`;
  }
  return '';
}

/** The whole page. */
export function renderHtml(r: Report): string {
  const color = (k: number) => COLORS[k % COLORS.length];
  const enc = encodingName(r.encoding);
  const sizeChart = barChart(
    'size-per-model',
    `Served size per model (${enc}${r.models.some((m) => m.servedAsIs) ? '; .mcz as is' : ''})`,
    r.models.map((m, k) => ({ label: `${k + 1} ${m.name}`, value: servedBytes(m, r.encoding), text: `${formatBytes(servedBytes(m, r.encoding))}${m.servedAsIs ? ' (as is)' : ''}`, color: color(k) })),
  );
  const transferCharts = r.networks
    .map((n) =>
      barChart(
        `transfer-${n.name.replace(/[^\w-]/g, '-')}`,
        `Load time @${n.name} (${n.kbitPerSecond} kbit/s, ${n.rttMs} ms RTT)`,
        r.models.map((m, k) => ({ label: `${k + 1} ${m.name}`, value: m.transfer[n.name]?.ms ?? 0, text: secs(m.transfer[n.name]?.ms ?? 0), color: color(k) })),
      ),
    )
    .map((svg) => `<figure>${svg}</figure>`)
    .join('\n');
  const budgets = r.budgets.length ? `<h2>Budgets</h2><ul class="budgets">${r.budgets.map((b) => `<li class="${b.passed ? 'ok' : 'fail'}">${esc(budgetLine(b))}</li>`).join('')}</ul>` : '';
  const notes = r.notes.length ? `<ul class="notes">${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '';
  const status = r.passed ? '<span class="ok">passed</span>' : '<span class="fail">failed</span>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>maas-compress report: ${r.passed ? 'passed' : 'failed'}</title>
<style>${CSS}</style>
</head><body>
<h1>maas-compress report: ${status}</h1>
<p class="data">${esc(dataSentence(r))}</p>
${banner(r)}
${notes}
${modelTable(r)}
${budgets}
<h2>Charts</h2>
<figure>${sizeChart}</figure>
${fidelityChart(r)}
${transferCharts}
${browserSection(r)}
<script type="application/json" id="report-data">${JSON.stringify(r).replace(/</g, '\\u003c')}</script>
</body></html>
`;
}
