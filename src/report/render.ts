/** Rendering a Report as a terminal table or as markdown (for a pull-request comment). */
import { formatBytes, table } from '../format.js';
import type { BudgetResult } from './budgets.js';
import { encodedSize } from './report.js';
import { BROWSER_HEADER, browserNotes, browserRows } from './browser/rows.js';
import type { Metrics, ModelReport, OutputMetrics, Report } from './types.js';

const pts = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(2)}`);
const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(2)} %`);
const secs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
/** SQNR in dB; null means the outputs are identical. */
export const formatSqnr = (x: number | null) => (x === null ? 'exact' : x.toFixed(1));

/** The fidelity cells of a model or of one output; `mark` flags figures from synthetic inputs. */
function fidelityCells(f: Metrics | OutputMetrics | null, mark: string): string[] {
  if (!f) return ['needs topology', '-', '-', '-', '-'];
  return [pct(f.agreement), f.cosineMin.toFixed(5), f.cosineMean.toFixed(5), formatSqnr(f.sqnrDb), f.maxAbsError.toExponential(2)].map((c) => (c === '-' ? c : c + mark));
}

/** Rows shared by the table and markdown renderers: one per model, one more per output of multi-output models. */
function rows(r: Report): { header: string[]; body: string[][]; right: boolean[] } {
  const nets = r.networks.map((n) => n.name);
  const mark = r.inputs === 'synthetic' ? '*' : '';
  const header = ['model', 'accuracy', 'drop (pts)', 'agreement', 'cos min', 'cos mean', 'SQNR dB', 'max abs err', 'raw', 'gzip', 'brotli', 'smaller', ...nets.map((n) => `load @${n}`)];
  const body: string[][] = [];
  const served = (m: ModelReport, v: number) => (m.servedAsIs ? 'as is' : formatBytes(v));
  for (const m of r.models) {
    const fid = fidelityCells(m.metrics, mark);
    body.push([
      m.name,
      m.metrics ? pct(m.metrics.accuracy) : '-',
      m.role === 'original' ? '-' : pts(m.delta.accuracyDrop),
      ...fid,
      formatBytes(m.sizes.raw),
      served(m, m.sizes.gzip),
      served(m, m.sizes.brotli),
      `${m.delta.sizeReduction.toFixed(2)}x`,
      ...nets.map((n) => secs(m.transfer[n].ms)),
    ]);
    const outs = m.metrics?.outputs ?? [];
    if (outs.length > 1) {
      for (const o of outs) body.push([`  ↳ ${o.name}`, pct(o.accuracy), '', ...fidelityCells(o, mark), '', '', '', '', ...nets.map(() => '')]);
    }
  }
  return { header, body, right: header.map((_, i) => i > 0) };
}

/** One line per budget. */
export function budgetLine(b: BudgetResult): string {
  const fmt = (v: number | null) => {
    if (v === null) return b.name === 'min-sqnr' && b.passed ? 'exact' : 'n/a';
    if (b.name === 'max-accuracy-drop') return `${(v * 100).toFixed(2)} points`;
    if (b.name === 'min-size-reduction') return `${v.toFixed(2)}x`;
    if (b.name === 'max-size') return formatBytes(v);
    if (b.name === 'min-cosine') return v.toFixed(5);
    if (b.name === 'min-sqnr') return `${v.toFixed(1)} dB`;
    if (b.name === 'min-agreement') return `${(v * 100).toFixed(2)} %`;
    return secs(v);
  };
  return `${b.passed ? 'ok  ' : 'FAIL'} ${b.name} for "${b.model}": limit ${fmt(b.limit)}, actual ${fmt(b.actual)}`;
}

/** The data note: where the fidelity figures come from. */
export function dataNote(r: Report): string {
  const d = r.data;
  const tail = `backend ${r.backend}; transfer sizes ${r.encoding === 'none' ? 'raw' : r.encoding === 'br' ? 'brotli' : 'gzip'}`;
  if (r.inputs === 'none') return `no inputs: sizes and transfer only; ${tail}`;
  if (r.inputs === 'synthetic') return `* data: ${d.samples} ${d.source} inputs, no labels: figures marked * are on synthetic inputs, not real data; ${tail}`;
  const labels = d.labels ? ` with labels (on output "${d.labelOutput}")` : ', no labels (agreement and cosine only)';
  return `data: ${d.source}, ${d.samples} samples${labels}; headline figures are the worst output's (cos min: the worst sample); ${tail}`;
}

/** The worst output and sample of each candidate, for the notes under the table. */
function worstLines(r: Report): string[] {
  return r.models
    .filter((m) => m.role === 'candidate' && m.metrics && m.metrics.cosineMin < 1)
    .map((m) => `worst: ${m.name}: output "${(m.metrics as Metrics).worst.output}", sample ${(m.metrics as Metrics).worst.sample}, cosine ${(m.metrics as Metrics).cosineMin.toFixed(5)}`);
}

/** Terminal table. */
export function renderTable(r: Report): string {
  const { header, body, right } = rows(r);
  const lines = [table(header, body, right), '', dataNote(r), ...r.notes.filter((n) => !n.startsWith('fidelity figures come from')), ...worstLines(r)];
  const measured = browserRows(r);
  if (measured) lines.push('', table(BROWSER_HEADER, measured, BROWSER_HEADER.map((_, i) => i > 1)), '', ...browserNotes(r));
  if (r.budgets.length) lines.push('', ...r.budgets.map(budgetLine));
  return lines.join('\n');
}

/** Markdown for a pull-request comment or GITHUB_STEP_SUMMARY. */
export function renderMarkdown(r: Report): string {
  const { header, body } = rows(r);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    `### maas-compress report ${r.passed ? '✅' : '❌'}`,
    '',
    `| ${header.map(esc).join(' | ')} |`,
    `| --- | ${header.slice(1).map(() => '---:').join(' | ')} |`,
    ...body.map((b) => `| ${b.map(esc).join(' | ')} |`),
    '',
    ...[...r.notes, ...worstLines(r)].map((n) => `_${n}._`),
    '',
    `_${dataNote(r)}. Transfer: ${r.networks.map((n) => `${n.name} ${n.kbitPerSecond} kbit/s, ${n.rttMs} ms RTT`).join('; ')}; sizes as sent (${r.encoding}): ${r.models.map((m) => `${m.name} ${formatBytes(encodedSize(m.sizes, r.encoding))}`).join(', ')}._`,
  ];
  const measured = browserRows(r);
  if (measured) {
    lines.push('', '#### Measured in a browser', '', `| ${BROWSER_HEADER.join(' | ')} |`, `| --- | --- | ${BROWSER_HEADER.slice(2).map(() => '---:').join(' | ')} |`, ...measured.map((b) => `| ${b.map(esc).join(' | ')} |`), '', ...browserNotes(r).map((n) => `_${n}._`));
  }
  if (r.budgets.length) lines.push('', ...r.budgets.map((b) => `- ${b.passed ? '✅' : '❌'} ${budgetLine(b).slice(5)}`));
  return `${lines.join('\n')}\n`;
}
