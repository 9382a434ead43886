/** Options shared by the commands that write a model. */
import type { Command } from 'commander';
import { McError } from '../errors.js';
import { formatBytes } from '../format.js';
import type { SaveResult } from '../model/save.js';
import { parseSize } from '../units.js';
import type { Output } from './output.js';

/** The parsed output options. */
export interface OutputOptions {
  output?: string;
  force?: boolean;
  shardSize?: string;
}

/** Add -o, --force and --shard-size to a command. */
export function withOutputOptions(cmd: Command): Command {
  return cmd
    .option('-o, --output <path>', 'output folder (a stock tfjs model)')
    .option('--force', 'replace a non-empty output folder')
    .option('--shard-size <bytes>', 'bytes per weights shard (e.g. 4194304, 4MiB)', '4194304');
}

/** Validate the output options into what saveModel takes. */
export function outputPlan(o: OutputOptions): { output: string; force: boolean; shardSize: number } {
  if (!o.output) throw new McError('USAGE', 'missing -o <path>: the output folder to write');
  return { output: o.output, force: Boolean(o.force), shardSize: parseSize(o.shardSize ?? '4194304', '--shard-size') };
}

/** Print the files written. */
export function printWritten(out: Output, r: SaveResult): void {
  const total = r.files.reduce((s, f) => s + f.bytes, 0);
  out.result(`wrote ${r.dir} (${r.files.length} files, ${formatBytes(total)})`);
}
