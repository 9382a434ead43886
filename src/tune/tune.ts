/**
 * `tune`: the smallest plan (one encoding per tensor) that meets every fidelity budget,
 * searched on calibration inputs and judged on validation inputs the search never saw.
 * capture.ts takes the weights and the original's outputs, sensitivity.ts measures each
 * tensor, search.ts chooses and verifies a plan, and the ordinary pipeline writes it.
 */
import { type CompressResult, compressModel } from '../compress.js';
import { useBackend, type BackendName } from '../eval/backend.js';
import { type Dataset, readData } from '../eval/data.js';
import { type Runnable, runnableFromArtifacts } from '../eval/predict.js';
import { McError } from '../errors.js';
import { nameFilter } from '../glob.js';
import { type Model, loadModel } from '../model/load.js';
import { modelArtifacts } from '../model/tfjs-io.js';
import { type CalibrationStep, DEFAULT_MIN_ELEMENTS, type Recipe, type TensorStep, calibrationStep } from '../recipe.js';
import { type Budget, FIDELITY_BUDGETS } from '../report/budgets.js';
import { labelIndex } from '../report/report.js';
import { type NetworkProfile, transferTime } from '../report/transfer.js';
import { isContainerPath } from '../size.js';
import * as tf from '@tensorflow/tfjs-core';
import { type Reference, type Target, captureReference, captureTargets } from './capture.js';
import { PlanEvaluator } from './evaluate.js';
import { RECIPE_FORMAT, RECIPE_VERSION, type RecipeFile, weightsFingerprint } from './recipe-file.js';
import { type Figures, type FrontierPlan, type TriedPlan, figuresOf, frontier, meets, searchPlans } from './search.js';
import { deflateSync } from 'fflate';
import { measureTensor } from '../mcz/write.js';
import { type Sensitivity, measureSensitivity } from './sensitivity.js';
import { splitData } from './split.js';
import { probeThreads } from './probe.js';
import { SOLVER_SPARSITIES } from './candidates.js';
import { PlanSolver, planRecipe } from './solve.js';

/**
 * Default share of each budget's allowed damage kept in reserve on the calibration
 * inputs. Worst-case figures are extremes over samples: on fixtures/mnist-mlp, a plan at
 * worst cosine 0.9923 on 1,200 calibration digits gave 0.9842 on 800 others, while with a
 * quarter in reserve (0.9925 asked for) the plan chosen held 0.9996 on them.
 */
export const DEFAULT_MARGIN = 0.25;

/** What tune minimizes. */
export type Objective = { kind: 'size' } | { kind: 'transfer'; network: NetworkProfile };

/** Options of tuneModel. */
export interface TuneOptions {
  model: string;
  /** Calibration data (all of it, or 3 of every 4 samples when `validation` is absent). */
  data: string;
  validation?: string;
  labelsFile?: string;
  /** Labels of `validation` when it is a .npy / .npz. */
  validationLabelsFile?: string;
  noLabels?: boolean;
  labelOutput?: string;
  budgets: Budget[];
  objective?: Objective;
  /** Output path: a .mcz file (any encoding), or a folder (stock encodings only). Absent: search only, write nothing. */
  output?: string;
  force?: boolean;
  /** Share of each budget's allowed damage kept in reserve on the calibration inputs (default DEFAULT_MARGIN). */
  margin?: number;
  sparsities?: readonly number[];
  minElements?: number;
  include?: string[];
  exclude?: string[];
  backend?: BackendName;
  /**
   * Solve every plan the search runs on the calibration data (`data`) with the data-aware
   * solvers (defaults: gptq, obs, bias correction); the recipe then names `data` as its
   * calibration file, so `validation` must be another file.
   */
  /** The calibration file as the recipe names it (default `data`): relative to the folder compress --recipe runs in. */
  calibrationName?: string;
  solvers?: { quantizeMethod?: 'rtn' | 'gptq'; pruneMethod?: 'magnitude' | 'obs'; actOrder?: boolean; biasCorrection?: boolean };
  onProgress?: (phase: 'sensitivity' | 'search', done: number, total: number, what: string) => void;
}

/** One tensor of the chosen plan. */
export interface PlanRow {
  name: string;
  shape: number[];
  choice: string;
  step: TensorStep | null;
  keepBytes: number;
  bytes: number;
  /** The probe's worst cosine (how sensitive it is). */
  probeCosine: number;
}

