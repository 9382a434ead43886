/** CI budgets: parsed from flags or config, checked against every candidate. */
import { McError } from '../errors.js';
import { parseSize } from '../units.js';
import { parseNetwork, type NetworkProfile } from './transfer.js';

/** Budgets as given (strings as on the command line, or numbers). */
export interface BudgetInput {
  maxAccuracyDrop?: string | number;
  minSizeReduction?: string | number;
  maxSize?: string | number;
  maxTransferTime?: string;
  maxTimeToFirstPrediction?: string;
  minCosine?: string | number;
  minSqnr?: string | number;
  minAgreement?: string | number;
}

/** A parsed budget. */
export type Budget =
  | { kind: 'maxAccuracyDrop'; limit: number }
  | { kind: 'minSizeReduction'; limit: number }
  | { kind: 'maxSize'; limit: number }
  | { kind: 'maxTransferTime'; limit: number; network: NetworkProfile }
  | { kind: 'maxTimeToFirstPrediction'; limit: number; network: NetworkProfile }
  | { kind: 'minCosine'; limit: number }
  | { kind: 'minSqnr'; limit: number }
  | { kind: 'minAgreement'; limit: number };

/** Budgets on fidelity: they need a runnable model, and real data to pass. */
export const FIDELITY_BUDGETS: ReadonlySet<Budget['kind']> = new Set(['maxAccuracyDrop', 'minCosine', 'minSqnr', 'minAgreement']);

/** The flag of a budget kind. */
export const BUDGET_FLAG: Record<Budget['kind'], string> = {
  maxAccuracyDrop: '--max-accuracy-drop',
  minSizeReduction: '--min-size-reduction',
  maxSize: '--max-size',
  maxTransferTime: '--max-transfer-time',
  maxTimeToFirstPrediction: '--max-time-to-first-prediction',
  minCosine: '--min-cosine',
  minSqnr: '--min-sqnr',
  minAgreement: '--min-agreement',
};

/** A budget's outcome for one model (the JSON contract). */
export interface BudgetResult {
  name: string;
  model: string;
  limit: number;
  actual: number | null;
  passed: boolean;
}

/** Parse "0.5%" or "0.005" into a fraction. */
export function parseFraction(s: string | number, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(String(s));
  const v = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!(v >= 0 && v <= 1)) throw new McError('USAGE', `${flag}: expected a fraction like 0.005 or a percentage like 0.5%, found "${s}"`);
  return v;
}

/** Parse "4x" or "4" into a factor. */
export function parseFactor(s: string | number, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*x?\s*$/i.exec(String(s));
  const v = m ? Number(m[1]) : NaN;
  if (!(v > 0)) throw new McError('USAGE', `${flag}: expected a factor like 4x, found "${s}"`);
  return v;
}

/** Parse "3s@4g" / "1500ms@3g" into milliseconds and a network. */
export function parseTimeAt(s: string, flag: string): { ms: number; network: NetworkProfile } {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*@\s*(.+)$/.exec(s);
  if (!m) throw new McError('USAGE', `${flag}: expected <time>@<network> like 3s@4g, found "${s}"`);
  return { ms: Number(m[1]) * (m[2] === 'ms' ? 1 : 1000), network: parseNetwork(m[3]) };
}

/** Parse a plain number within [lo, hi]. */
function parseNumber(s: string | number, flag: string, lo: number, hi: number, example: string): number {
  const v = /^\s*-?\d+(?:\.\d+)?\s*$/.test(String(s)) ? Number(s) : NaN;
  if (!(v >= lo && v <= hi)) throw new McError('USAGE', `${flag}: expected a number like ${example}, found "${s}"`);
  return v;
}

