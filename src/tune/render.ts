/** Text tables of sensitivity and tune results (the CLI prints them; JSON is the objects themselves). */
import { formatBytes, table } from '../format.js';
import type { Sensitivity } from './sensitivity.js';
import type { Figures } from './search.js';
import type { TuneResult } from './tune.js';

const cos = (x: number) => x.toFixed(5);
const db = (x: number | null) => (x === null ? '∞' : x.toFixed(1));
const pts = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(2)}`);

/** One line per tensor (most sensitive first), with its most useful candidates. */
export function renderSensitivity(s: Sensitivity, opts: { all?: boolean } = {}): string {
  const rows: string[][] = [];
  for (const t of s.tensors) {
    rows.push([t.name, `[${t.shape.join(',')}]`, 'probe', formatBytes(t.keepBytes), '', cos(t.probe.cosineMin), db(t.probe.sqnrDb), pts(t.probe.accuracyDrop), '']);
    const shown = opts.all ? t.candidates.slice(1) : t.candidates.slice(1).filter((c) => c.step.sparsity === 0 || c.step.sparsity === 0.5);
    for (const c of shown) {
      const m = c.measured;
      rows.push([
        '',
        '',
        c.label,
        formatBytes(c.bytes),
        formatBytes(c.saves),
        `${cos(c.predicted.cosineMin)}${m ? ` / ${cos(m.cosineMin)}` : ''}`,
        `${db(c.predicted.sqnrDb)}${m ? ` / ${db(m.sqnrDb)}` : ''}`,
        m ? pts(m.accuracyDrop) : '-',
        c.noise === 0 ? 'lossless' : '',
      ]);
    }
  }
  const head = s.method === 'probe+full' ? ['cosine min (pred / meas)', 'SQNR dB (pred / meas)'] : ['cosine min', 'SQNR dB'];
  return table(['tensor', 'shape', 'encoding', 'bytes', 'saves', ...head, 'acc drop pts', ''], rows, [false, false, false, true, true, true, true, true, false]);
}

/** "cosine 0.99312, SQNR 24.1 dB, agreement 99.0 %, accuracy drop 0.20 points". */
export function figuresLine(f: Figures | null): string {
  if (!f) return '-';
  const parts = [`worst cosine ${cos(f.cosineMin)}`, `SQNR ${db(f.sqnrDb)} dB`];
  if (f.agreement !== null) parts.push(`agreement ${(f.agreement * 100).toFixed(2)} %`);
  if (f.accuracyDrop !== null) parts.push(`accuracy drop ${pts(f.accuracyDrop)} points`);
  return parts.join(', ');
}

/** The plan (largest tensors first) and the figures on both splits. */
export function renderTune(r: TuneResult): string {
  const lines: string[] = [];
  if (r.plan.length) {
    lines.push(table(['tensor', 'shape', 'encoding', 'kept', 'chosen', 'probe cosine'], r.plan.map((p) => [p.name, `[${p.shape.join(',')}]`, p.choice, formatBytes(p.keepBytes), formatBytes(p.bytes), cos(p.probeCosine)]), [false, false, false, true, true, true]));
    lines.push('');
  }
  lines.push(`calibration (${r.calibration.samples} samples, searched on): ${figuresLine(r.calibration.figures)}`);
  lines.push(`validation  (${r.validation.samples} samples, not seen by the search): ${figuresLine(r.validation.figures)}`);
  if (r.estimate) {
    const e = r.estimate;
    lines.push(`tensors tuned: ${formatBytes(e.keepBytes)} -> ${formatBytes(e.bytes)} (${(e.keepBytes / e.bytes).toFixed(2)}x, coded sections); model ${formatBytes(e.original)} -> about ${formatBytes(e.model)} (${(e.original / e.model).toFixed(2)}x)`);
  }
  if (r.solver) {
    const m = r.solver.method;
    lines.push(`solvers: every plan solved on the calibration inputs (${m.quantizeMethod}, ${m.pruneMethod}${m.biasCorrection ? ', bias correction' : ''}): ${r.solver.solves} solves, ${r.solver.seconds.toFixed(1)} s`);
  }
  lines.push(`search: ${r.frontier} plans on the frontier, ${r.runs.search} run on the calibration inputs; ${r.runs.sensitivity} sensitivity runs; ${(r.ms.total / 1000).toFixed(1)} s`);
  if (!r.ok) {
    lines.push('');
    lines.push('plans tried (smallest first):');
    lines.push(table(['tensor bytes', 'calibration figures', 'met'], r.tried.map((t) => [formatBytes(t.bytes), figuresLine(t.figures), t.ok ? 'yes' : `no (${t.failed.join(', ')})`]), [true, false, false]));
  }
  return lines.join('\n');
}
