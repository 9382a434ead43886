/** Rendering a Report as a terminal table or as markdown (for a pull-request comment). */
import { formatBytes, table } from '../format.js';
import type { BudgetResult } from './budgets.js';
import { encodedSize, type Report } from './report.js';

const pts = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(2)}`);
const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(2)} %`);
const secs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

/** Rows shared by the table and markdown renderers. */
function rows(r: Report): { header: string[]; body: string[][]; right: boolean[] } {
  const nets = r.networks.map((n) => n.name);
  const header = ['model', 'accuracy', 'drop (pts)', 'agreement', 'cosine', 'max abs err', 'raw', 'gzip', 'brotli', 'smaller', ...nets.map((n) => `load @${n}`)];
  const body = r.models.map((m) => [
    m.name,
    pct(m.metrics.accuracy),
    m.role === 'original' ? '-' : pts(m.delta.accuracyDrop),
    pct(m.metrics.agreement),
    m.metrics.cosine.toFixed(5),
    m.metrics.maxAbsError.toExponential(2),
    formatBytes(m.sizes.raw),
    formatBytes(m.sizes.gzip),
    formatBytes(m.sizes.brotli),
    `${m.delta.sizeReduction.toFixed(2)}x`,
    ...nets.map((n) => secs(m.transfer[n].ms)),
  ]);
  return { header, body, right: header.map((_, i) => i > 0) };
}

/** One line per budget. */
export function budgetLine(b: BudgetResult): string {
  const fmt = (v: number | null) => {
    if (v === null) return 'n/a';
    if (b.name === 'max-accuracy-drop') return `${(v * 100).toFixed(2)} points`;
    if (b.name === 'min-size-reduction') return `${v.toFixed(2)}x`;
    if (b.name === 'max-size') return formatBytes(v);
    return secs(v);
  };
  return `${b.passed ? 'ok  ' : 'FAIL'} ${b.name} for "${b.model}": limit ${fmt(b.limit)}, actual ${fmt(b.actual)}`;
}

/** The data note: where the accuracy figures come from. */
export function dataNote(r: Report): string {
  const d = r.data;
  if (d.synthetic) return `data: ${d.samples} ${d.source} inputs, no labels: only agreement, cosine and error against the original are meaningful`;
  return `data: ${d.source}, ${d.samples} samples${d.labels ? ' with labels' : ', no labels (agreement only)'}; backend ${r.backend}; transfer sizes ${r.encoding === 'none' ? 'raw' : r.encoding === 'br' ? 'brotli' : 'gzip'}`;
}

/** Terminal table. */
export function renderTable(r: Report): string {
  const { header, body, right } = rows(r);
  const lines = [table(header, body, right), '', dataNote(r)];
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
    `_${dataNote(r)}. Transfer: ${r.networks.map((n) => `${n.name} ${n.kbitPerSecond} kbit/s, ${n.rttMs} ms RTT`).join('; ')}; sizes as sent (${r.encoding}): ${r.models.map((m) => `${m.name} ${formatBytes(encodedSize(m.sizes, r.encoding))}`).join(', ')}._`,
  ];
  if (r.budgets.length) lines.push('', ...r.budgets.map((b) => `- ${b.passed ? '✅' : '❌'} ${budgetLine(b).slice(5)}`));
  return `${lines.join('\n')}\n`;
}
