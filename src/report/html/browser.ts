/** The HTML report's browser section (`report --browser`): a table of the measured figures beside the simulated transfer, the notes, and one stacked chart per profile. */
import { BROWSER_HEADER, browserNotes, browserRows } from '../browser/rows.js';
import type { Report } from '../types.js';
import { stackedChart } from './stacked.js';
import { esc } from './text.js';

/** The section, or '' when the report has no browser figures. */
export function browserSection(r: Report): string {
  const rows = browserRows(r);
  if (!rows) return '';
  const head = BROWSER_HEADER.map((h, i) => `<th scope="col"${i > 1 ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const body = rows.map((cells) => `<tr>${cells.map((c, i) => (i === 0 ? `<th scope="row" class="name">${esc(c)}</th>` : `<td${i > 1 ? ' class="num"' : ''}>${esc(c)}</td>`)).join('')}</tr>`).join('\n');
  const table = `<div class="table-wrap"><table id="browser-table"><caption>Measured in headless Chromium, per profile (median of the runs), beside the simulated transfer</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
  const notes = `<ul class="notes">${browserNotes(r).map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`;
  const charts = r.networks
    .map((n) =>
      stackedChart(
        `browser-${n.name.replace(/[^\w-]/g, '-')}`,
        `Time to first prediction @${n.name}, measured (${n.kbitPerSecond} kbit/s, ${n.rttMs} ms latency)`,
        r.models.map((m, k) => ({ label: `${k + 1} ${m.name}`, timing: m.browser?.[n.name] ?? null, simulatedMs: m.transfer[n.name]?.ms ?? 0 })),
      ),
    )
    .map((svg) => `<figure>${svg}<figcaption>Each bar: transfer, decode, build and first prediction measured in Chromium; the black tick: the simulated transfer time.</figcaption></figure>`)
    .join('\n');
  return `<h2>Measured in a browser</h2>\n${table}\n${notes}\n${charts}`;
}
