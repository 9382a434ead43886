/**
 * Plans solved on calibration data (`tune --solvers`): a per-tensor plan becomes a recipe
 * with a calibration step, the data-aware solvers run on it exactly as `compress` would
 * (error-compensating quantization, pruning with reconstruction, bias correction), and the
 * values the output would decode to are what the plan evaluator loads. So the search
 * judges each plan as it will be written, and tensors the plan does not name (biases the
 * bias correction moved) are loaded too.
 */
import type { Dataset } from '../eval/data.js';
import type { Model } from '../model/load.js';
import { planGlobal, planJobs, transform } from '../pipeline.js';
import { type CalibrationStep, type Recipe, recipeFrom } from '../recipe.js';
import { solveJobs } from '../solvers/model.js';
import type { Plan } from './evaluate.js';

/** The recipe of a plan (through the recipe validator, as `compress --recipe` reads it back: the same object, so the same bytes). */
export function planRecipe(plan: Plan, calibration?: CalibrationStep): Recipe {
  const o: Record<string, unknown> = { tensors: Object.fromEntries(plan) };
  if (calibration) o.calibration = calibration;
  return recipeFrom(JSON.parse(JSON.stringify(o)), 'tune');
}

/** Solves plans on one calibration set. */
export class PlanSolver {
  /** Plans solved so far, and the seconds they took. */
  solves = 0;
  seconds = 0;

  constructor(
    private readonly model: Model,
    private readonly data: Dataset,
    readonly step: CalibrationStep,
    private readonly stockOutput: boolean,
  ) {}

  /** The decoded values of every tensor the solved plan changes, by name. */
  async valuesOf(plan: Plan): Promise<Map<string, Float32Array>> {
    const t0 = performance.now();
    const recipe = planRecipe(plan, this.step);
    const jobs = planJobs(this.model, recipe, { stockOutput: this.stockOutput });
    await planGlobal(this.model, jobs, recipe);
    await solveJobs(this.model, jobs, recipe, { data: this.data });
    const out = new Map<string, Float32Array>();
    for (const job of jobs) {
      if (!job.prune && !job.quantizer && !job.solved) continue;
      const values = new Float32Array((await this.model.readValues(job.info)) as Float32Array);
      out.set(job.info.name, transform(job, values, recipe, { stored: job.keepGrid ? await this.model.readBytes(job.info) : undefined }).enc.decoded);
    }
    this.solves++;
    this.seconds += (performance.now() - t0) / 1000;
    return out;
  }
}
