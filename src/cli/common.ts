/** Options shared by the commands that write a model. */
import type { Command } from 'commander';
import { McError } from '../errors.js';
import { formatBytes } from '../format.js';
import type { CompressResult } from '../compress.js';
import type { QuantizeInput } from '../recipe.js';
import type { SaveResult } from '../model/save.js';
import { parseSize } from '../units.js';
import type { Output } from './output.js';
import { type CalibrationStep, calibrationStep } from '../recipe.js';

/** Help text of the optional model argument every model command takes. */
export const MODEL_ARG_HELP = 'model.json or its folder (default: config "model", then ./model.json)';

/** Collect a repeatable option's values. */
export const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** The parsed output options. */
export interface OutputOptions {
  output?: string;
  force?: boolean;
  shardSize?: string;
}

/** Add -o, --force and --shard-size to a command. */
export function withOutputOptions(cmd: Command): Command {
  return cmd
    .option('-o, --output <path>', 'output: a folder (stock tfjs model) or a file ending in .mcz (packed container)')
    .option('--force', 'replace a non-empty output folder')
    .option('--shard-size <bytes>', 'bytes per weights shard (e.g. 4194304, 4MiB)', '4194304');
}

/** Validate the output options into what saveModel takes. */
export function outputPlan(o: OutputOptions): { output: string; force: boolean; shardSize: number } {
  if (!o.output) throw new McError('USAGE', 'missing -o <path>: the output folder to write');
  return { output: o.output, force: Boolean(o.force), shardSize: parseSize(o.shardSize ?? '4194304', '--shard-size') };
}

/** Print the files written, and for a container how close its coding came to the entropy bound. */
export function printWritten(out: Output, r: SaveResult, container?: CompressResult['container']): void {
  const total = r.files.reduce((s, f) => s + f.bytes, 0);
  if (!container) {
    out.result(`wrote ${r.dir} (${r.files.length} files, ${formatBytes(total)})`);
    return;
  }
  out.result(`wrote ${r.dir} (${formatBytes(total)})`);
  out.result(
    `entropy-bound ratio ${container.ratio.toFixed(4)}: tensors coded in ${formatBytes(container.coded)}, order-0 bound of their stored symbols ${formatBytes(container.entropyBound)}`,
  );
}

/** The codec flags of a command that quantizes (`--quantize`, or its alias `--dtype`, with `--group-size`, `--symmetric` / `--affine`) as a quantize step's input. */
export function quantizeInputOf(f: { quantize?: string; dtype?: string; groupSize?: string; symmetric?: boolean; affine?: boolean; perChannel?: boolean; include?: string[]; exclude?: string[]; minElements?: string; allowNonfinite?: boolean }): QuantizeInput {
  if (f.quantize !== undefined && f.dtype !== undefined && f.quantize !== f.dtype) throw new McError('USAGE', `--quantize ${f.quantize} and --dtype ${f.dtype} disagree; --dtype is another name for --quantize, give one`);
  const dtype = f.quantize ?? f.dtype;
  if (dtype === undefined) throw new McError('USAGE', "missing --quantize <codec> (for example int8, int4, cluster16; --dtype is another name for it)");
  if (f.symmetric && f.affine) throw new McError('USAGE', '--symmetric and --affine exclude each other; give one');
  const symmetric = f.symmetric ? true : f.affine ? false : undefined;
  return { dtype, perChannel: f.perChannel, groupSize: f.groupSize, symmetric, include: f.include, exclude: f.exclude, minElements: f.minElements, allowNonfinite: f.allowNonfinite };
}

/** The parsed calibration flags (the data-aware solvers). */
export interface CalibrationFlags {
  calibration?: string;
  quantizeMethod?: string;
  pruneMethod?: string;
  actOrder?: boolean;
  biasCorrection?: boolean;
}

/** Add --calibration and the solver flags of the passes a command runs. */
export function withCalibrationOptions(cmd: Command, passes: { quantize: boolean; prune: boolean }): Command {
  cmd.option('--calibration <file>', 'calibration inputs (.csv, .json, .npy, .npz as report --data reads them): solve each layer on them (GPTQ quantization, OBS pruning with reconstruction, bias correction)');
  if (passes.quantize) {
    cmd.option('--quantize-method <m>', 'rtn (round to nearest) or gptq (error-compensating; the default with --calibration)');
    cmd.option('--act-order', 'gptq: quantize inputs in order of decreasing activation energy');
  }
  if (passes.prune) cmd.option('--prune-method <m>', 'magnitude or obs (second-order masks with reconstruction; the default with --calibration)');
  return cmd.option('--no-bias-correction', 'with --calibration: keep the biases as they are');
}

/** The calibration step of the flags, or null without --calibration. */
export function calibrationOf(f: CalibrationFlags): CalibrationStep | null {
  return calibrationStep({ file: f.calibration, quantizeMethod: f.quantizeMethod, pruneMethod: f.pruneMethod, actOrder: f.actOrder, biasCorrection: f.biasCorrection });
}