/** What tune found (and wrote). */
export interface TuneResult {
  ok: boolean;
  /** Why not, when !ok. */
  reason: string | null;
  objective: string;
  budgets: { kind: string; limit: number }[];
  margin: number;
  calibration: { source: string; samples: number; figures: Figures | null };
  validation: { source: string; samples: number; figures: Figures | null; failed: string[] };
  plan: PlanRow[];
  /** Estimated bytes of the chosen plan's tensors and of keeping them all; of the whole model as served (a .mcz: its bytes); the original's raw bytes. */
  estimate: { bytes: number; keepBytes: number; model: number; original: number } | null;
  /** Plans the search ran, smallest first. */
  tried: { bytes: number; figures: Figures; ok: boolean; failed: string[] }[];
  frontier: number;
  runs: { sensitivity: number; search: number; validation: number };
  ms: { sensitivity: number; search: number; total: number };
  recipe: RecipeFile | null;
  written: CompressResult | null;
  /** With solvers: the plans solved and the seconds that took. */
  solver: { method: CalibrationStep; solves: number; seconds: number } | null;
}

/** Estimated load time of a plan's bytes on a network (one container, or the stock files), for the transfer objective. */
function objectiveOf(o: Objective, bytes: number, container: boolean): number {
  if (o.kind === 'size') return bytes;
  return container ? transferTime({ container: bytes }, o.network) : transferTime({ json: 0, weights: [bytes] }, o.network);
}

/** Tune a model: sensitivity, search, validation, and (with `output`) the written model and its recipe. */
export async function tuneModel(o: TuneOptions): Promise<TuneResult> {
  const t0 = performance.now();
  if (!o.budgets.some((b) => FIDELITY_BUDGETS.has(b.kind))) throw new McError('USAGE', 'tune needs at least one fidelity budget: --max-accuracy-drop, --min-agreement, --min-cosine or --min-sqnr');
  for (const b of o.budgets) meets({ cosineMin: 1, sqnrDb: null, agreement: 1, accuracyDrop: 0 }, [b]); // refuses non-fidelity budgets up front
  const container = o.output === undefined || isContainerPath(o.output);
  const objective = o.objective ?? { kind: 'size' };
  const margin = o.margin ?? DEFAULT_MARGIN;
  if (!(margin >= 0 && margin < 1)) throw new McError('USAGE', `--margin: expected a share in [0, 1), found ${margin}`);
  const solverStep = o.solvers ? solverStepOf(o) : null;
  const split = await readSplit(o);
  const needsLabels = o.budgets.some((b) => b.kind === 'maxAccuracyDrop');
  for (const d of [split.calibration, split.validation]) {
    if (needsLabels && !d.labels) throw new McError('USAGE', `--max-accuracy-drop needs labels, and ${d.source} has none (give --labels, or a CSV with a label column)`);
  }
  const session = await openSession(o, split.calibration);
  try {
    const { model, targets, ev, reference: cal } = session;
    const val = await captureReference(session.runnable, split.validation);
    const ts = performance.now();
    const sens: Sensitivity = await measureSensitivity(model, targets, ev, cal, {
      sparsities: o.sparsities ?? (solverStep ? SOLVER_SPARSITIES : undefined),
      stockOnly: !container,
      parallel: session.parallel,
      onProgress: (d, n, what) => o.onProgress?.('sensitivity', d, n, what),
    });
    const msSens = performance.now() - ts;
    if (solverStep) ev.solver = new PlanSolver(model, split.calibration, solverStep, !container);
    const fixed = await fixedBytes(model, targets, container);
    const all = frontier(sens);
    const estimate = (p: FrontierPlan) => ({ served: p.bytes + fixed.served, raw: (container ? p.bytes : p.rawBytes) + fixed.raw });
    const fits = (p: FrontierPlan) => sizeOk(o.budgets, estimate(p), fixed.original);
    const plans = all.filter(fits);
    const tq = performance.now();
    let steps = 0;
    const searched = !plans.length
      ? { best: null, tried: [], frontier: 0 }
      : await searchPlans(sens, ev, cal, o.budgets, {
          margin,
          sizeOk: fits,
          // Load time is monotone in bytes for one file, so both objectives order plans alike; the load time is what is reported.
          cost: (p) => objectiveOf(objective, estimate(p).served, container),
          onStep: () => o.onProgress?.('search', ++steps, 2 * Math.ceil(Math.log2(plans.length + 1)) + 10, 'plans'),
        });
    const msSearch = performance.now() - tq;
    const best = searched.best;
    const keepBytes = sens.tensors.reduce((a, t) => a + t.keepBytes, 0);
    const result: TuneResult = {
      ok: false,
      reason: null,
      objective: objective.kind === 'size' ? 'size' : `transfer@${objective.network.name}`,
      budgets: o.budgets.map((b) => ({ kind: b.kind, limit: b.limit })),
      margin,
      calibration: { source: split.calibration.source, samples: split.calibration.samples, figures: best?.figures ?? null },
      validation: { source: split.validation.source, samples: split.validation.samples, figures: null, failed: [] },
      plan: best ? planRows(sens, best) : [],
      estimate: best ? { bytes: best.bytes, keepBytes, model: estimate(best).served, original: fixed.original } : null,
      tried: [...searched.tried].sort((a, b) => a.bytes - b.bytes).map((t) => ({ bytes: t.bytes, figures: t.figures, ok: t.ok, failed: t.failed })),
      frontier: searched.frontier,
      runs: { sensitivity: sens.runs, search: searched.tried.length, validation: 0 },
      ms: { sensitivity: msSens, search: msSearch, total: 0 },
      recipe: null,
      written: null,
      solver: null,
    };
    if (ev.solver) result.solver = { method: ev.solver.step, solves: ev.solver.solves, seconds: ev.solver.seconds };
    if (!plans.length) {
      const e = estimate(all[0]);
      result.reason = `no plan meets the size budgets: the smallest is estimated at ${e.served} bytes (${(fixed.original / e.raw).toFixed(2)}x smaller raw)`;
      return finish(result, t0);
    }
    if (!best) {
      result.reason = 'no plan meets the budgets on the calibration inputs, not even the largest within the size budgets';
      return finish(result, t0);
    }
    const v = await ev.evaluate(best.plan, val);
    result.runs.validation = 1;
    result.validation.figures = figuresOf(v);
    const mv = meets(result.validation.figures, o.budgets, 0);
    result.validation.failed = mv.failed;
    if (!mv.ok) {
      result.reason = `the plan meets the budgets on the calibration inputs but not on the validation inputs (${mv.failed.join(', ')}): give more calibration samples, or a larger --margin`;
      return finish(result, t0);
    }
    result.ok = true;
    const recipe: Recipe = planRecipe(best.plan, solverStep ?? undefined);
    result.recipe = {
      format: RECIPE_FORMAT,
      version: RECIPE_VERSION,
      model: { file: model.file.split(/[\\/]/).pop() as string, weightsSha256: await weightsFingerprint(model) },
      recipe,
      tuned: { budgets: result.budgets, objective: result.objective, margin, calibration: result.calibration, validation: result.validation },
    };
    if (o.output) result.written = await compressModel(o.model, o.output, recipe, { force: o.force, command: 'compress', calibration: { data: split.calibration } });
    return finish(result, t0);
  } finally {
    await session.close();
  }
}