/** Validate budget inputs. */
export function parseBudgets(b: BudgetInput): Budget[] {
  const out: Budget[] = [];
  if (b.maxAccuracyDrop !== undefined) out.push({ kind: 'maxAccuracyDrop', limit: parseFraction(b.maxAccuracyDrop, '--max-accuracy-drop') });
  if (b.minSizeReduction !== undefined) out.push({ kind: 'minSizeReduction', limit: parseFactor(b.minSizeReduction, '--min-size-reduction') });
  if (b.maxSize !== undefined) out.push({ kind: 'maxSize', limit: parseSize(b.maxSize, '--max-size') });
  if (b.maxTransferTime !== undefined) {
    const t = parseTimeAt(b.maxTransferTime, '--max-transfer-time');
    out.push({ kind: 'maxTransferTime', limit: t.ms, network: t.network });
  }
  if (b.maxTimeToFirstPrediction !== undefined) {
    const t = parseTimeAt(b.maxTimeToFirstPrediction, '--max-time-to-first-prediction');
    out.push({ kind: 'maxTimeToFirstPrediction', limit: t.ms, network: t.network });
  }
  if (b.minCosine !== undefined) out.push({ kind: 'minCosine', limit: parseNumber(b.minCosine, '--min-cosine', -1, 1, '0.99') });
  if (b.minSqnr !== undefined) out.push({ kind: 'minSqnr', limit: parseNumber(String(b.minSqnr).replace(/\s*db$/i, ''), '--min-sqnr', -1000, 1000, '30 (dB)') });
  if (b.minAgreement !== undefined) out.push({ kind: 'minAgreement', limit: parseFraction(b.minAgreement, '--min-agreement') });
  return out;
}

/** The figures a budget is checked against. */
export interface BudgetSubject {
  name: string;
  accuracyDrop: number | null;
  sizeReduction: number;
  encodedSize: number;
  transferMs: Record<string, number>;
  /** Time to first prediction measured in Chromium per profile (undefined: not measured). */
  timeToFirstPredictionMs?: Record<string, number>;
  /** Worst-case cosine over samples and outputs (null: not measured). */
  cosineMin: number | null;
  /** Worst SQNR over outputs in dB (null: identical; undefined: not measured). */
  sqnrDb: number | null | undefined;
  /** Worst top-1 agreement over class-vector outputs (null: none). */
  agreement: number | null;
}

/** Check every budget against one candidate. */
export function checkBudgets(budgets: Budget[], m: BudgetSubject): BudgetResult[] {
  return budgets.map((b) => {
    switch (b.kind) {
      case 'maxAccuracyDrop':
        return { name: 'max-accuracy-drop', model: m.name, limit: b.limit, actual: m.accuracyDrop, passed: m.accuracyDrop !== null && m.accuracyDrop <= b.limit };
      case 'minSizeReduction':
        return { name: 'min-size-reduction', model: m.name, limit: b.limit, actual: m.sizeReduction, passed: m.sizeReduction >= b.limit };
      case 'maxSize':
        return { name: 'max-size', model: m.name, limit: b.limit, actual: m.encodedSize, passed: m.encodedSize <= b.limit };
      case 'maxTransferTime': {
        const actual = m.transferMs[b.network.name];
        return { name: `max-transfer-time@${b.network.name}`, model: m.name, limit: b.limit, actual, passed: actual <= b.limit };
      }
      case 'maxTimeToFirstPrediction': {
        const actual = m.timeToFirstPredictionMs?.[b.network.name] ?? null;
        return { name: `max-time-to-first-prediction@${b.network.name}`, model: m.name, limit: b.limit, actual, passed: actual !== null && actual <= b.limit };
      }
      case 'minCosine':
        return { name: 'min-cosine', model: m.name, limit: b.limit, actual: m.cosineMin, passed: m.cosineMin !== null && m.cosineMin >= b.limit };
      case 'minSqnr': {
        // null SQNR: the outputs are identical, which meets any SQNR budget.
        const passed = m.sqnrDb === null || (m.sqnrDb !== undefined && m.sqnrDb >= b.limit);
        return { name: 'min-sqnr', model: m.name, limit: b.limit, actual: m.sqnrDb ?? null, passed };
      }
      case 'minAgreement':
        return { name: 'min-agreement', model: m.name, limit: b.limit, actual: m.agreement, passed: m.agreement !== null && m.agreement >= b.limit };
    }
  });
}
