/** `maas-compress inspect [model]`: the tensors of a model, their encodings and statistics. */
import { formatBytes, formatNumber, formatPercent, table } from '../format.js';
import { inspectModel } from '../inspect.js';
import { MODEL_ARG_HELP } from './common.js';
import type { RegisterCommand } from './context.js';
import { printable } from './output.js';

export const registerInspect: RegisterCommand = (program, ctx) => {
  program
    .command('inspect')
    .description('list the tensors of a model: shape, dtype, stored encoding, bytes, sparsity and value statistics')
    .argument('[model]', MODEL_ARG_HELP)
    .action(async (arg: string | undefined, _opts, cmd) => {
      const out = ctx.output(cmd);
      const report = await inspectModel(await ctx.model(arg));
      out.document({ schemaVersion: 1, ...report });
      const rows = report.tensors.map((t) => [
        printable(t.name),
        `[${t.shape.join(',')}]`,
        t.dtype,
        t.encoding,
        formatBytes(t.bytes),
        formatPercent(t.share),
        t.sparsity === null ? '-' : formatPercent(t.sparsity),
        ...(t.stats ? [t.stats.min, t.stats.max, t.stats.mean, t.stats.std].map(formatNumber) : ['-', '-', '-', '-']),
      ]);
      out.line(`${out.c.bold(printable(report.file))}  (${report.format})`);
      out.line(
        table(
          ['tensor', 'shape', 'dtype', 'stored as', 'bytes', 'share', 'zeros', 'min', 'max', 'mean', 'std'],
          rows,
          [false, false, false, false, true, true, true, true, true, true, true],
        ),
      );
      const { tensors, parameters, bytes } = report.totals;
      out.result(`${tensors} tensors, ${parameters.toLocaleString('en-US')} parameters, ${formatBytes(bytes)} of weights`);
    });
};