/** Options that say what model and data a session works on. */
export interface SessionOptions {
  model: string;
  labelOutput?: string;
  minElements?: number;
  include?: string[];
  exclude?: string[];
  backend?: BackendName;
  /** Worker threads for the probes (default: one per core, see probeThreads; 0: none). */
  threads?: number;
}

/** A loaded model, its targets and the original's outputs on the search inputs: what sensitivity and tune share. */
export interface Session {
  model: Model;
  runnable: Runnable;
  targets: Target[];
  reference: Reference;
  ev: PlanEvaluator;
  /** How the probes run: what a probe thread needs to open the same session, and how many threads. */
  parallel: { job: { model: string; backend: BackendName; minElements: number; labelAt: number }; threads: number };
  close(): Promise<void>;
}

/** Load the model into tfjs, capture its targets and its outputs on `data`. */
export async function openSession(o: SessionOptions, data: Dataset): Promise<Session> {
  const backend = await useBackend(o.backend ?? 'wasm');
  const model = await loadModel(o.model);
  let runnable: Runnable | undefined;
  const close = async () => {
    runnable?.dispose();
    await model.close();
    tf.disposeVariables();
  };
  try {
    if (model.format === 'weights-only') throw new McError('USAGE', `${model.file}: a weights-only manifest has no topology to run; sensitivity and tune need a model`);
    runnable = await runnableFromArtifacts(await modelArtifacts(model), model.format, model.file);
    const min = o.minElements ?? DEFAULT_MIN_ELEMENTS;
    const targets = await captureTargets(model, { minElements: min, include: nameFilter(o.include, o.exclude) });
    if (!targets.length) throw new McError('USAGE', `${model.file}: no float32 tensor with at least ${min} elements: nothing to measure (lower --min-elements)`);
    const reference = await captureReference(runnable, data);
    const labelAt = labelIndex(reference.outputs.map((h) => h.name), o.labelOutput);
    const parallel = { job: { model: model.file, backend, minElements: min, labelAt }, threads: probeThreads(targets.length, o.threads) };
    return { model, runnable, targets, reference, ev: new PlanEvaluator(model, runnable, targets, labelAt), parallel, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Calibration and validation data: two files, or the documented split of one. */
async function readSplit(o: TuneOptions): Promise<{ calibration: Dataset; validation: Dataset }> {
  const all = await readData(o.data, { labels: !o.noLabels, labelsFile: o.labelsFile });
  if (!o.validation) return splitData(all);
  return { calibration: all, validation: await readData(o.validation, { labels: !o.noLabels, labelsFile: o.validationLabelsFile }) };
}

/** Options of sensitivityOf. */
export interface SensitivityRunOptions extends SessionOptions {
  data: string;
  labelsFile?: string;
  noLabels?: boolean;
  sparsities?: readonly number[];
  full?: boolean;
  onProgress?: (done: number, total: number, what: string) => void;
}

/** `sensitivity`: every target's candidates and their damage on `data`. */
export async function sensitivityOf(o: SensitivityRunOptions): Promise<Sensitivity & { data: { source: string; samples: number }; ms: number }> {
  const t0 = performance.now();
  const data = await readData(o.data, { labels: !o.noLabels, labelsFile: o.labelsFile });
  const s = await openSession(o, data);
  try {
    const r = await measureSensitivity(s.model, s.targets, s.ev, s.reference, { sparsities: o.sparsities, full: o.full, onProgress: o.onProgress, parallel: s.parallel });
    return { ...r, data: { source: data.source, samples: data.samples }, ms: performance.now() - t0 };
  } finally {
    await s.close();
  }
}

/**
 * Bytes a plan does not choose: the tensors tune leaves alone (their sections, or their
 * stored bytes in a folder) and the model JSON (deflated in a container); and the
 * original's raw bytes, which --min-size-reduction divides by.
 */
async function fixedBytes(model: Model, targets: Target[], container: boolean): Promise<{ served: number; raw: number; original: number }> {
  const tuned = new Set(targets.map((t) => t.name));
  let served = 0;
  let raw = 0;
  let original = 0;
  for (const info of model.tensors) original += info.byteLength;
  for (const info of model.tensors) {
    if (tuned.has(info.name)) continue;
    const stored = await model.readBytes(info);
    served += container ? measureTensor({ entry: info.entry, stored }).bytes : info.byteLength;
    raw += container ? measureTensor({ entry: info.entry, stored }).bytes : info.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(model.json));
  original += json.length;
  const jsonBytes = container ? deflateSync(json, { level: 9 }).length : json.length;
  return { served: served + jsonBytes, raw: raw + jsonBytes, original };
}

/** Whether a plan's estimated size meets the size budgets. */
function sizeOk(budgets: Budget[], e: { served: number; raw: number }, original: number): boolean {
  return budgets.every((b) => (b.kind === 'maxSize' ? e.served <= b.limit : b.kind === 'minSizeReduction' ? original / e.raw >= b.limit : true));
}

/** The calibration step of tune --solvers: `data` is the calibration file, so the validation inputs must come from elsewhere. */
function solverStepOf(o: TuneOptions): CalibrationStep {
  if (!o.validation) {
    throw new McError('USAGE', '--solvers needs --validation <file>: the plan is solved on all of --data (the recipe names it as its calibration file), so the inputs it is judged on must be another file');
  }
  return calibrationStep({ file: o.calibrationName ?? o.data, quantizeMethod: 'gptq', pruneMethod: 'obs', ...o.solvers }) as CalibrationStep;
}

function finish(r: TuneResult, t0: number): TuneResult {
  r.ms.total = performance.now() - t0;
  return r;
}

function planRows(s: Sensitivity, best: TriedPlan): PlanRow[] {
  return s.tensors
    .map((t, k) => ({ name: t.name, shape: t.shape, choice: best.choice[k].label, step: best.plan.get(t.name) ?? null, keepBytes: t.keepBytes, bytes: best.choice[k].bytes, probeCosine: t.probe.cosineMin }))
    .sort((a, b) => b.keepBytes - a.keepBytes);
}
