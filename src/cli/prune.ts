/** `maas-compress prune [model] --sparsity <s> -o <out>`. */
import path from 'node:path';
import { Option } from 'commander';
import { compressModel } from '../compress.js';
import { PRUNE_SCOPES } from '../passes/registry.js';
import { DEFAULT_MIN_ELEMENTS, pruneStep } from '../recipe.js';
import { modelSizes } from '../size.js';
import { type CalibrationFlags, calibrationOf, withCalibrationOptions, collect, MODEL_ARG_HELP, type OutputOptions, outputPlan, printWritten, withOutputOptions } from './common.js';
import type { RegisterCommand } from './context.js';
import { printSizes, printSummary } from './summary.js';

interface PruneFlags extends OutputOptions, CalibrationFlags {
  sparsity?: string;
  scope: 'layer' | 'global';
  pattern: string;
  include: string[];
  exclude: string[];
  minElements: string;
  allowEmpty?: boolean;
}

export const registerPrune: RegisterCommand = (program, ctx) => {
  withOutputOptions(
    withCalibrationOptions(program
      .command('prune')
      .description('zero the smallest-magnitude weights of float kernels (rank >= 2); biases and non-float tensors are left alone')
      .argument('[model]', MODEL_ARG_HELP)
      .option('--sparsity <s>', 'fraction of weights to zero: 0.5 or 50%')
      .addOption(new Option('--scope <scope>', Object.entries(PRUNE_SCOPES).map(([k, v]) => `${k}: ${v}`).join('; ')).choices(Object.keys(PRUNE_SCOPES)).default('layer'))
      .option('--pattern <p>', 'unstructured, or N:M (at most N non-zeros in every M consecutive weights along the input axis)', 'unstructured')
      .option('--include <glob>', 'only tensors whose name matches (* wildcards; repeatable)', collect, [])
      .option('--exclude <glob>', 'skip tensors whose name matches (repeatable)', collect, [])
      .option('--min-elements <n>', 'tensors with fewer elements are not pruned', String(DEFAULT_MIN_ELEMENTS))
      .option('--allow-empty', 'global scope: allow a tensor to become all zeros'),
    { quantize: false, prune: true }),
  ).action(async (arg: string | undefined, flags: PruneFlags, cmd) => {
    const out = ctx.output(cmd);
    const step = pruneStep(flags);
    const calibration = calibrationOf(flags);
    const recipe = calibration ? { prune: step, calibration } : { prune: step };
    const plan = outputPlan(flags);
    const input = await ctx.model(arg);
    const r = await compressModel(input, path.resolve(ctx.io.cwd, plan.output), recipe, { ...plan, command: 'prune', calibration: { cwd: ctx.io.cwd } });
    const before = await modelSizes(input);
    const after = await modelSizes(r.output);
    out.document({ schemaVersion: 1, command: 'prune', recipe, ...r, sizes: { before: before.total, after: after.total } });
    printSummary(out, r);
    printSizes(out, before.total, after.total);
    out.line(out.c.dim('raw size does not shrink until the zeros are packed (gzip/brotli or a .mcz container)'));
    printWritten(out, { dir: r.output, files: r.files }, r.container);
  });
};
