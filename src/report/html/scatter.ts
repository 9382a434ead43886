/**
 * The fidelity-against-served-size chart with its Pareto front, as inline SVG. Dots carry
 * a number, not the model's name (names of 60 characters and more would collide); the
 * legend below the plot gives number, full name, figures and whether the model is on
 * the front, so the chart reads without colour.
 */
import { formatBytes } from '../../format.js';
import type { Report } from '../types.js';
import { COLORS, encodingName, fidelityMeasure, servedBytes } from './figures.js';
import { dominators, paretoFront, type Point } from './pareto.js';
import { type Box, esc, inside, intersects, LABEL, lineExtent, px, TITLE, textLines, textWidth, wrap } from './text.js';

const PAD = 8;
const PW = 480;
const PH = 260;
const INSET = 14;
const TOP = 52;
const DOT = 5;
const NAME_MAX = 380;
const LINE = 15;

/** Ticks at round values covering [lo, hi]. */
function niceTicks(lo: number, hi: number, count: number): { lo: number; hi: number; step: number; values: number[] } {
  const raw = (hi - lo) / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  const step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
  const k0 = Math.floor(lo / step + 1e-9);
  const k1 = Math.ceil(hi / step - 1e-9);
  const values: number[] = [];
  for (let k = k0; k <= k1; k++) values.push(k * step);
  return { lo: k0 * step, hi: k1 * step, step, values };
}

/** Decimals a tick step needs. */
const decimals = (step: number): number => Math.max(0, -Math.floor(Math.log10(step) + 1e-9));

/** The y range: the data's, widened when every model has the same fidelity, never past 1 for a fraction. */
function yRange(ys: number[]): [number, number] {
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (hi - lo < 1e-9) {
    const span = Math.max(Math.abs(hi) * 0.01, 1e-3);
    lo -= span;
    hi += span;
    if (hi > 1 && lo + span <= 1) [lo, hi] = [1 - 2 * span, 1];
  }
  return [lo, hi];
}

/** A label's box when its box centre is at (cx, cy). */
function boxAt(cx: number, cy: number, w: number): Box {
  const { ascent, descent } = lineExtent(LABEL);
  return { x: cx - w / 2, y: cy - (ascent + descent) / 2, w, h: ascent + descent };
}

const DIRECTIONS: [number, number][] = [
  [1, 0],
  [-1, 0],
  [0, -1],
  [0, 1],
  [1, -1],
  [-1, -1],
  [1, 1],
  [-1, 1],
];

/**
 * Place each dot's number beside it, first free place found going outwards: inside the
 * plot, clear of every dot and of the numbers already placed.
 */
function placeNumbers(dots: { cx: number; cy: number; text: string }[], plot: Box): { box: Box; far: boolean }[] {
  const dotBoxes = dots.map((d) => ({ x: d.cx - DOT - 1, y: d.cy - DOT - 1, w: 2 * DOT + 2, h: 2 * DOT + 2 }));
  const placed: Box[] = [];
  return dots.map((d) => {
    const w = textWidth(d.text);
    const h = boxAt(0, 0, w).h;
    let chosen: Box | undefined;
    let far = false;
    for (let level = 0; level < 12 && !chosen; level++) {
      for (const [ux, uy] of DIRECTIONS) {
        const dist = DOT + 3 + level * 10;
        const norm = Math.hypot(ux, uy);
        const b = boxAt(d.cx + (ux / norm) * (dist + w / 2), d.cy + (uy / norm) * (dist + h / 2), w);
        if (inside(b, plot) && !dotBoxes.some((o) => intersects(b, o, 1)) && !placed.some((o) => intersects(b, o, 1))) {
          chosen = b;
          far = level > 0;
          break;
        }
      }
    }
    // Only a plot crowded beyond any real report gets here: the number then sits on its dot.
    const box = chosen ?? boxAt(d.cx, d.cy, w);
    placed.push(box);
    return { box, far };
  });
}

