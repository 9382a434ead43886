/** `maas-compress report [original] [candidate...]`: accuracy, size and transfer time against the original, with budgets. */
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { Option } from 'commander';
import cliProgress from 'cli-progress';
import { McError } from '../errors.js';
import type { BackendName } from '../eval/backend.js';
import { checkOutput, writeFileAtomic } from '../model/atomic.js';
import { inputFiles } from '../model/load.js';
import { recipeFrom } from '../recipe.js';
import { type BudgetInput, parseBudgets } from '../report/budgets.js';
import { type CandidateSpec, defaultRecipes } from '../report/candidates.js';
import { renderHtml } from '../report/html.js';
import { budgetLine, renderMarkdown, renderTable } from '../report/render.js';
import { buildReport } from '../report/report.js';
import type { Encoding } from '../report/types.js';
import { NETWORKS, parseNetwork } from '../report/transfer.js';
import { BROWSER_BACKENDS, type BrowserBackend } from '../report/browser/assets.js';
import type { BrowserOptions } from '../report/browser/measure.js';
import { CHROMIUM_ENV } from '../report/browser/chromium.js';
import { collect } from './common.js';
import type { RegisterCommand } from './context.js';

interface ReportFlags extends BudgetInput {
  data?: string;
  labels?: string | false;
  samples?: string;
  network: string[];
  encoding?: Encoding;
  format: 'table' | 'json' | 'markdown' | 'html';
  output?: string;
  backend?: BackendName;
  labelOutput?: string;
  browser?: boolean;
  runs?: string;
  browserBackend?: BrowserBackend;
}

