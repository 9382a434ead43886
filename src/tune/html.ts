/** The sensitivity HTML page: one self-contained file, a chart of each tensor's probe damage and the full candidate table. */
import { formatBytes } from '../format.js';
import { barChart } from '../report/html/bars.js';
import { COLORS } from '../report/html/figures.js';
import { SVG_FONT_CSS, esc } from '../report/html/text.js';
import type { Sensitivity } from './sensitivity.js';

const cos = (x: number) => x.toFixed(5);
const db = (x: number | null) => (x === null ? '∞' : x.toFixed(1));

/** Render a sensitivity result as a page (`title` names the model). */
export function renderSensitivityHtml(s: Sensitivity & { data?: { source: string; samples: number } }, title: string): string {
  // Damage as 1 - worst cosine on a log scale: the chart must show both 1e-6 and 0.5.
  const bars = s.tensors.map((t) => {
    const d = Math.max(1e-9, 1 - t.probe.cosineMin);
    return { label: t.name, value: Math.max(0, 9 + Math.log10(d)), text: `1 − cos ${d.toExponential(1)}  (${formatBytes(t.keepBytes)})`, color: COLORS[0] };
  });
  const chart = barChart('probe', 'Damage of int8-sized noise in each tensor alone (1 − worst cosine, log scale)', bars);
  const rows = s.tensors
    .flatMap((t) =>
      t.candidates.map(
        (c, k) =>
          `<tr>${k === 0 ? `<th rowspan="${t.candidates.length}" scope="rowgroup">${esc(t.name)}<br><small>[${t.shape.join(', ')}]</small></th>` : ''}<td>${esc(c.label)}</td><td class="n">${c.bytes}</td><td class="n">${c.saves}</td><td class="n">${cos(c.predicted.cosineMin)}</td><td class="n">${db(c.predicted.sqnrDb)}</td><td class="n">${c.measured ? cos(c.measured.cosineMin) : '–'}</td><td class="n">${c.measured ? db(c.measured.sqnrDb) : '–'}</td></tr>`,
      ),
    )
    .join('');
  const data = s.data ? `${esc(s.data.source)}, ${s.data.samples} samples` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sensitivity: ${esc(title)}</title><style>body{font:14px "DejaVu Sans",Verdana,sans-serif;margin:24px;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}${SVG_FONT_CSS}</style></head><body><h1>Sensitivity: ${esc(title)}</h1><p>${data}; method: ${s.method} (${s.runs} full-model runs). Predicted figures come from one noise probe per tensor (docs/tune.md); measured ones from full runs.</p>${chart}<table><thead><tr><th>tensor</th><th>encoding</th><th>bytes</th><th>saves</th><th>cosine min (predicted)</th><th>SQNR dB (predicted)</th><th>cosine min (measured)</th><th>SQNR dB (measured)</th></tr></thead><tbody>${rows}</tbody></table></body></html>\n`;
}
