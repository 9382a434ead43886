/** `sensitivity` and `tune`: per-tensor damage, and the smallest per-tensor plan that meets the budgets. */
import path from 'node:path';
import { Option } from 'commander';
import cliProgress from 'cli-progress';
import { McError } from '../errors.js';
import type { BackendName } from '../eval/backend.js';
import { checkOutput, writeFileAtomic } from '../model/atomic.js';
import { inputFiles } from '../model/load.js';
import { type BudgetInput, parseBudgets } from '../report/budgets.js';
import { parseNetwork } from '../report/transfer.js';
import { isContainerPath } from '../size.js';
import { renderSensitivityHtml } from '../tune/html.js';
import { recipeFileText } from '../tune/recipe-file.js';
import { renderSensitivity, renderTune } from '../tune/render.js';
import { type Objective, sensitivityOf, tuneModel } from '../tune/tune.js';
import { collect, MODEL_ARG_HELP, printWritten } from './common.js';
import type { Ctx, RegisterCommand } from './context.js';

interface DataFlags {
  data?: string;
  labels?: string | false;
  labelOutput?: string;
  minElements: string;
  include: string[];
  exclude: string[];
  sparsities: string;
  backend?: BackendName;
}

/** "0.25,0.5,0.75" or "none" into sparsities. */
function parseSparsities(s: string): number[] {
  if (s.trim() === 'none') return [];
  return s.split(',').map((x) => {
    const v = /%$/.test(x.trim()) ? Number(x.trim().slice(0, -1)) / 100 : Number(x);
    if (!(v > 0 && v < 1)) throw new McError('USAGE', `--sparsities: expected fractions in (0, 1) like 0.25,0.5 or "none", found "${x}"`);
    return v;
  });
}

function count(s: string, flag: string): number {
  const v = Number(s);
  if (!Number.isInteger(v) || v < 0) throw new McError('USAGE', `${flag}: expected a whole number, found "${s}"`);
  return v;
}

/** A progress bar on stderr when it is a terminal (null otherwise). */
function progress(ctx: Ctx, quiet: boolean) {
  if (!ctx.io.stderr.isTTY || quiet) return null;
  const bar = new cliProgress.SingleBar({ stream: ctx.io.stderr as NodeJS.WritableStream, format: '{phase} {bar} {value}/{total} {what}', clearOnComplete: true }, cliProgress.Presets.shades_classic);
  let phase = '';
  return {
    update(p: string, done: number, total: number, what: string) {
      if (p !== phase) {
        if (phase) bar.stop();
        bar.start(total, done, { phase: p, what });
        phase = p;
      } else bar.update(done, { what });
    },
    stop: () => bar.stop(),
  };
}

const withDataOptions = (cmd: ReturnType<import('commander').Command['command']>) =>
  cmd
    .option('--data <file>', 'inputs to measure on: .csv (label last), .json, .npy or .npz')
    .option('--labels <file>', 'labels for .npy / .npz data (a .npy of integers)')
    .option('--no-labels', 'the CSV has no label column')
    .option('--label-output <name>', 'the output the labels belong to (default: the first)')
    .option('--min-elements <n>', 'tensors with fewer elements are left alone', '1024')
    .option('--include <glob>', 'only tensors whose names match (repeatable)', collect, [])
    .option('--exclude <glob>', 'never tensors whose names match (repeatable)', collect, [])
    .option('--sparsities <list>', 'pruning sparsities to try, or "none"', '0.25,0.5,0.75')
    .addOption(new Option('--backend <backend>', 'tfjs backend for inference').choices(['wasm', 'cpu', 'node']));

