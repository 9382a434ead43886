/** `maas-compress copy [model] -o <folder>`: re-write a model in the stock layout, re-sharded. */
import path from 'node:path';
import { copyModel } from '../copy.js';
import { MODEL_ARG_HELP, type OutputOptions, outputPlan, printWritten, withOutputOptions } from './common.js';
import type { RegisterCommand } from './context.js';

export const registerCopy: RegisterCommand = (program, ctx) => {
  withOutputOptions(
    program
      .command('copy')
      .description('re-write a model in the stock tfjs layout (validated, re-sharded), weights byte for byte')
      .argument('[model]', MODEL_ARG_HELP),
  ).action(async (arg: string | undefined, opts: OutputOptions, cmd) => {
    const out = ctx.output(cmd);
    const plan = outputPlan(opts);
    const input = await ctx.model(arg);
    const r = await copyModel(input, path.resolve(ctx.io.cwd, plan.output), plan);
    out.document({ schemaVersion: 1, input, output: r.dir, files: r.files });
    printWritten(out, r);
  });
};
