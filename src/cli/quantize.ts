/** `maas-compress quantize [model] --dtype <d> -o <out>`. */
import path from 'node:path';
import { Option } from 'commander';
import { compressModel } from '../compress.js';
import { QUANTIZER_NAMES, QUANTIZERS } from '../passes/registry.js';
import { DEFAULT_GROUP_SIZE, DEFAULT_MIN_ELEMENTS, quantizeStep } from '../recipe.js';
import { type CalibrationFlags, calibrationOf, withCalibrationOptions, collect, MODEL_ARG_HELP, quantizeInputOf, type OutputOptions, outputPlan, printWritten, withOutputOptions } from './common.js';
import type { RegisterCommand } from './context.js';
import { printSummary } from './summary.js';

interface QuantizeFlags extends OutputOptions, CalibrationFlags {
  dtype?: string;
  quantize?: string;
  perChannel?: boolean;
  groupSize?: string;
  symmetric?: boolean;
  affine?: boolean;
  include: string[];
  exclude: string[];
  minElements: string;
  allowNonfinite?: boolean;
}

export const registerQuantize: RegisterCommand = (program, ctx) => {
  const help = QUANTIZER_NAMES.map((n) => `  ${(n === 'cluster' ? 'clusterK' : n).padEnd(8)} ${QUANTIZERS[n].summary}`).join('\n');
  withOutputOptions(
    withCalibrationOptions(program
      .command('quantize')
      .description('quantize the float32 weights of a model (int32, bool and string tensors pass through untouched)')
      .argument('[model]', MODEL_ARG_HELP)
      .option('--quantize <codec>', `the codec: ${QUANTIZER_NAMES.filter((n) => n !== 'cluster').join(', ')}, cluster<K>`)
      .addOption(new Option('--dtype <codec>', 'the same as --quantize').hideHelp())
      .option('--per-channel', 'int8 and cluster<K>: one scale / codebook per output channel; int2..int7: one group per channel (needs a .mcz output)')
      .option('--group-size <n>', `intN: weights per scale along each output channel's input axis (default ${DEFAULT_GROUP_SIZE} for int2..int7; int8 with it is the 8-bit group codec)`)
      .option('--symmetric', 'intN groups: symmetric grid, q in ±(2^(N-1) - 1)')
      .option('--affine', 'intN groups: affine grid with a zero code per group, all 2^N codes (the default)')
      .option('--include <glob>', 'only tensors whose name matches (* wildcards; repeatable)', collect, [])
      .option('--exclude <glob>', 'skip tensors whose name matches (repeatable)', collect, [])
      .option('--min-elements <n>', 'tensors with fewer elements stay float32', String(DEFAULT_MIN_ELEMENTS))
      .option('--allow-nonfinite', 'encode NaN/Infinity instead of failing')
      .addHelpText('after', `\nDtypes:\n${help}`),
    { quantize: true, prune: false }),
  ).action(async (arg: string | undefined, flags: QuantizeFlags, cmd) => {
    const out = ctx.output(cmd);
    const step = quantizeStep(quantizeInputOf(flags));
    const calibration = calibrationOf(flags);
    const recipe = calibration ? { quantize: step, calibration } : { quantize: step };
    const plan = outputPlan(flags);
    const r = await compressModel(await ctx.model(arg), path.resolve(ctx.io.cwd, plan.output), recipe, { ...plan, command: 'quantize', calibration: { cwd: ctx.io.cwd } });
    out.document({ schemaVersion: 1, command: 'quantize', recipe, ...r });
    printSummary(out, r);
    printWritten(out, { dir: r.output, files: r.files }, r.container);
  });
};