export const registerTune: RegisterCommand = (program, ctx) => {
  withDataOptions(program.command('sensitivity').description('per tensor and candidate encoding, the damage when only that tensor changes, and the bytes it saves').argument('[model]', MODEL_ARG_HELP))
    .option('--full', 'also measure every candidate with a full-model run (slow; checks the prediction)')
    .option('--all', 'table: every candidate, not only the unpruned and 50 % ones')
    .addOption(new Option('--format <fmt>', 'output format').choices(['table', 'json', 'html']).default('table'))
    .option('-o, --output <file>', 'write the table, JSON or HTML page to a file')
    .action(async (arg: string | undefined, f: DataFlags & { full?: boolean; all?: boolean; format: string; output?: string }, cmd) => {
      const out = ctx.output(cmd);
      const cfg = await ctx.config();
      const data = f.data ? path.resolve(ctx.io.cwd, f.data) : cfg.data ? path.resolve(cfg.base, cfg.data) : undefined;
      if (!data) throw new McError('USAGE', 'missing --data <file>: sensitivity is measured on real inputs');
      const model = await ctx.model(arg);
      const format = out.json ? 'json' : f.format;
      if (format === 'html' && !f.output) throw new McError('USAGE', '--format html needs -o <file.html>');
      if (f.output) await checkOutput(path.resolve(ctx.io.cwd, f.output), { force: true, kind: 'file', inputs: await inputFiles(model) });
      const bar = progress(ctx, out.quiet || out.json);
      const r = await sensitivityOf({
        model,
        data,
        labelsFile: typeof f.labels === 'string' ? path.resolve(ctx.io.cwd, f.labels) : undefined,
        noLabels: f.labels === false,
        labelOutput: f.labelOutput,
        minElements: count(f.minElements, '--min-elements'),
        include: f.include,
        exclude: f.exclude,
        sparsities: parseSparsities(f.sparsities),
        full: f.full,
        backend: f.backend ?? cfg.backend,
        onProgress: (d, n, what) => bar?.update('probing', d, n, what),
      }).finally(() => bar?.stop());
      const doc = { schemaVersion: 1, command: 'sensitivity', model, ...r, tensors: r.tensors.map(({ gains: _g, ...t }) => t) };
      const text = format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : format === 'html' ? renderSensitivityHtml(r, path.basename(path.dirname(model))) : `${renderSensitivity(r, { all: f.all })}\n`;
      if (f.output) {
        await writeFileAtomic(path.resolve(ctx.io.cwd, f.output), [new TextEncoder().encode(text)]);
        out.result(`wrote ${path.resolve(ctx.io.cwd, f.output)}`);
      } else if (format === 'json') ctx.io.stdout.write(text);
      else out.result(text.trimEnd());
      out.result(`${r.tensors.length} tensors, ${r.runs} full-model runs on ${r.data.samples} samples, ${(r.ms / 1000).toFixed(1)} s`);
    });

  withDataOptions(program.command('tune').description('the smallest per-tensor plan that meets every budget, checked on inputs the search did not see; exit 1 when none does').argument('[model]', MODEL_ARG_HELP))
    .option('--validation <file>', 'inputs that judge the plan (default: every 4th sample of --data, the rest calibrate)')
    .option('--validation-labels <file>', 'labels for a .npy / .npz --validation file')
    .option('--max-accuracy-drop <d>', 'budget: largest accuracy drop, e.g. 0.5% (0.5 percentage points) or 0.005')
    .option('--min-agreement <a>', 'budget: smallest top-1 agreement of any class output, e.g. 99%')
    .option('--min-cosine <c>', 'budget: smallest worst-case cosine over samples and outputs, e.g. 0.99')
    .option('--min-sqnr <dB>', 'budget: smallest SQNR of any output in dB, e.g. 30')
    .option('--max-size <bytes>', 'budget: largest size as served, estimated from the plan (e.g. 2MB)')
    .option('--min-size-reduction <f>', 'budget: smallest raw size reduction against the original, estimated from the plan (e.g. 4x)')
    .option('--objective <o>', 'minimize: size (served bytes) or transfer@<profile> (simulated load time)', 'size')
    .option('--margin <m>', 'share of each budget kept in reserve on the calibration inputs', '0.25')
    .option('-o, --output <path>', 'write the model: a .mcz file (any encoding) or a folder (stock encodings only)')
    .option('--force', 'replace an existing output')
    .option('--save-recipe <file>', 'write the plan as a recipe that `compress --recipe` re-applies without data (with --solvers: re-solved on the same --data file)')
    .option('--solvers', 'solve every plan tried on --data with the data-aware solvers (gptq, obs pruning, bias correction), as compress --calibration does; slower; needs --validation')
    .action(async (arg: string | undefined, f: DataFlags & BudgetInput & { validation?: string; validationLabels?: string; objective: string; margin: string; output?: string; force?: boolean; saveRecipe?: string; solvers?: boolean }, cmd) => {
      const out = ctx.output(cmd);
      const cfg = await ctx.config();
      const cwd = (p: string) => path.resolve(ctx.io.cwd, p);
      const data = f.data ? cwd(f.data) : cfg.data ? path.resolve(cfg.base, cfg.data) : undefined;
      if (!data) throw new McError('USAGE', 'missing --data <file>: the calibration inputs the search runs the model on');
      if (!f.output && !f.saveRecipe) throw new McError('USAGE', 'missing -o <path> (the tuned model) or --save-recipe <file> (the plan): tune writes at least one');
      const budgets = parseBudgets({ maxAccuracyDrop: f.maxAccuracyDrop, minAgreement: f.minAgreement, minCosine: f.minCosine, minSqnr: f.minSqnr, maxSize: f.maxSize, minSizeReduction: f.minSizeReduction });
      const drop = budgets.find((b) => b.kind === 'maxAccuracyDrop');
      if (drop && drop.limit >= 0.1 && !/%/.test(String(f.maxAccuracyDrop))) out.warn(`--max-accuracy-drop ${f.maxAccuracyDrop} is read as a fraction: ${drop.limit * 100} points; write ${f.maxAccuracyDrop}% for ${f.maxAccuracyDrop} points`);
      const objective: Objective = f.objective === 'size' ? { kind: 'size' } : /^transfer@/.test(f.objective) ? { kind: 'transfer', network: parseNetwork(f.objective.slice('transfer@'.length)) } : (() => {
        throw new McError('USAGE', `--objective: expected size or transfer@<profile> (e.g. transfer@4g), found "${f.objective}"`);
      })();
      const margin = Number(f.margin);
      const model = await ctx.model(arg);
      const inputs = await inputFiles(model);
      // Refuse an output that cannot be written before minutes of search, not after.
      if (f.output) await checkOutput(cwd(f.output), { force: f.force, kind: isContainerPath(f.output) ? 'file' : 'folder', inputs });
      if (f.saveRecipe) await checkOutput(cwd(f.saveRecipe), { force: true, kind: 'file', inputs });
      const bar = progress(ctx, out.quiet || out.json);
      const r = await tuneModel({
        model,
        data,
        calibrationName: path.relative(ctx.io.cwd, data).split(path.sep).join('/'),
        solvers: f.solvers ? {} : undefined,
        validation: f.validation ? cwd(f.validation) : undefined,
        labelsFile: typeof f.labels === 'string' ? cwd(f.labels) : undefined,
        validationLabelsFile: f.validationLabels ? cwd(f.validationLabels) : undefined,
        noLabels: f.labels === false,
        labelOutput: f.labelOutput,
        budgets,
        objective,
        output: f.output ? cwd(f.output) : undefined,
        force: f.force,
        margin,
        // --solvers tries 90 % too unless --sparsities says otherwise.
        sparsities: f.solvers && cmd.getOptionValueSource('sparsities') === 'default' ? undefined : parseSparsities(f.sparsities),
        minElements: count(f.minElements, '--min-elements'),
        include: f.include,
        exclude: f.exclude,
        backend: f.backend ?? cfg.backend,
        onProgress: (phase, d, n, what) => bar?.update(phase === 'sensitivity' ? 'probing' : 'searching', d, n, what),
      }).finally(() => bar?.stop());
      if (r.ok && r.recipe && f.saveRecipe) await writeFileAtomic(cwd(f.saveRecipe), [new TextEncoder().encode(recipeFileText(r.recipe))]);
      out.document({ schemaVersion: 1, command: 'tune', ...r });
      out.result(renderTune(r));
      if (r.written) printWritten(out, { dir: r.written.output, files: r.written.files }, r.written.container);
      if (r.ok && f.saveRecipe) out.result(`wrote ${cwd(f.saveRecipe)}`);
      if (!r.ok) {
        ctx.io.stderr.write(`maas-compress: tune: ${r.reason}; nothing written\n`);
        ctx.setExit(1);
      }
    });
};
