/** `pack`, `unpack` and `compress`: the packed container and the whole pipeline in one run. */
import path from 'node:path';
import { Option } from 'commander';
import { compressModel } from '../compress.js';
import { McError } from '../errors.js';
import { unpackMcz } from '../mcz/unpack.js';
import { QUANTIZER_NAMES } from '../passes/registry.js';
import { DEFAULT_GROUP_SIZE, DEFAULT_MIN_ELEMENTS, type Recipe, pruneStep, quantizeStep, recipeFrom } from '../recipe.js';
import { isContainerPath, modelSizes } from '../size.js';
import { VERSION } from '../version.js';
import { type CalibrationFlags, calibrationOf, withCalibrationOptions, MODEL_ARG_HELP, type OutputOptions, quantizeInputOf, outputPlan, printWritten, withOutputOptions } from './common.js';
import type { RegisterCommand } from './context.js';
import { printSummary } from './summary.js';
import type { Output } from './output.js';
import { loadModel } from '../model/load.js';
import { isRecipeFile, readRecipeFile, recipeFileFrom, weightsFingerprint } from '../tune/recipe-file.js';

interface CompressFlags extends OutputOptions, CalibrationFlags {
  prune?: string;
  scope?: string;
  pattern?: string;
  quantize?: string;
  dtype?: string;
  perChannel?: boolean;
  groupSize?: string;
  symmetric?: boolean;
  affine?: boolean;
  minElements: string;
  allowNonfinite?: boolean;
  allowEmpty?: boolean;
  recipe?: string;
}

/**
 * The recipe of a compress run: from its flags, else a recipe file (--recipe, or the
 * config's "recipe" as a path), else the config's inline "recipe" (a recipe or a recipe file's object).
 */
async function compressRecipe(f: CompressFlags, cfg: { recipe?: unknown; source: string | null; base: string }, cwd: string, model: string, out: Output): Promise<Recipe> {
  const passFlags = f.prune !== undefined || f.quantize !== undefined || f.perChannel || (f.pattern && f.pattern !== 'unstructured');
  if (f.recipe !== undefined && passFlags) throw new McError('USAGE', '--recipe gives every pass: drop --prune / --quantize / --pattern / --per-channel, or drop --recipe');
  const file = f.recipe !== undefined ? path.resolve(cwd, f.recipe) : !passFlags && typeof cfg.recipe === 'string' ? path.resolve(cfg.base, cfg.recipe) : null;
  const rf = file ? await readRecipeFile(file) : !passFlags && isRecipeFile(cfg.recipe) ? recipeFileFrom(cfg.recipe, `${cfg.source}: recipe`) : null;
  if (rf) {
    if (rf.model) {
      const here = await loadModel(model);
      try {
        if ((await weightsFingerprint(here)) !== rf.model.weightsSha256) out.warn(`${file ?? `${cfg.source}: recipe`} was tuned on other weights than ${here.file}'s: its plan applies, but its figures were not measured on this model (tune it again)`);
      } finally {
        await here.close();
      }
    }
    return rf.recipe;
  }
  return compressRecipeFromFlags(f, cfg.recipe, cfg.source);
}

/** The recipe of a compress run from its pass flags, else the config's inline `recipe`. */
function compressRecipeFromFlags(f: CompressFlags, cfgRecipe: unknown, cfgSource: string | null): Recipe {
  const r: Recipe = {};
  if (f.prune !== undefined || (f.pattern && f.pattern !== 'unstructured')) {
    r.prune = pruneStep({ sparsity: f.prune, scope: f.scope, pattern: f.pattern, minElements: f.minElements, allowEmpty: f.allowEmpty });
  }
  if (f.quantize !== undefined || f.dtype !== undefined) r.quantize = quantizeStep(quantizeInputOf(f));
  else if (f.perChannel) throw new McError('USAGE', '--per-channel needs --quantize int8');
  else if (f.groupSize !== undefined || f.symmetric || f.affine) throw new McError('USAGE', '--group-size, --symmetric and --affine need --quantize int2..int8');
  if (r.prune || r.quantize) return r;
  if (cfgRecipe !== undefined) return recipeFrom(cfgRecipe, `${cfgSource}: recipe`);
  throw new McError('USAGE', 'no passes given: pass --prune and/or --quantize, or set "recipe" in maas-compress.config.json');
}

