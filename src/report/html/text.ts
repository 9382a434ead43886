/**
 * Text for the HTML report's SVG charts: escaping, and a width estimate good enough to
 * lay labels out without a browser. The page names the font ("DejaVu Sans", then
 * Verdana, then any sans-serif); the table below is the wider of DejaVu Sans and
 * Liberation Sans (Arial's metrics) for each printable ASCII character, measured in
 * chromium, so an estimate errs on the wide side and a label laid out from it is not
 * clipped whichever of those fonts the reader has.
 */

/** Escape text for HTML and SVG content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** A font the charts use: size in px, bold or not. */
export interface Font {
  size: number;
  bold: boolean;
}

/** Labels, ticks and values. */
export const LABEL: Font = { size: 12, bold: false };
/** Chart titles. */
export const TITLE: Font = { size: 14, bold: true };
/** The CSS that makes the browser use the fonts the estimates assume. */
export const SVG_FONT_CSS = `svg text{font:12px "DejaVu Sans",Verdana,sans-serif;fill:#222}svg text.title{font-weight:600;font-size:14px}`;

// Advance widths in em for code points 32..126 (space through tilde).
const NORMAL = new Float32Array([
  0.318, 0.401, 0.46, 0.838, 0.636, 0.95, 0.78, 0.275, 0.39, 0.39, 0.5, 0.838, 0.318, 0.361, 0.318, 0.337, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.337, 0.337,
  0.838, 0.838, 0.838, 0.556, 1.015, 0.709, 0.686, 0.722, 0.77, 0.667, 0.611, 0.778, 0.752, 0.295, 0.5, 0.667, 0.557, 0.863, 0.748, 0.787, 0.667, 0.787, 0.722, 0.667, 0.611, 0.732, 0.684,
  0.989, 0.685, 0.667, 0.685, 0.39, 0.337, 0.39, 0.838, 0.556, 0.5, 0.613, 0.635, 0.55, 0.635, 0.615, 0.345, 0.635, 0.634, 0.278, 0.278, 0.579, 0.278, 0.974, 0.634, 0.612, 0.635, 0.635,
  0.395, 0.521, 0.392, 0.634, 0.592, 0.818, 0.592, 0.592, 0.525, 0.636, 0.337, 0.636, 0.838,
]);
const BOLD = new Float32Array([
  0.38, 0.456, 0.521, 0.838, 0.696, 1.002, 0.872, 0.306, 0.457, 0.457, 0.523, 0.838, 0.38, 0.415, 0.38, 0.365, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.4, 0.4,
  0.838, 0.838, 0.838, 0.611, 1, 0.774, 0.762, 0.734, 0.83, 0.683, 0.683, 0.821, 0.837, 0.372, 0.556, 0.775, 0.637, 0.995, 0.837, 0.85, 0.733, 0.85, 0.77, 0.68, 0.703, 0.812, 0.774, 1.103,
  0.771, 0.724, 0.725, 0.457, 0.365, 0.457, 0.838, 0.556, 0.5, 0.675, 0.716, 0.593, 0.716, 0.678, 0.405, 0.716, 0.712, 0.343, 0.343, 0.665, 0.343, 1.042, 0.712, 0.687, 0.716, 0.716, 0.493,
  0.595, 0.478, 0.712, 0.652, 0.924, 0.645, 0.652, 0.582, 0.712, 0.365, 0.712, 0.838,
]);

/** Estimated advance width of `s` in px (a little wider than any of the named fonts draws it). */
export function textWidth(s: string, f: Font = LABEL): number {
  const table = f.bold ? BOLD : NORMAL;
  let em = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (c >= 32 && c < 127) em += table[c - 32];
    else if (c < 32 || (c >= 0x300 && c < 0x370)) em += 0; // control characters, combining marks
    else em += c > 0xffff ? 1.3 : 1.05; // other scripts and symbols come from fallback fonts: about 1 em, emoji more
  }
  return em * f.size * 1.04 + 1;
}

/** Height above and below the baseline of a line of text in font `f`, in px (DejaVu's, the taller). */
export function lineExtent(f: Font = LABEL): { ascent: number; descent: number } {
  return { ascent: f.size * 0.93, descent: f.size * 0.24 };
}

/** Pieces a label may be broken after: spaces, and the separators of recipe names. */
const PIECES = /[^\s/_+-]+[\s/_+-]*|[\s/_+-]+/g;

/**
 * Break `s` into lines no wider than `max` px, after spaces or separators where it can,
 * inside a word only when the word alone is wider. Joined, the lines give `s` back.
 */
export function wrap(s: string, max: number, f: Font = LABEL): string[] {
  const lines: string[] = [];
  let line = '';
  for (const piece of s.match(PIECES) ?? []) {
    if (textWidth(line + piece, f) <= max) {
      line += piece;
      continue;
    }
    if (line) lines.push(line);
    line = '';
    for (const ch of piece) {
      if (line && textWidth(line + ch, f) > max) {
        lines.push(line);
        line = '';
      }
      line += ch;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/** An axis-aligned box in SVG user units. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** True when two boxes overlap by more than `gap` px. */
export function intersects(a: Box, b: Box, gap = 0): boolean {
  return a.x < b.x + b.w + gap && b.x < a.x + a.w + gap && a.y < b.y + b.h + gap && b.y < a.y + a.h + gap;
}

/** True when `inner` lies inside `outer`. */
export function inside(inner: Box, outer: Box): boolean {
  return inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.w <= outer.x + outer.w && inner.y + inner.h <= outer.y + outer.h;
}

/** Format an SVG coordinate. */
export const px = (v: number): string => (Math.round(v * 10) / 10).toString();

/**
 * A `<text>` of one or more lines (one `<tspan>` each, `lineHeight` apart) whose first
 * baseline is at `y`; `anchor` as SVG's text-anchor.
 */
export function textLines(lines: string[], x: number, y: number, opts: { anchor?: 'start' | 'middle' | 'end'; cls?: string; lineHeight?: number } = {}): string {
  const lh = opts.lineHeight ?? 15;
  const anchor = opts.anchor && opts.anchor !== 'start' ? ` text-anchor="${opts.anchor}"` : '';
  const cls = opts.cls ? ` class="${opts.cls}"` : '';
  if (lines.length === 1) return `<text x="${px(x)}" y="${px(y)}"${anchor}${cls}>${esc(lines[0])}</text>`;
  const spans = lines.map((l, i) => `<tspan x="${px(x)}" y="${px(y + i * lh)}">${esc(l)}</tspan>`).join('');
  return `<text${anchor}${cls}>${spans}</text>`;
}
