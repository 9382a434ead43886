/**
 * Evaluating a plan end to end: its tensors' decoded values go into one loaded model
 * (Runnable.setWeight; only the tensors that differ from the last plan are replaced),
 * the model runs on a reference's inputs, and its outputs are compared with the
 * original's, output by output and sample by sample (report/metrics.ts). With a solver
 * (tune --solvers) a plan's values are the solved ones, for every tensor they change.
 */
import type { Model } from '../model/load.js';
import { type OutputHead, type Runnable, predictAll } from '../eval/predict.js';
import { compareOutput } from '../report/metrics.js';
import { fidelity } from '../report/report.js';
import type { Metrics } from '../report/types.js';
import type { TensorStep } from '../recipe.js';
import type { Reference, Target } from './capture.js';
import { decodedOf } from './candidates.js';
import type { PlanSolver } from './solve.js';

/** A per-tensor plan: the step of every target that is not kept. */
export type Plan = Map<string, TensorStep>;

/** What evaluating a plan on one reference gives. */
export interface Evaluation {
  metrics: Metrics;
  /** Accuracy of the original minus the plan's, on the label output (null without labels). */
  accuracyDrop: number | null;
  /** The outputs themselves, for callers that measure more (sensitivity's per-sample gains). */
  heads: OutputHead[];
}

const key = (s: TensorStep | undefined) => (s ? JSON.stringify(s) : 'keep');

/** One loaded model that plans are tried on. */
export class PlanEvaluator {
  private loaded = new Map<string, string>();
  /** Full-model runs so far (each over every sample of a reference). */
  runs = 0;
  /** Set once the probes are done: every plan evaluated from then on is solved first. */
  solver: PlanSolver | null = null;
  private solvedKey: string | null = null;
  /** Tensors outside the targets that the last solved plan changed (bias corrections), to restore. */
  private solvedOthers = new Set<string>();

  constructor(
    private readonly model: Model,
    private readonly runnable: Runnable,
    private readonly targets: Target[],
    private readonly labelAt: number,
  ) {}

  /** Put `plan`'s values into the loaded model (the targets it does not name get their original values). */
  load(plan: Plan): void {
    for (const t of this.targets) {
      const step = plan.get(t.name);
      const k = key(step);
      if ((this.loaded.get(t.name) ?? 'keep') === k) continue;
      this.runnable.setWeight(t.name, step ? decodedOf(this.model, t, step) : t.values);
      this.loaded.set(t.name, k);
    }
  }

  /** Put one tensor's values into the loaded model directly (a probe). */
  loadValues(t: Target, values: Float32Array): void {
    this.runnable.setWeight(t.name, values);
    this.loaded.set(t.name, 'probe');
  }

  /** Restore one tensor's original values. */
  restore(t: Target): void {
    if ((this.loaded.get(t.name) ?? 'keep') === 'keep') return;
    this.runnable.setWeight(t.name, t.values);
    this.loaded.set(t.name, 'keep');
  }

  /** Run the loaded model on `ref`'s inputs and compare with the original's outputs. */
  async measure(ref: Reference, name = 'plan'): Promise<Evaluation> {
    const heads = await predictAll(this.runnable, ref.data);
    this.runs++;
    const metrics = fidelity(name, ref.outputs, heads, ref.data.labels, this.labelAt);
    let accuracyDrop: number | null = null;
    if (ref.data.labels && metrics.accuracy !== null) {
      const base = ref.outputs[this.labelAt];
      const original = compareOutput({ name: base.name, shape: base.shape, base: base.values, cand: base.values }, ref.data.labels).accuracy;
      accuracyDrop = original === null ? null : original - metrics.accuracy;
    }
    return { metrics, accuracyDrop, heads };
  }

  /** Load `plan` (solved, with a solver) and measure it. */
  async evaluate(plan: Plan, ref: Reference, name?: string): Promise<Evaluation> {
    if (this.solver) await this.loadSolved(plan);
    else this.load(plan);
    return this.measure(ref, name);
  }

  /** Put `plan`'s solved values into the loaded model (the last plan's are reused). */
  private async loadSolved(plan: Plan): Promise<void> {
    const id = JSON.stringify([...plan].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    if (id === this.solvedKey) return;
    const values = await (this.solver as PlanSolver).valuesOf(plan);
    const targets = new Set(this.targets.map((t) => t.name));
    for (const name of this.solvedOthers) {
      if (values.has(name)) continue;
      const info = this.model.tensors.find((t) => t.name === name);
      if (info) this.runnable.setWeight(name, (await this.model.readValues(info)) as Float32Array);
    }
    this.solvedOthers = new Set();
    for (const t of this.targets) {
      const v = values.get(t.name);
      this.runnable.setWeight(t.name, v ?? t.values);
      this.loaded.set(t.name, v ? 'solved' : 'keep');
    }
    for (const [name, v] of values) {
      if (targets.has(name)) continue;
      this.runnable.setWeight(name, v);
      this.solvedOthers.add(name);
    }
    this.solvedKey = id;
  }
}
