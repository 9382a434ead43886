/** `maas-compress quantize [model] --dtype <d> -o <out>`. */
import path from 'node:path';
import { Option } from 'commander';
import { compressModel } from '../compress.js';
import { QUANTIZER_NAMES, QUANTIZERS } from '../passes/registry.js';
import { DEFAULT_MIN_ELEMENTS, type QuantizerName, quantizeStep } from '../recipe.js';
import { collect, MODEL_ARG_HELP, type OutputOptions, outputPlan, printWritten, withOutputOptions } from './common.js';
import type { RegisterCommand } from './context.js';
import { printSummary } from './summary.js';

interface QuantizeFlags extends OutputOptions {
  dtype: QuantizerName;
  perChannel?: boolean;
  include: string[];
  exclude: string[];
  minElements: string;
  allowNonfinite?: boolean;
}

export const registerQuantize: RegisterCommand = (program, ctx) => {
  const help = QUANTIZER_NAMES.map((n) => `  ${n.padEnd(7)} ${QUANTIZERS[n].summary}`).join('\n');
  withOutputOptions(
    program
      .command('quantize')
      .description('quantize the float32 weights of a model (int32, bool and string tensors pass through untouched)')
      .argument('[model]', MODEL_ARG_HELP)
      .addOption(new Option('--dtype <dtype>', 'storage type').choices(QUANTIZER_NAMES).makeOptionMandatory())
      .option('--per-channel', 'int8: one scale per output channel (needs a .mcz output)')
      .option('--include <glob>', 'only tensors whose name matches (* wildcards; repeatable)', collect, [])
      .option('--exclude <glob>', 'skip tensors whose name matches (repeatable)', collect, [])
      .option('--min-elements <n>', 'tensors with fewer elements stay float32', String(DEFAULT_MIN_ELEMENTS))
      .option('--allow-nonfinite', 'encode NaN/Infinity instead of failing')
      .addHelpText('after', `\nDtypes:\n${help}`),
  ).action(async (arg: string | undefined, flags: QuantizeFlags, cmd) => {
    const out = ctx.output(cmd);
    const step = quantizeStep(flags);
    const plan = outputPlan(flags);
    const r = await compressModel(await ctx.model(arg), path.resolve(ctx.io.cwd, plan.output), { quantize: step }, { ...plan, command: 'quantize' });
    out.document({ schemaVersion: 1, command: 'quantize', recipe: { quantize: step }, ...r });
    printSummary(out, r);
    printWritten(out, { dir: r.output, files: r.files }, r.container);
  });
};
