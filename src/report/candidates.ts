/**
 * Report candidates: a model on disk (tfjs folder, model.json or .mcz), or a recipe built
 * from the original in a temporary folder. Materialising one gives what the report
 * measures: its served files (for sizes and transfer) and a runnable model (for metrics).
 * Sizes are left to the caller, so that they are computed off the main thread while the
 * model runs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compressModel } from '../compress.js';
import { trackTemporary } from '../model/atomic.js';
import { type Runnable, loadRunnable, runnableFromArtifacts } from '../eval/predict.js';
import { mczArtifacts } from '../loader.js';
import { readMcz } from '../mcz/unpack.js';
import { DEFAULT_MIN_ELEMENTS, describeRecipe, type Recipe } from '../recipe.js';
import { isContainerPath, modelFiles } from '../size.js';

/** A candidate as asked for. */
export type CandidateSpec = { kind: 'path'; path: string; name?: string } | { kind: 'recipe'; name: string; recipe: Recipe };

/** A candidate ready to measure. */
export interface Materialized {
  /** Served files: model.json and shards, or one container. */
  files: string[];
  /** True when `files` is one self-contained container (.mcz). */
  container: boolean;
  /** Null for a weights-only manifest: there is no topology to run. */
  runnable: Runnable | null;
  /** Remove temporary files. */
  cleanup(): Promise<void>;
}

const quant = (dtype: 'float16' | 'int8', perChannel: boolean) => ({
  dtype,
  perChannel,
  include: [],
  exclude: [],
  minElements: DEFAULT_MIN_ELEMENTS,
  allowNonfinite: false,
});

/** The recipes `report` builds when no candidate is given. */
export function defaultRecipes(): CandidateSpec[] {
  const recipes: Recipe[] = [
    { quantize: quant('float16', false) },
    { quantize: quant('int8', true) },
    {
      prune: { sparsity: 0.5, scope: 'layer', pattern: 'unstructured', include: [], exclude: [], minElements: DEFAULT_MIN_ELEMENTS, allowEmpty: false },
      quantize: quant('int8', true),
    },
  ];
  return recipes.map((recipe) => ({ kind: 'recipe', name: describeRecipe(recipe), recipe }));
}

/** Load a .mcz container into stock tfjs through the loader. */
async function loadContainer(file: string): Promise<Runnable | null> {
  const m = await readMcz(file);
  if (m.format === 'weights-only') return null;
  return runnableFromArtifacts(mczArtifacts(m), m.format, file);
}

/** A recipe is packed when the stock manifest cannot hold its output, or when it prunes (only the container stores just the non-zeros). */
function needsContainer(r: Recipe): boolean {
  return Boolean(r.quantize?.perChannel || r.prune);
}

/** Materialise a candidate against `original`. */
export async function materialize(spec: CandidateSpec, original: string): Promise<Materialized> {
  if (spec.kind === 'path') {
    if (isContainerPath(spec.path)) {
      return { files: [spec.path], container: true, runnable: await loadContainer(spec.path), cleanup: async () => undefined };
    }
    return { files: await modelFiles(spec.path), container: false, runnable: await loadRunnable(spec.path), cleanup: async () => undefined };
  }
  const tmp = await mkdtemp(path.join(tmpdir(), 'maas-compress-report-'));
  const untrack = trackTemporary(tmp); // removed on SIGINT / SIGTERM too
  const cleanup = async () => {
    untrack();
    await rm(tmp, { recursive: true, force: true });
  };
  try {
    if (needsContainer(spec.recipe)) {
      const file = path.join(tmp, 'model.mcz');
      await compressModel(original, file, spec.recipe, { command: 'report' });
      return { files: [file], container: true, runnable: await loadContainer(file), cleanup };
    }
    const out = path.join(tmp, 'model');
    await compressModel(original, out, spec.recipe, { command: 'report' });
    return { files: await modelFiles(out), container: false, runnable: await loadRunnable(out), cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
