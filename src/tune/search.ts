/**
 * Choosing an encoding per tensor: the smallest plan that meets every fidelity budget.
 *
 * 1. Frontier (no model runs). Each tensor's candidates are points (bytes, predicted
 *    damage), the damage being its noise energy times the tensor's relative gain from the
 *    sensitivity probe (sensitivity.ts). For a multiplier mu each tensor takes the
 *    candidate that minimizes bytes + mu * damage; sweeping mu from "damage is free" to
 *    "damage is priceless" gives every plan on the lower convex hull of total bytes
 *    against total predicted damage, smallest first.
 * 2. Verification (one full run per plan tried). The predicted damages add up as if the
 *    tensors' errors were independent and small; real errors compound and saturate. So
 *    plans are not accepted on their prediction: the search bisects the frontier, running
 *    the model end to end with each plan it tries on the calibration inputs, for the
 *    smallest plan whose measured figures meet every budget (with a safety margin). The
 *    prediction only orders the plans; the measurement decides.
 */
import { McError } from '../errors.js';
import type { Budget } from '../report/budgets.js';
import type { Reference } from './capture.js';
import type { Evaluation, Plan, PlanEvaluator } from './evaluate.js';
import type { CandidateEffect, Sensitivity } from './sensitivity.js';

/** One plan on the frontier. */
export interface FrontierPlan {
  plan: Plan;
  /** The chosen candidate per tensor (same order as the sensitivity's tensors). */
  choice: CandidateEffect[];
  /** Sum of the chosen candidates' section bytes. */
  bytes: number;
  /** Sum of the predicted relative damages. */
  damage: number;
}

/** Every plan on the lower convex hull of bytes against predicted damage, from the smallest (most damage) to the largest (none). */
export function frontier(s: Sensitivity, allow: (c: CandidateEffect) => boolean = () => true): FrontierPlan[] {
  const options = s.tensors.map((t) => t.candidates.filter((c) => allow(c)).map((c) => ({ c, d: t.gain * c.noise })));
  for (const [k, o] of options.entries()) if (!o.length) throw new Error(`tune: no candidate left for "${s.tensors[k].name}"`);
  const pick = (mu: number): FrontierPlan => {
    const choice = options.map((o) => {
      let best = o[0];
      for (const x of o) {
        const a = x.c.bytes + mu * x.d;
        const b = best.c.bytes + mu * best.d;
        if (a < b || (a === b && (x.d < best.d || (x.d === best.d && x.c.bytes < best.c.bytes)))) best = x;
      }
      return best;
    });
    const plan: Plan = new Map();
    let bytes = 0;
    let damage = 0;
    for (const [k, x] of choice.entries()) {
      if (x.c.noise > 0 || x.c.step.quantize || x.c.step.sparsity > 0) plan.set(s.tensors[k].name, x.c.step);
      bytes += x.c.bytes;
      damage += x.d;
    }
    return { plan, choice: choice.map((x) => x.c), bytes, damage };
  };
  // The multipliers at which some tensor changes its choice span many decades: sweep them geometrically.
  const plans: FrontierPlan[] = [];
  const seen = new Set<string>();
  for (let e = -12; e <= 40; e += 0.05) {
    const p = pick(10 ** e);
    const id = p.choice.map((c) => c.label).join('|');
    if (seen.has(id)) continue;
    seen.add(id);
    plans.push(p);
  }
  plans.push(pick(Infinity));
  return dedupe(plans).sort((a, b) => a.bytes - b.bytes || a.damage - b.damage);
}

function dedupe(ps: FrontierPlan[]): FrontierPlan[] {
  const m = new Map<string, FrontierPlan>();
  for (const p of ps) m.set(p.choice.map((c) => c.label).join('|'), p);
  return [...m.values()];
}

/** The figures a plan is judged by on one data set. */
export interface Figures {
  cosineMin: number;
  sqnrDb: number | null;
  agreement: number | null;
  accuracyDrop: number | null;
}

