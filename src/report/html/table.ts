/**
 * The HTML report's table: one row per model with its headline (worst-output) figures,
 * and one indented sub-row per output when a model has several.
 */
import { formatBytes } from '../../format.js';
import type { ModelReport, OutputMetrics, Report } from '../types.js';
import { cos, err, pct, secs, sqnr } from './figures.js';
import { esc } from './text.js';

/** The fidelity columns of a report: accuracy and drop only when the data is labelled. */
function fidelityColumns(r: Report): { head: string; title: string }[] {
  const cols = [
    { head: 'worst cosine', title: 'smallest cosine similarity over samples and outputs' },
    { head: 'mean cosine', title: 'mean cosine similarity over samples (smallest over outputs)' },
    { head: 'SQNR dB', title: 'signal-to-quantization-noise ratio; exact: identical outputs' },
    { head: 'agreement', title: 'fraction of samples whose top-1 class is the original’s' },
    { head: 'max abs err', title: 'largest absolute difference of any output value' },
  ];
  if (!r.data.labels) return cols;
  return [{ head: 'accuracy', title: `top-1 accuracy on ${r.data.labelOutput ?? 'the labelled output'}` }, { head: 'drop (pts)', title: 'accuracy drop against the original, in points' }, ...cols];
}

/** The fidelity figures of a headline row or of one output, as cell texts. */
function fidelityTexts(r: Report, f: { accuracy: number | null; agreement: number | null; cosineMin: number; cosineMean: number; sqnrDb: number | null; maxAbsError: number }, drop: string): string[] {
  const rest = [cos(f.cosineMin), cos(f.cosineMean), sqnr(f.sqnrDb), pct(f.agreement), err(f.maxAbsError)];
  return r.data.labels ? [pct(f.accuracy), drop, ...rest] : rest;
}

/** Fidelity cells, each marked when its figure comes from synthetic inputs. */
function fidelityCells(r: Report, texts: string[], worstCol: number): string {
  const syn = r.inputs === 'synthetic';
  return texts
    .map((t, i) => {
      const cls = `num fid${syn ? ' synthetic' : ''}${i === worstCol ? ' worst' : ''}`;
      const title = t === 'exact' ? ' title="identical outputs: infinite SQNR"' : syn ? ' title="synthetic inputs"' : '';
      return `<td class="${cls}"${title}>${esc(t)}${syn ? '<sup class="syn-mark" aria-label="synthetic inputs">†</sup>' : ''}</td>`;
    })
    .join('');
}

/** Budgets of one model, in words. */
function budgetCell(r: Report, m: ModelReport): string {
  if (!r.budgets.length) return '';
  if (m.role === 'original') return '<td class="budget">–</td>';
  const failed = r.budgets.filter((b) => b.model === m.name && !b.passed).map((b) => b.name);
  return failed.length ? `<td class="budget fail">failed: ${failed.map(esc).join(',<br>')}</td>` : '<td class="budget ok">ok</td>';
}

/** True when a model has several outputs and one of them is worse than exact: that one is named. */
const hasWorst = (m: ModelReport): boolean => m.metrics !== null && m.metrics.outputs.length > 1 && m.metrics.cosineMin < 1;

/** One model's headline row. */
function modelRow(r: Report, m: ModelReport, k: number, nFid: number): string {
  const nets = r.networks.map((n) => `<td class="num">${esc(secs(m.transfer[n.name]?.ms ?? NaN))}</td>`).join('');
  const asIs = '<td class="num as-is" title="an entropy-coded .mcz is served without transfer encoding">as is<sup>‡</sup></td>';
  const sizes = `<td class="num">${esc(formatBytes(m.sizes.raw))}</td>${m.servedAsIs ? asIs + asIs : `<td class="num">${esc(formatBytes(m.sizes.gzip))}</td><td class="num">${esc(formatBytes(m.sizes.brotli))}</td>`}<td class="num">${m.delta.sizeReduction.toFixed(2)}×</td>`;
  let fid: string;
  if (m.metrics === null) {
    fid = `<td class="fid none" colspan="${nFid}">needs a topology</td>`;
  } else {
    const drop = m.role === 'original' || m.delta.accuracyDrop === null ? '–' : (m.delta.accuracyDrop * 100).toFixed(2);
    // Several outputs: the worst cosine is the damaged output's, so say which it is.
    const worstCol = hasWorst(m) ? (r.data.labels ? 2 : 0) : -1;
    fid = fidelityCells(r, fidelityTexts(r, m.metrics, drop), worstCol);
  }
  const worst = hasWorst(m) && m.metrics ? `<div class="worst-note">worst: ${esc(m.metrics.worst.output)}, sample ${m.metrics.worst.sample}</div>` : '';
  return `<tr class="model ${m.role}" data-model="${esc(m.name)}"><th scope="row" class="name"><span class="n">${k + 1}</span> <span class="model-name">${esc(m.name)}</span>${worst}</th>${fid}${sizes}${nets}${budgetCell(r, m)}</tr>`;
}

/** One output's sub-row: its own fidelity figures, sizes and load times left to the model's row. */
function outputRow(r: Report, m: ModelReport, o: OutputMetrics, rest: number): string {
  const isWorst = hasWorst(m) && m.metrics?.worst.output === o.name;
  const texts = fidelityTexts(r, o, '–');
  return `<tr class="output${isWorst ? ' worst' : ''}" data-model="${esc(m.name)}" data-output="${esc(o.name)}"><th scope="row" class="output-name">${esc(o.name)}${isWorst ? ' <em>(worst)</em>' : ''}</th>${fidelityCells(r, texts, -1)}<td colspan="${rest}" class="rest"></td></tr>`;
}

/** The table, and the footnotes its cells point to. */
export function modelTable(r: Report): string {
  const fid = fidelityColumns(r);
  const head = [
    '<th scope="col">model</th>',
    ...fid.map((c) => `<th scope="col" class="num" title="${esc(c.title)}">${esc(c.head)}</th>`),
    '<th scope="col" class="num">raw</th><th scope="col" class="num">gzip</th><th scope="col" class="num">brotli</th><th scope="col" class="num" title="the original’s raw bytes / this model’s raw bytes">smaller</th>',
    ...r.networks.map((n) => `<th scope="col" class="num" title="${esc(`${n.kbitPerSecond} kbit/s, ${n.rttMs} ms RTT`)}">load @${esc(n.name)}</th>`),
    r.budgets.length ? '<th scope="col">budgets</th>' : '',
  ].join('');
  const rest = 4 + r.networks.length + (r.budgets.length ? 1 : 0);
  const body = r.models
    .map((m, k) => {
      const rows = [modelRow(r, m, k, fid.length)];
      if (m.metrics && m.metrics.outputs.length > 1) for (const o of m.metrics.outputs) rows.push(outputRow(r, m, o, rest));
      return rows.join('\n');
    })
    .join('\n');
  const notes: string[] = [];
  if (r.inputs === 'synthetic') notes.push('† from seeded random inputs, not real data: agreement with the original, not accuracy.');
  if (r.models.some((m) => m.servedAsIs)) notes.push('‡ as is: a .mcz container is already entropy coded and is served without transfer encoding; its served size is its raw size.');
  if (r.models.some((m) => m.metrics && m.metrics.outputs.length > 1)) notes.push('A model with several outputs has its worst output’s figures in its row and each output’s below it.');
  const foot = notes.length ? `<ul class="footnotes">${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '';
  return `<div class="table-wrap"><table id="models"><caption>Models measured against the original</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>${foot}`;
}
