/** `pack`, `unpack` and `compress`: the packed container and the whole pipeline in one run. */
import path from 'node:path';
import { Option } from 'commander';
import { compressModel } from '../compress.js';
import { McError } from '../errors.js';
import { unpackMcz } from '../mcz/unpack.js';
import { QUANTIZER_NAMES } from '../passes/registry.js';
import { DEFAULT_MIN_ELEMENTS, type Recipe, pruneStep, quantizeStep, recipeFrom } from '../recipe.js';
import { isContainerPath, modelSizes } from '../size.js';
import { VERSION } from '../version.js';
import { MODEL_ARG_HELP, type OutputOptions, outputPlan, printWritten, withOutputOptions } from './common.js';
import type { RegisterCommand } from './context.js';
import { printSummary } from './summary.js';

interface CompressFlags extends OutputOptions {
  prune?: string;
  scope?: string;
  pattern?: string;
  quantize?: string;
  perChannel?: boolean;
  minElements: string;
  allowNonfinite?: boolean;
  allowEmpty?: boolean;
}

/** The recipe of a compress run: from its flags, else the config's `recipe`. */
function compressRecipe(f: CompressFlags, cfgRecipe: unknown, cfgSource: string | null): Recipe {
  const r: Recipe = {};
  if (f.prune !== undefined || (f.pattern && f.pattern !== 'unstructured')) {
    r.prune = pruneStep({ sparsity: f.prune, scope: f.scope, pattern: f.pattern, minElements: f.minElements, allowEmpty: f.allowEmpty });
  }
  if (f.quantize !== undefined) r.quantize = quantizeStep({ dtype: f.quantize, perChannel: f.perChannel, minElements: f.minElements, allowNonfinite: f.allowNonfinite });
  else if (f.perChannel) throw new McError('USAGE', '--per-channel needs --quantize int8');
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
      .description('write a .mcz container as a stock tfjs folder (per-channel int8 becomes float32)')
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
      out.warn(`${r.widened.length} tensor(s) written as float32, because the stock manifest cannot hold per-channel int8: ${r.widened.join(', ')}`);
    }
    printWritten(out, r);
  });

  withOutputOptions(
    program
      .command('compress')
      .description('the whole pipeline in one run: prune, quantize, then write a .mcz container or a stock folder')
      .argument('[model]', MODEL_ARG_HELP)
      .option('--prune <s>', 'sparsity to prune to: 0.5 or 50%')
      .addOption(new Option('--scope <scope>', 'pruning scope').choices(['layer', 'global']))
      .option('--pattern <p>', 'pruning pattern: unstructured or N:M')
      .addOption(new Option('--quantize <dtype>', 'quantizer').choices(QUANTIZER_NAMES))
      .option('--per-channel', 'int8: one scale per output channel')
      .option('--min-elements <n>', 'tensors with fewer elements are left alone', String(DEFAULT_MIN_ELEMENTS))
      .option('--allow-nonfinite', 'encode NaN/Infinity instead of failing')
      .option('--allow-empty', 'global pruning: allow a tensor to become all zeros'),
  ).action(async (arg: string | undefined, f: CompressFlags, cmd) => {
    const out = ctx.output(cmd);
    const cfg = await ctx.config();
    const recipe = compressRecipe(f, cfg.recipe, cfg.source);
    const plan = outputPlan(f);
    const input = await ctx.model(arg);
    const r = await compressModel(input, path.resolve(ctx.io.cwd, plan.output), recipe, { ...plan, command: 'compress' });
    const before = (await modelSizes(input, { compressed: false })).total.raw;
    const after = r.files.reduce((s, x) => s + x.bytes, 0);
    out.document({ schemaVersion: 1, command: 'compress', recipe, ...r, sizes: { before, after, reduction: before / after } });
    printSummary(out, r);
    out.result(`model ${before} -> ${after} bytes (${(before / after).toFixed(2)}x smaller, model.json included)`);
    printWritten(out, { dir: r.output, files: r.files }, r.container);
  });
};
