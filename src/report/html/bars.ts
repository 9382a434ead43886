/** Horizontal bar charts (size per model, load time per network) as inline SVG. */
import { esc, LABEL, lineExtent, px, TITLE, textLines, textWidth, wrap } from './text.js';

/** One bar: its label (a model name), its value and the value as written. */
export interface Bar {
  label: string;
  value: number;
  text: string;
  color: string;
}

/** The widest a label column gets before long names wrap onto more lines. */
const MAX_LABEL = 320;
const BAR_AREA = 360;
const LINE = 15;
const PAD = 8;

/**
 * A bar chart whose label column and width are sized from its text: every label fits
 * its column (wrapped when longer than MAX_LABEL) and every value fits right of its bar.
 */
export function barChart(id: string, title: string, bars: Bar[]): string {
  const { ascent, descent } = lineExtent(LABEL);
  const lines = bars.map((b) => wrap(b.label, MAX_LABEL));
  const labelW = Math.max(40, ...lines.flat().map((l) => textWidth(l)));
  const valueW = Math.max(0, ...bars.map((b) => textWidth(b.text)));
  const x0 = PAD + labelW + 8;
  const width = Math.ceil(Math.max(x0 + BAR_AREA + 6 + valueW + PAD, PAD + textWidth(title, TITLE) + PAD));
  const max = Math.max(...bars.map((b) => b.value), 1e-9);
  let y = 34;
  const rows = bars.map((b, k) => {
    const n = lines[k].length;
    const h = Math.max(24, n * LINE + 9);
    const mid = y + h / 2;
    const base = mid + (ascent - descent) / 2; // baseline that centres one line on the bar
    const bw = Math.max(1, (BAR_AREA * b.value) / max);
    const label = textLines(lines[k], x0 - 8, base - ((n - 1) * LINE) / 2, { anchor: 'end', cls: 'label' });
    const bar = `<rect class="bar" x="${px(x0)}" y="${px(mid - 8)}" width="${px(bw)}" height="16" fill="${b.color}"><title>${esc(`${b.label}: ${b.text}`)}</title></rect>`;
    const value = `<text class="value" x="${px(x0 + bw + 6)}" y="${px(base)}">${esc(b.text)}</text>`;
    y += h;
    return label + bar + value;
  });
  const height = Math.ceil(y + PAD);
  return `<svg id="${esc(id)}" class="chart" role="img" aria-label="${esc(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><text class="title" x="${PAD}" y="20">${esc(title)}</text>${rows.join('')}</svg>`;
}