export const registerPack: RegisterCommand = (program, ctx) => {
  withOutputOptions(
    program
      .command('pack')
      .description('pack a model losslessly into one .mcz file (the values it stores, entropy coded)')
      .argument('[model]', MODEL_ARG_HELP),
  ).action(async (arg: string | undefined, opts: OutputOptions, cmd) => {
    const out = ctx.output(cmd);
    const plan = outputPlan(opts);
    if (!isContainerPath(plan.output)) throw new McError('USAGE', `-o ${plan.output}: pack writes a .mcz file; name it model.mcz (use copy for a folder)`);
    const r = await compressModel(await ctx.model(arg), path.resolve(ctx.io.cwd, plan.output), {}, { force: plan.force, command: 'pack' });
    out.document({ schemaVersion: 1, command: 'pack', ...r });
    out.line(`${r.tensors.length} tensors, ${r.tensors.filter((t) => t.to.endsWith('sparse')).length} stored sparse`);
    printWritten(out, { dir: r.output, files: r.files }, r.container);
  });

  withOutputOptions(
    program
      .command('unpack')
      .description('write a .mcz container as a stock tfjs folder (per-channel int8, intN and clusters become float32)')
      .argument('<file>', 'the .mcz file'),
  ).action(async (file: string, opts: OutputOptions, cmd) => {
    const out = ctx.output(cmd);
    const plan = outputPlan(opts);
    if (isContainerPath(plan.output)) throw new McError('USAGE', `-o ${plan.output}: unpack writes a folder`);
    const r = await unpackMcz(path.resolve(ctx.io.cwd, file), path.resolve(ctx.io.cwd, plan.output), {
      force: plan.force,
      shardSize: plan.shardSize,
      step: { command: 'unpack' },
      version: VERSION,
    });
    out.document({ schemaVersion: 1, command: 'unpack', output: r.dir, files: r.files, widened: r.widened });
    if (r.widened.length) {
      out.warn(`${r.widened.length} tensor(s) written as float32, because the stock manifest cannot hold per-channel int8, intN or clusters: ${r.widened.join(', ')}`);
    }
    printWritten(out, r);
  });

  withOutputOptions(
    withCalibrationOptions(program
      .command('compress')
      .description('the whole pipeline in one run: prune, quantize, then write a .mcz container or a stock folder')
      .argument('[model]', MODEL_ARG_HELP)
      .option('--prune <s>', 'sparsity to prune to: 0.5 or 50%')
      .addOption(new Option('--scope <scope>', 'pruning scope').choices(['layer', 'global']))
      .option('--pattern <p>', 'pruning pattern: unstructured or N:M')
      .option('--quantize <codec>', `quantizer: ${QUANTIZER_NAMES.filter((n) => n !== 'cluster').join(', ')}, cluster<K>`)
      .addOption(new Option('--dtype <codec>', 'the same as --quantize').hideHelp())
      .option('--per-channel', 'int8 and cluster<K>: one scale / codebook per output channel; int2..int7: one group per channel')
      .option('--group-size <n>', `intN: weights per scale along each output channel's input axis (default ${DEFAULT_GROUP_SIZE} for int2..int7)`)
      .option('--symmetric', 'intN groups: symmetric grid')
      .option('--affine', 'intN groups: affine grid with a zero code per group (the default)')
      .option('--min-elements <n>', 'tensors with fewer elements are left alone', String(DEFAULT_MIN_ELEMENTS))
      .option('--allow-nonfinite', 'encode NaN/Infinity instead of failing')
      .option('--allow-empty', 'global pruning: allow a tensor to become all zeros')
      .option('--recipe <file>', 'apply a recipe file (e.g. one `tune --save-recipe` wrote) instead of pass flags'),
    { quantize: true, prune: true }),
  ).action(async (arg: string | undefined, f: CompressFlags, cmd) => {
    const out = ctx.output(cmd);
    const cfg = await ctx.config();
    const plan = outputPlan(f);
    const input = await ctx.model(arg);
    const given = await compressRecipe(f, cfg, ctx.io.cwd, input, out);
    // Calibration flags add a calibration step to (or replace that of) whatever recipe was given.
    const calibration = calibrationOf(f);
    const recipe = calibration ? { ...given, calibration } : given;
    const r = await compressModel(input, path.resolve(ctx.io.cwd, plan.output), recipe, { ...plan, command: 'compress', calibration: { cwd: ctx.io.cwd } });
    const before = (await modelSizes(input, { compressed: false })).total.raw;
    const after = r.files.reduce((s, x) => s + x.bytes, 0);
    out.document({ schemaVersion: 1, command: 'compress', recipe, ...r, sizes: { before, after, reduction: before / after } });
    printSummary(out, r);
    out.result(`model ${before} -> ${after} bytes (${(before / after).toFixed(2)}x smaller, model.json included)`);
    printWritten(out, { dir: r.output, files: r.files }, r.container);
  });
};
