/**
 * The browser chart of one network profile, as inline SVG: one stacked bar per model
 * (transfer, decode, build, first prediction: together the time to first prediction) with
 * a tick at the simulated transfer time, sized from its text like the other bar charts.
 */
import type { BrowserTiming } from '../types.js';
import { esc, LABEL, lineExtent, px, TITLE, textLines, textWidth, wrap } from './text.js';

/** The segments of a bar, in order, with their fills (distinct in lightness too, and named in the legend). */
export const SEGMENTS: { key: keyof BrowserTiming; name: string; color: string }[] = [
  { key: 'transferMs', name: 'transfer', color: '#4c78a8' },
  { key: 'decodeMs', name: 'decode', color: '#f58518' },
  { key: 'buildMs', name: 'build', color: '#54a24b' },
  { key: 'firstPredictionMs', name: 'first prediction', color: '#b3261e' },
];

/** One model's bar: its label, measured figures (null: nothing ran) and simulated transfer. */
export interface StackedBar {
  label: string;
  timing: BrowserTiming | null;
  simulatedMs: number;
}

const MAX_LABEL = 320;
const BAR_AREA = 420;
const LINE = 15;
const PAD = 8;

/** Milliseconds below a second, seconds with two decimals above. */
const secs = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

/** The legend under the title: a swatch and a name per segment, then the simulation tick. */
function legend(y: number): { svg: string; width: number } {
  let x = PAD;
  const parts: string[] = [];
  for (const s of SEGMENTS) {
    parts.push(`<rect x="${px(x)}" y="${px(y - 10)}" width="12" height="12" fill="${s.color}"></rect>`, `<text class="legend" x="${px(x + 16)}" y="${px(y)}">${esc(s.name)}</text>`);
    x += 16 + textWidth(s.name) + 14;
  }
  const sim = 'simulated transfer';
  parts.push(`<line x1="${px(x + 6)}" x2="${px(x + 6)}" y1="${px(y - 12)}" y2="${px(y + 3)}" stroke="#222" stroke-width="2"></line>`, `<text class="legend" x="${px(x + 14)}" y="${px(y)}">${sim}</text>`);
  return { svg: parts.join(''), width: x + 14 + textWidth(sim) + PAD };
}

/**
 * A stacked bar chart: every label fits its column (wrapped when longer than MAX_LABEL),
 * every total fits right of its bar, and the scale covers the simulated ticks too.
 */
export function stackedChart(id: string, title: string, bars: StackedBar[]): string {
  const { ascent, descent } = lineExtent(LABEL);
  const lines = bars.map((b) => wrap(b.label, MAX_LABEL));
  const texts = bars.map((b) => `${b.timing ? secs(b.timing.timeToFirstPredictionMs) : 'needs a topology'} (simulated transfer ${secs(b.simulatedMs)})`);
  const labelW = Math.max(40, ...lines.flat().map((l) => textWidth(l)));
  const valueW = Math.max(0, ...texts.map((t) => textWidth(t)));
  const x0 = PAD + labelW + 8;
  const key = legend(44);
  const width = Math.ceil(Math.max(x0 + BAR_AREA + 6 + valueW + PAD, PAD + textWidth(title, TITLE) + PAD, key.width));
  const total = (t: BrowserTiming) => SEGMENTS.reduce((s, g) => s + (t[g.key] as number), 0);
  const max = Math.max(1e-9, ...bars.map((b) => Math.max(b.simulatedMs, b.timing ? total(b.timing) : 0)));
  const scale = BAR_AREA / max;
  let y = 58;
  const rows = bars.map((b, k) => {
    const n = lines[k].length;
    const h = Math.max(26, n * LINE + 9);
    const mid = y + h / 2;
    const base = mid + (ascent - descent) / 2;
    const label = textLines(lines[k], x0 - 8, base - ((n - 1) * LINE) / 2, { anchor: 'end', cls: 'label' });
    let x = x0;
    const segs = b.timing
      ? SEGMENTS.map((g) => {
          const v = b.timing?.[g.key] as number;
          const w = v * scale;
          const rect = `<rect class="segment ${g.key.replace(/Ms$/, '')}" x="${px(x)}" y="${px(mid - 8)}" width="${px(Math.max(w, 0))}" height="16" fill="${g.color}"><title>${esc(`${b.label}: ${g.name} ${secs(v)}`)}</title></rect>`;
          x += w;
          return rect;
        }).join('')
      : '';
    const tx = x0 + b.simulatedMs * scale;
    const tick = `<line class="simulated" x1="${px(tx)}" x2="${px(tx)}" y1="${px(mid - 11)}" y2="${px(mid + 11)}" stroke="#222" stroke-width="2"><title>${esc(`${b.label}: simulated transfer ${secs(b.simulatedMs)}`)}</title></line>`;
    const value = `<text class="value" x="${px(Math.max(x, tx) + 6)}" y="${px(base)}">${esc(texts[k])}</text>`;
    y += h;
    return label + segs + tick + value;
  });
  const height = Math.ceil(y + PAD);
  return `<svg id="${esc(id)}" class="chart stacked" role="img" aria-label="${esc(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><text class="title" x="${PAD}" y="20">${esc(title)}</text>${key.svg}${rows.join('')}</svg>`;
}