/** The chart (or a sentence saying why there is none). */
export function fidelityChart(r: Report): string {
  const measure = fidelityMeasure(r);
  const synthetic = r.inputs === 'synthetic';
  const enc = encodingName(r.encoding);
  const all = r.models.map((m, k) => {
    const y = m.metrics === null ? null : measure === 'accuracy' ? m.metrics.accuracy : m.metrics.cosineMin;
    return { m, k, x: servedBytes(m, r.encoding), y };
  });
  const plotted = all.filter((p): p is typeof p & { y: number } => p.y !== null);
  if (plotted.length === 0) return `<p class="no-chart">No fidelity chart: no model could be run (a weights-only manifest needs a topology).</p>`;

  const pts: Point[] = plotted.map((p) => ({ x: p.x, y: p.y }));
  const by = dominators(pts);
  const front = paretoFront(pts);
  const isPct = measure === 'accuracy';
  const yt = (() => {
    const [lo, hi] = yRange(pts.map((p) => p.y));
    return niceTicks(lo, hi, 4);
  })();
  const xt = niceTicks(0, Math.max(...pts.map((p) => p.x), 1), 4);
  const yDec = decimals(isPct ? yt.step * 100 : yt.step);
  const yLabel = (v: number) => (isPct ? `${(v * 100).toFixed(yDec)} %` : v.toFixed(yDec));
  const ML = Math.ceil(PAD + Math.max(...yt.values.map((v) => textWidth(yLabel(v)))) + 10);
  const bottom = TOP + PH;
  const plot: Box = { x: ML, y: TOP, w: PW, h: PH };
  const sx = (x: number) => ML + INSET + ((PW - 2 * INSET) * x) / xt.hi;
  const sy = (y: number) => bottom - INSET - ((PH - 2 * INSET) * (y - yt.lo)) / (yt.hi - yt.lo);
  const { ascent, descent } = lineExtent(LABEL);
  const mid = (ascent - descent) / 2; // baseline offset that centres a line on a y coordinate

  const parts: string[] = [];
  parts.push(`<rect class="plot" x="${ML}" y="${TOP}" width="${PW}" height="${PH}" fill="none" stroke="#888"/>`);
  for (const v of yt.values) {
    const y = px(sy(v));
    parts.push(`<line class="grid" x1="${ML}" x2="${ML + PW}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`);
    parts.push(`<text class="tick" x="${ML - 6}" y="${px(sy(v) + mid)}" text-anchor="end">${esc(yLabel(v))}</text>`);
  }
  let lastRight = -Infinity;
  let xRight = 0;
  for (const v of xt.values) {
    const t = formatBytes(Math.round(v));
    const w = textWidth(t);
    const x = sx(v);
    if (x - w / 2 < lastRight + 8) continue; // keep tick labels apart
    lastRight = x + w / 2;
    xRight = Math.max(xRight, lastRight);
    parts.push(`<line class="grid" x1="${px(x)}" x2="${px(x)}" y1="${TOP}" y2="${bottom}" stroke="#e4e4e4"/>`);
    parts.push(`<text class="tick" x="${px(x)}" y="${bottom + 18}" text-anchor="middle">${esc(t)}</text>`);
  }
  const yTitle = `${isPct ? 'accuracy' : 'worst-case cosine'}${synthetic ? ' (synthetic inputs)' : ''}`;
  const xTitle = `served size (${enc}${r.models.some((m) => m.servedAsIs) ? '; .mcz as is' : ''})`;
  parts.push(`<text class="axis" x="${ML}" y="40">${esc(yTitle)}</text>`);
  parts.push(`<text class="axis" x="${ML + PW / 2}" y="${bottom + 38}" text-anchor="middle">${esc(xTitle)}</text>`);

  const dots = plotted.map((p) => ({ cx: Number(px(sx(p.x))), cy: Number(px(sy(p.y))), text: String(p.k + 1) }));
  parts.push(`<polyline class="pareto" fill="none" stroke="#222" stroke-width="1.5" points="${front.map((i) => `${dots[i].cx},${dots[i].cy}`).join(' ')}"/>`);
  const numbers = placeNumbers(dots, plot);
  plotted.forEach((p, i) => {
    const d = dots[i];
    const color = COLORS[p.k % COLORS.length];
    const onFront = by[i] < 0;
    const style = onFront ? `fill="${color}" stroke="#222"` : `fill="#fff" stroke="${color}" stroke-width="2"`;
    const n = numbers[i];
    if (n.far) parts.push(`<line class="leader" x1="${d.cx}" y1="${d.cy}" x2="${px(n.box.x + n.box.w / 2)}" y2="${px(n.box.y + n.box.h / 2)}" stroke="#999"/>`);
    parts.push(
      `<circle class="dot ${onFront ? 'front' : 'dominated'}${synthetic ? ' synthetic' : ''}" data-model="${esc(p.m.name)}" data-x="${p.x}" data-y="${p.y}" cx="${d.cx}" cy="${d.cy}" r="${DOT}" ${style}><title>${esc(p.m.name)}</title></circle>`,
    );
    parts.push(`<text class="dot-label" x="${px(n.box.x + n.box.w / 2)}" y="${px(n.box.y + ascent)}" text-anchor="middle">${d.text}</text>`);
  });

  // The legend: number, full name (wrapped past NAME_MAX), figures and standing, one row per model.
  const nameLines = all.map((p) => wrap(p.m.name, NAME_MAX));
  const nameW = Math.max(...nameLines.flat().map((l) => textWidth(l)));
  const detail = all.map((p) => {
    if (p.y === null) return `${formatBytes(p.x)}, not plotted: ${p.m.metrics === null ? 'needs a topology' : 'no accuracy'}`;
    const i = plotted.findIndex((q) => q.k === p.k);
    const fig = isPct ? `${(p.y * 100).toFixed(2)} %` : `cosine ${p.y.toFixed(5)}`;
    return `${formatBytes(p.x)}, ${fig}, ${by[i] < 0 ? 'on the front' : `dominated by ${plotted[by[i]].k + 1}`}`;
  });
  const nameX = ML + 34;
  const detailX = nameX + nameW + 14;
  let y = bottom + 52;
  all.forEach((p, k) => {
    const lines = nameLines[k];
    const h = Math.max(20, lines.length * LINE + 5);
    const c = y + h / 2;
    const base = c + mid - ((lines.length - 1) * LINE) / 2;
    const color = COLORS[p.k % COLORS.length];
    const onFront = p.y !== null && by[plotted.findIndex((q) => q.k === p.k)] < 0;
    const style = onFront ? `fill="${color}" stroke="#222"` : `fill="#fff" stroke="${color}" stroke-width="2"`;
    if (p.y !== null) parts.push(`<circle class="key" cx="${ML + 6}" cy="${px(c)}" r="${DOT}" ${style}/>`);
    parts.push(`<text class="key-number" x="${ML + 16}" y="${px(base)}">${p.k + 1}</text>`);
    parts.push(textLines(lines, nameX, base, { cls: 'key-name' }));
    parts.push(`<text class="key-detail" x="${px(detailX)}" y="${px(base)}">${esc(detail[k])}</text>`);
    y += h;
  });

  const title = `${isPct ? 'Accuracy' : 'Worst-case cosine'} vs served size${synthetic ? ' (synthetic inputs)' : ''}`;
  const width = Math.ceil(Math.max(ML + PW + PAD, xRight + PAD, detailX + Math.max(...detail.map((d) => textWidth(d))) + PAD, PAD + textWidth(title, TITLE) + PAD, ML + PW / 2 + textWidth(xTitle) / 2 + PAD));
  const height = Math.ceil(y + PAD);
  // The id is the first page's, kept for whoever reads the page; data-measure says what is plotted.
  const svg = `<svg id="accuracy-vs-size" class="chart" data-measure="${measure}" role="img" aria-label="${esc(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><text class="title" x="${PAD}" y="20">${esc(title)}</text>${parts.join('')}</svg>`;
  const caption = `Line: the Pareto front, the models no other model beats on both served size and ${isPct ? 'accuracy' : 'worst-case cosine'} (filled dots). Hollow dots are dominated: another model is at least as small and at least as faithful.`;
  return `<figure>${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}