/** Figures of an evaluation. */
export function figuresOf(e: Evaluation): Figures {
  return { cosineMin: e.metrics.cosineMin, sqnrDb: e.metrics.sqnrDb, agreement: e.metrics.agreement, accuracyDrop: e.accuracyDrop };
}

/**
 * Whether figures meet the budgets. `margin` (0..1) tightens each budget by that share
 * of the damage it allows (cosine 0.99 with margin 0.1: 0.991; SQNR: +margin x 10 dB;
 * accuracy drop 0.5 points: 0.45), so a plan that only just passes on the calibration
 * inputs does not fail on unseen ones.
 */
export function meets(f: Figures, budgets: Budget[], margin = 0): { ok: boolean; failed: string[] } {
  const failed: string[] = [];
  for (const b of budgets) {
    switch (b.kind) {
      case 'minCosine':
        if (!(1 - f.cosineMin <= (1 - b.limit) * (1 - margin))) failed.push('min-cosine');
        break;
      case 'minSqnr':
        if (!(f.sqnrDb === null || f.sqnrDb >= b.limit + margin * 10)) failed.push('min-sqnr');
        break;
      case 'minAgreement':
        if (!(f.agreement !== null && 1 - f.agreement <= (1 - b.limit) * (1 - margin) + 1e-12)) failed.push('min-agreement');
        break;
      case 'maxAccuracyDrop':
        if (!(f.accuracyDrop !== null && f.accuracyDrop <= b.limit * (1 - margin) + 1e-12)) failed.push('max-accuracy-drop');
        break;
      default:
        throw new McError('USAGE', `tune takes fidelity budgets only (--max-accuracy-drop, --min-agreement, --min-cosine, --min-sqnr)`);
    }
  }
  return { ok: failed.length === 0, failed };
}

/** A plan the search ran, with its measured figures. */
export interface TriedPlan extends FrontierPlan {
  figures: Figures;
  ok: boolean;
  failed: string[];
}

/** What the search found. */
export interface SearchResult {
  /** The smallest plan that met the budgets on the calibration inputs, or null. */
  best: TriedPlan | null;
  /** Every plan it ran, in the order it ran them. */
  tried: TriedPlan[];
  frontier: number;
}

/**
 * Bisect the frontier (smallest first) for the smallest plan that meets the budgets on
 * `ref`; then, because fidelity is not exactly monotone in bytes, walk down from it while
 * smaller neighbours also pass (at most `polish` more runs).
 */
export async function searchPlans(plans: FrontierPlan[], ev: PlanEvaluator, ref: Reference, budgets: Budget[], opts: { margin: number; polish?: number; onStep?: (tried: TriedPlan) => void }): Promise<SearchResult> {
  const tried: TriedPlan[] = [];
  const cache = new Map<number, TriedPlan>();
  const run = async (i: number): Promise<TriedPlan> => {
    const hit = cache.get(i);
    if (hit) return hit;
    const e = await ev.evaluate(plans[i].plan, ref);
    const figures = figuresOf(e);
    const m = meets(figures, budgets, opts.margin);
    const t: TriedPlan = { ...plans[i], figures, ok: m.ok, failed: m.failed };
    cache.set(i, t);
    tried.push(t);
    opts.onStep?.(t);
    return t;
  };
  let hi = plans.length - 1;
  // The safest plan (the largest) first: if even it fails, nothing will pass.
  if (!(await run(hi)).ok) return { best: null, tried, frontier: plans.length };
  let lo = -1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((await run(mid)).ok) hi = mid;
    else lo = mid;
  }
  for (let k = 0, i = hi - 1; k < (opts.polish ?? 2) && i >= 0; k++, i--) {
    const t = await run(i);
    if (t.ok) hi = i;
  }
  return { best: cache.get(hi) ?? null, tried, frontier: plans.length };
}