export const registerReport: RegisterCommand = (program, ctx) => {
  program
    .command('report')
    .description('compare candidates with the original: accuracy on real data, raw/gzip/brotli size, simulated load time; exit 1 when a budget is not met')
    .argument('[original]', 'the original model (default: config "model", then ./model.json)')
    .argument('[candidates...]', 'tfjs folders, model.json or .mcz files (default: config, else the default recipes)')
    .option('--data <file>', 'evaluation data: .csv (label last), .json {"inputs","labels"}, .npy, or .npz (one array per model input)')
    .option('--labels <file>', 'labels for .npy / .npz data (a .npy of integers)')
    .option('--label-output <name>', 'the output the labels belong to (default: the first)')
    .option('--no-labels', 'the CSV has no label column')
    .option('--samples <n>', 'synthetic samples when there is no data', '256')
    .option('--network <profiles>', `network profiles: ${Object.keys(NETWORKS).join(', ')} or name=<kbit/s>/<rtt ms> (comma list, repeatable)`, collect, [])
    .addOption(new Option('--encoding <enc>', 'transfer encoding of the sizes the load time uses').choices(['br', 'gzip', 'none']))
    .addOption(new Option('--format <fmt>', 'output format').choices(['table', 'json', 'markdown', 'html']).default('table'))
    .option('-o, --output <file>', 'write the report to a file (needed for html)')
    .addOption(new Option('--backend <backend>', 'tfjs backend for inference').choices(['wasm', 'cpu', 'node']))
    .option('--max-accuracy-drop <d>', 'budget: largest accuracy drop, e.g. 0.5% or 0.005')
    .option('--min-size-reduction <f>', 'budget: smallest raw size reduction, e.g. 4x')
    .option('--max-size <bytes>', 'budget: largest transfer-encoded size, e.g. 2MB')
    .option('--max-transfer-time <t@net>', 'budget: longest simulated load time, e.g. 3s@4g')
    .option('--min-cosine <c>', 'budget: smallest worst-case cosine over samples and outputs, e.g. 0.99')
    .option('--min-sqnr <dB>', 'budget: smallest SQNR of any output in dB, e.g. 30')
    .option('--min-agreement <a>', 'budget: smallest top-1 agreement of any class output, e.g. 99%')
    .option('--browser', 'also load and run every model in headless Chromium under DevTools throttling: time to first prediction per profile')
    .option('--runs <n>', 'browser runs per model and profile, the median is reported (with --browser)', '3')
    .addOption(new Option('--browser-backend <backend>', 'tfjs backend in the browser (with --browser)').choices([...BROWSER_BACKENDS]).default('wasm'))
    .option('--max-time-to-first-prediction <t@net>', 'budget: longest time to first prediction measured in Chromium, e.g. 5s@4g (turns on --browser)')
    .action(async (originalArg: string | undefined, candidateArgs: string[], f: ReportFlags, cmd) => {
      const out = ctx.output(cmd);
      const cfg = await ctx.config();
      const fromCfg = (p: string | undefined) => (p ? path.resolve(cfg.base, p) : undefined);
      const fromCwd = (p: string) => path.resolve(ctx.io.cwd, p);
      const original = await ctx.model(originalArg);
      let candidates: CandidateSpec[];
      if (candidateArgs.length) candidates = candidateArgs.map((p) => ({ kind: 'path', path: fromCwd(p), name: p }));
      else if (cfg.candidates) candidates = cfg.candidates.map((p) => ({ kind: 'path', path: fromCfg(p) as string, name: p }));
      else if (cfg.recipes) {
        candidates = cfg.recipes.map((r, i) => {
          const recipe = recipeFrom(r, `${cfg.source}: recipes[${i}]`);
          return { kind: 'recipe', name: (r as { name?: string }).name ?? `recipe ${i + 1}`, recipe };
        });
      } else candidates = defaultRecipes();
      const networks = (f.network.length ? f.network : cfg.networks ?? ['3g', '4g', 'broadband']).flatMap((s) => s.split(',')).map(parseNetwork);
      const budgets = parseBudgets({
        ...cfg.budgets,
        ...Object.fromEntries(Object.entries({ maxAccuracyDrop: f.maxAccuracyDrop, minSizeReduction: f.minSizeReduction, maxSize: f.maxSize, maxTransferTime: f.maxTransferTime, minCosine: f.minCosine, minSqnr: f.minSqnr, minAgreement: f.minAgreement, maxTimeToFirstPrediction: f.maxTimeToFirstPrediction }).filter(([, v]) => v !== undefined)),
      });
      const format = out.json ? 'json' : f.format;
      if (format === 'html' && !f.output) throw new McError('USAGE', '--format html needs -o <file.html>');
      // The report file may replace an old report, never a model it reads.
      const modelPaths = [original, ...candidates.flatMap((c) => (c.kind === 'path' ? [c.path] : []))];
      if (f.output) await checkOutput(fromCwd(f.output), { force: true, kind: 'file', inputs: (await Promise.all(modelPaths.map(inputFiles))).flat() });
      const data = f.data ? fromCwd(f.data) : fromCfg(cfg.data);
      const labelsFile = typeof f.labels === 'string' ? fromCwd(f.labels) : fromCfg(cfg.labels);
      const samples = Number(f.samples ?? cfg.samples ?? 256);
      if (!Number.isInteger(samples) || samples < 1) throw new McError('USAGE', `--samples: expected a positive integer, found "${f.samples}"`);
      const bar = ctx.io.stderr.isTTY && !out.quiet && !out.json ? new cliProgress.SingleBar({ stream: ctx.io.stderr as NodeJS.WritableStream, format: 'measuring {bar} {value}/{total} {model}', clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
      let started = false;
      const runs = Number(f.runs);
      if (!/^\s*\d+\s*$/.test(String(f.runs)) || runs < 1 || runs > 100) throw new McError('USAGE', `--runs: expected an integer from 1 to 100, found "${f.runs}"`);
      const browserBar = bar ? new cliProgress.SingleBar({ stream: ctx.io.stderr as NodeJS.WritableStream, format: 'in Chromium {bar} {value}/{total} {model}', clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
      const browser: BrowserOptions | undefined =
        f.browser || budgets.some((b) => b.kind === 'maxTimeToFirstPrediction')
          ? {
              runs,
              backend: f.browserBackend ?? 'wasm',
              chromium: ctx.io.env[CHROMIUM_ENV] || undefined,
              onProgress: (done, total, model) => {
                if (!browserBar) return;
                if (done === 0) browserBar.start(total, 0, { model });
                else browserBar.update(done, { model });
                if (done === total) browserBar.stop();
              },
            }
          : undefined;
      const report = await buildReport({
        original,
        candidates,
        data,
        dataName: data && !path.relative(ctx.io.cwd, data).startsWith('..') ? path.relative(ctx.io.cwd, data) : data,
        labelsFile,
        noLabels: f.labels === false || cfg.noLabels === true,
        labelOutput: f.labelOutput ?? cfg.labelOutput,
        samples,
        networks,
        encoding: f.encoding ?? cfg.encoding ?? 'br',
        budgets,
        backend: f.backend ?? cfg.backend ?? 'wasm',
        browser,
        onProgress: (done, total, model) => {
          if (!bar) return;
          if (!started) {
            bar.start(total, done, { model });
            started = true;
          } else bar.update(done, { model });
          if (done === total) bar.stop();
        },
      }).finally(() => {
        bar?.stop();
        browserBar?.stop();
      });
      const text = format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : format === 'markdown' ? renderMarkdown(report) : format === 'html' ? renderHtml(report) : `${renderTable(report)}\n`;
      if (f.output) {
        await writeFileAtomic(fromCwd(f.output), [new TextEncoder().encode(text)]);
        out.result(`wrote ${fromCwd(f.output)}`);
      } else if (format === 'json') ctx.io.stdout.write(text);
      else out.result(text.trimEnd());
      const summary = ctx.io.env.GITHUB_STEP_SUMMARY;
      if (summary) await appendFile(summary, renderMarkdown(report));
      for (const b of report.budgets.filter((x) => !x.passed)) ctx.io.stderr.write(`maas-compress: budget not met: ${budgetLine(b).slice(5)}\n`);
      if (!report.passed) ctx.setExit(1);
    });
};
