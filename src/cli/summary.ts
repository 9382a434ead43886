/** The per-tensor and total summary that quantize, prune and compress print. */
import type { CompressResult } from '../compress.js';
import { formatBytes, formatNumber, formatPercent, table } from '../format.js';
import type { Sizes } from '../size.js';
import { type Output, printable } from './output.js';

const pct = (x: number | null) => (x === null ? '-' : formatPercent(x));
const num = (x: number | null) => (x === null ? '-' : formatNumber(x));

/** Print the per-tensor table and totals. */
export function printSummary(out: Output, r: CompressResult): void {
  const rows = r.tensors.map((t) => [
    printable(t.name),
    `[${t.shape.join(',')}]`,
    (t.from === t.to ? t.from : `${t.from} -> ${t.to}`) + (t.keptGrid ? ' (grid kept)' : ''),
    formatBytes(t.bytesBefore),
    formatBytes(t.bytesAfter),
    t.sparsityBefore === t.sparsityAfter ? pct(t.sparsityAfter) : `${pct(t.sparsityBefore)} -> ${pct(t.sparsityAfter)}`,
    num(t.maxError),
    num(t.rmsError),
  ]);
  out.line(table(['tensor', 'shape', 'stored as', 'before', 'after', 'zeros', 'max err', 'rms err'], rows, [false, false, false, true, true, true, true, true]));
  const t = r.totals;
  out.line();
  if (t.prunedWeights > 0) {
    out.result(`pruned ${t.prunedWeights.toLocaleString('en-US')} weights: ${formatPercent(t.zerosBefore / t.prunedWeights)} -> ${formatPercent(t.zerosAfter / t.prunedWeights)} zeros`);
  }
  out.result(`weights ${formatBytes(t.bytesBefore)} -> ${formatBytes(t.bytesAfter)} (${(t.bytesBefore / Math.max(1, t.bytesAfter)).toFixed(2)}x smaller)`);
  if (r.solver) {
    const s = r.solver;
    const how = (l: (typeof s.layers)[number]) => [l.pruned, l.quantized].filter(Boolean).join(' + ');
    out.result(`solved ${s.layers.length} layer(s) on ${s.samples} calibration samples in ${s.seconds.toFixed(1)} s: ${s.layers.map((l) => `${printable(l.kernel)} (${how(l)})`).join(', ') || 'none'}`);
    for (const n of s.notes) out.line(out.c.dim(n));
  }
  for (const w of r.warnings) out.warn(w);
}

/** Print raw / gzip / brotli sizes before and after. */
export function printSizes(out: Output, before: Sizes, after: Sizes): void {
  for (const k of ['raw', 'gzip', 'brotli'] as const) {
    out.result(`${k.padEnd(6)} ${formatBytes(before[k])} -> ${formatBytes(after[k])} (${(before[k] / Math.max(1, after[k])).toFixed(2)}x)`);
  }
}
