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
  /** Sum of their stock stored bytes (see Tried.rawBytes). */
  rawBytes: number;
  /** Sum of the predicted relative damages. */
  damage: number;
}

/**
 * How a tensor's damage is predicted: `worst`, the largest relative error of any sample
 * and output (what a worst-case cosine budget sees); `energy`, the largest relative error
 * energy of any output over all samples (1 / SQNR: what accuracy and agreement follow).
 */
export type DamageMeasure = 'worst' | 'energy';

/** Every plan on the lower convex hull of bytes against predicted damage, from the smallest (most damage) to the largest (none). */
export function frontier(s: Sensitivity, measure: DamageMeasure = 'worst', allow: (c: CandidateEffect) => boolean = () => true): FrontierPlan[] {
  const options = s.tensors.map((t) => t.candidates.filter((c) => allow(c)).map((c) => ({ c, d: (measure === 'worst' ? t.gain : t.energyGain) * c.noise })));
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
    return { ...planOf(s, choice.map((x) => x.c)), damage: choice.reduce((a, x) => a + x.d, 0) };
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
      case 'maxSize':
      case 'minSizeReduction':
        break; // checked on the plan's estimated size before it runs (tune.ts)
      default:
        throw new McError('USAGE', `tune takes fidelity budgets (--max-accuracy-drop, --min-agreement, --min-cosine, --min-sqnr) and size budgets (--max-size, --min-size-reduction)`);
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

/** Options of searchPlans. */
export interface SearchOptions {
  margin: number;
  /** Plans outside the size budgets are never run. */
  sizeOk?: (p: FrontierPlan) => boolean;
  /** The objective's order of plans (default: bytes). */
  cost?: (p: FrontierPlan) => number;
  /** Most greedy refinement runs after the bisection (default 8). */
  polish?: number;
  onStep?: (tried: TriedPlan) => void;
}

const idOf = (choice: CandidateEffect[]) => choice.map((c) => c.label).join('|');

/**
 * Find the smallest plan that meets the budgets on `ref`:
 * 1. bisect each frontier (worst-case and energy damage orders) for its smallest passing plan;
 * 2. from the best of those, greedily move single tensors to a cheaper candidate (the one
 *    with the least predicted damage among the cheaper ones, best bytes saved per damage
 *    first), keeping each move that still passes: fidelity is not exactly monotone along
 *    a frontier, and the two orders disagree where the prediction is least exact.
 * Every plan it judges is run end to end; the predictions only propose.
 */
export async function searchPlans(s: Sensitivity, ev: PlanEvaluator, ref: Reference, budgets: Budget[], opts: SearchOptions): Promise<SearchResult> {
  const cost = opts.cost ?? ((p: FrontierPlan) => p.bytes);
  const tried: TriedPlan[] = [];
  const cache = new Map<string, TriedPlan>();
  const run = async (p: FrontierPlan): Promise<TriedPlan> => {
    const id = idOf(p.choice);
    const hit = cache.get(id);
    if (hit) return hit;
    const figures = figuresOf(await ev.evaluate(p.plan, ref));
    const m = meets(figures, budgets, opts.margin);
    const t: TriedPlan = { ...p, figures, ok: m.ok, failed: m.failed };
    cache.set(id, t);
    tried.push(t);
    opts.onStep?.(t);
    return t;
  };
  let best: TriedPlan | null = null;
  const seen = new Set<string>();
  for (const measure of ['worst', 'energy'] as const) {
    const plans = frontier(s, measure).filter((p) => !opts.sizeOk || opts.sizeOk(p));
    plans.sort((a, b) => cost(a) - cost(b));
    for (const p of plans) seen.add(idOf(p.choice));
    if (!plans.length) continue;
    let hi = plans.length - 1;
    // The safest plan (the largest) first: if even it fails, nothing on this frontier will pass.
    if (!(await run(plans[hi])).ok) continue;
    let lo = -1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if ((await run(plans[mid])).ok) hi = mid;
      else lo = mid;
    }
    const found = cache.get(idOf(plans[hi].choice)) as TriedPlan;
    if (!best || cost(found) < cost(best)) best = found;
  }
  if (best) best = await polish(s, best, run, opts, cost);
  return { best, tried, frontier: seen.size };
}

/** Greedy single-tensor moves to cheaper candidates from `start`, each kept only when the plan still passes. */
async function polish(s: Sensitivity, start: TriedPlan, run: (p: FrontierPlan) => Promise<TriedPlan>, opts: SearchOptions, cost: (p: FrontierPlan) => number): Promise<TriedPlan> {
  let best = start;
  const stuck = new Set<number>();
  for (let runs = 0; runs < (opts.polish ?? 8); runs++) {
    let move: { k: number; c: CandidateEffect; score: number } | null = null;
    for (const [k, t] of s.tensors.entries()) {
      if (stuck.has(k)) continue;
      const cur = best.choice[k];
      const damage = (c: CandidateEffect) => t.energyGain * c.noise;
      let pick: CandidateEffect | null = null;
      for (const c of t.candidates) if (c.bytes < cur.bytes && (!pick || damage(c) < damage(pick))) pick = c;
      if (!pick) continue;
      const score = (cur.bytes - pick.bytes) / Math.max(1e-30, damage(pick) - damage(cur));
      if (!move || score > move.score) move = { k, c: pick, score };
    }
    if (!move) break;
    const choice = best.choice.map((c, k) => (k === move.k ? move.c : c));
    const next = planOf(s, choice);
    if (opts.sizeOk && !opts.sizeOk(next)) {
      stuck.add(move.k);
      continue;
    }
    const t = await run(next);
    if (t.ok && cost(t) < cost(best)) best = t;
    else stuck.add(move.k);
  }
  return best;
}

/** The plan of a choice of candidates (one per tensor, in the sensitivity's order). */
function planOf(s: Sensitivity, choice: CandidateEffect[]): FrontierPlan {
  const plan: Plan = new Map();
  let bytes = 0;
  let rawBytes = 0;
  let damage = 0;
  for (const [k, c] of choice.entries()) {
    if (c.noise > 0 || c.step.quantize || c.step.sparsity > 0) plan.set(s.tensors[k].name, c.step);
    bytes += c.bytes;
    rawBytes += c.rawBytes;
    damage += s.tensors[k].gain * c.noise;
  }
  return { plan, choice, bytes, rawBytes, damage };
}
