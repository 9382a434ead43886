#!/usr/bin/env node
// `npm run bench:quality`: what each compression recipe costs on real pretrained models.
// For every zoo model (.cache/zoo, `npm run zoo`) and every recipe, the report's figures
// per output on the model's validation split (worst and mean cosine, SQNR, top-1
// agreement where an output is a class vector) and its bytes, raw and as served.
// Weights-only manifests: sizes only. Writes bench/quality.json and docs/quality.md.
//
//   node scripts/bench-quality.mjs [--only id,id] [--backend wasm|cpu|node]
//
// Uses the library from dist/ (`npm run bench:quality` builds it first). A model the report
// cannot run is kept in the results with its error; the run goes on.
import { execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ZOO = path.join(ROOT, '.cache', 'zoo');
const { buildReport, tuneModel, NETWORKS, DEFAULT_MIN_ELEMENTS, describeRecipe, isMcError } = await import(path.join(ROOT, 'dist', 'index.js'));

const quant = (dtype, perChannel = false) => ({ dtype, perChannel, include: [], exclude: [], minElements: DEFAULT_MIN_ELEMENTS, allowNonfinite: false });
const prune = { sparsity: 0.5, scope: 'layer', pattern: 'unstructured', include: [], exclude: [], minElements: DEFAULT_MIN_ELEMENTS, allowEmpty: false };

/** The recipes measured, in table order. */
const RECIPES = [
  { quantize: quant('float16') },
  { quantize: quant('uint8') },
  { quantize: quant('int8') },
  { quantize: quant('int8', true) },
  { prune, quantize: quant('int8', true) },
].map((recipe) => ({ kind: 'recipe', name: describeRecipe(recipe), recipe }));

/**
 * The tuned candidate: `tune --min-cosine 0.99` on the model's calibration split, judged by
 * the report on its validation split like every recipe (docs/tune.md).
 */
const TUNED = 'tuned (min cosine 0.99)';

/** Tune a model on its calibration split into a temporary .mcz; the candidate, and what tune said. */
async function tuned(entry, backend, dir) {
  const t0 = performance.now();
  const output = path.join(dir, `${entry.id}.mcz`);
  try {
    const r = await tuneModel({
      model: path.join(ZOO, entry.path),
      data: path.join(ZOO, entry.data.calibration),
      validation: path.join(ZOO, entry.data.validation),
      budgets: [{ kind: 'minCosine', limit: 0.99 }],
      output,
      backend,
    });
    // Sources relative to the checkout: the JSON is committed.
    const rel = (d) => ({ ...d, source: path.relative(ROOT, d.source).split(path.sep).join('/') });
    const tune = { ok: r.ok, reason: r.reason, seconds: (performance.now() - t0) / 1000, calibration: rel(r.calibration), validation: rel(r.validation), estimate: r.estimate, runs: r.runs, plan: r.plan.map((p) => ({ name: p.name, choice: p.choice, bytes: p.bytes })) };
    return { candidate: r.ok ? { kind: 'path', path: output, name: TUNED } : null, tune };
  } catch (e) {
    return { candidate: null, tune: { ok: false, reason: String(e?.message ?? e).split('\n')[0], seconds: (performance.now() - t0) / 1000 } };
  }
}

function args() {
  const a = process.argv.slice(2);
  const opt = (k) => (a.includes(k) ? a[a.indexOf(k) + 1] : undefined);
  return { only: opt('--only')?.split(','), backend: opt('--backend') ?? 'wasm' };
}

function machine() {
  const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown';
  let nproc = String(os.availableParallelism?.() ?? os.cpus().length);
  try {
    nproc = execSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    // nproc is coreutils; availableParallelism is the same figure where it is missing.
  }
  return { nproc: Number(nproc), cpu, node: process.version, platform: `${os.platform()} ${os.arch()}`, date: new Date().toISOString() };
}

/** The figures kept per model row: sizes always, metrics per output when the model ran. */
function row(m) {
  return {
    name: m.name,
    container: m.container,
    bytes: { raw: m.sizes.raw, gzip: m.sizes.gzip, brotli: m.sizes.brotli },
    sizeReduction: m.delta.sizeReduction,
    metrics: m.metrics && {
      cosineMin: m.metrics.cosineMin,
      cosineMean: m.metrics.cosineMean,
      sqnrDb: m.metrics.sqnrDb,
      agreement: m.metrics.agreement,
      worst: m.metrics.worst,
      outputs: m.metrics.outputs.map((o) => ({ name: o.name, shape: o.shape, cosineMin: o.cosineMin, cosineMean: o.cosineMean, sqnrDb: o.sqnrDb, agreement: o.agreement, maxAbsError: o.maxAbsError })),
    },
  };
}

async function measure(entry, backend, dir) {
  const t0 = performance.now();
  const base = { id: entry.id, package: `${entry.package}@${entry.version}`, format: entry.format, samples: entry.samples?.validation ?? 0, data: entry.data?.validation ?? null };
  let timings = null;
  const t = entry.format !== 'weights-only' && entry.data ? await tuned(entry, backend, dir) : { candidate: null, tune: null };
  if (t.tune) base.tune = t.tune;
  const t1 = performance.now();
  try {
    const report = await buildReport({
      onTimings: (t) => (timings = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v)]))),
      original: path.join(ZOO, entry.path),
      candidates: t.candidate ? [...RECIPES, t.candidate] : RECIPES,
      data: entry.data ? path.join(ZOO, entry.data.validation) : undefined,
      networks: [NETWORKS['4g']],
      encoding: 'br',
      budgets: [],
      backend,
    });
    return { ...base, seconds: (performance.now() - t1) / 1000, timings, backend: report.backend, inputs: report.inputs, served: report.encoding, models: report.models.map(row), error: null };
  } catch (e) {
    const exit = isMcError(e) ? e.exitCode : 3;
    const message = String(e?.message ?? e).split('\n')[0];
    return { ...base, seconds: (performance.now() - t1) / 1000, models: [], error: { exit, code: isMcError(e) ? e.code : 'INTERNAL', message } };
  }
}

const f = (x, d) => (x === null || x === undefined ? '–' : x.toFixed(d));
/** SQNR: null means the outputs were identical to the original's. */
const db = (x) => (x === null ? '∞' : x.toFixed(1));
const cos = (x) => (x === null || x === undefined ? '–' : x >= 0.999995 ? '1.00000' : x.toFixed(5));
const kb = (b) => `${(b / 1024).toFixed(1)}`;
/** Bytes as served with brotli: a container goes out as is. */
const served = (m) => (m.container ? m.bytes.raw : m.bytes.brotli);

/** The worst rows, and what the figures cannot show, found in the results themselves. */
function notes(runnable) {
  const ok = runnable.filter((r) => !r.error);
  const rows = ok.flatMap((r) => r.models.slice(1).flatMap((m) => m.metrics.outputs.map((o) => ({ id: r.id, recipe: m.name, ...o }))));
  const out = ['## Worst rows', '', 'The ten outputs with the lowest worst-case cosine:', ''];
  out.push('| model | recipe | output | cosine min | cosine mean | SQNR dB |', '| --- | --- | --- | ---: | ---: | ---: |');
  for (const o of [...rows].sort((a, b) => a.cosineMin - b.cosineMin).slice(0, 10)) {
    out.push(`| ${o.id} | ${o.recipe} | ${o.name} [${o.shape.join(',')}] | ${cos(o.cosineMin)} | ${cos(o.cosineMean)} | ${db(o.sqnrDb)} |`);
  }
  out.push('', '## Reading the figures', '');
  const scalar = [...new Set(rows.filter((o) => o.shape.reduce((a, d) => a * d, 1) === 1).map((o) => `${o.id} ${o.name}`))];
  if (scalar.length) out.push(`- One value per sample (${scalar.join(', ')}): its cosine is ±1 whatever the error, so read its SQNR.`);
  const same = ok.flatMap((r) => r.models.slice(1).filter((m) => m.metrics.sqnrDb === null).map((m) => `${r.id} ${m.name}`));
  if (same.length) out.push(`- Outputs identical to the original (SQNR ∞): ${same.join(', ')}. The weights were already stored on that recipe's grid (float16- or uint8-stored models), and such tensors keep it.`);
  const bigger = ok.flatMap((r) => r.models.slice(1).filter((m) => served(m) > served(r.models[0]) * 1.005).map((m) => `${r.id} ${m.name} (${kb(served(m))} KiB served against ${kb(served(r.models[0]))})`));
  if (bigger.length) out.push(`- Served larger than the original (by over 0.5 %): ${bigger.join(', ')}: weights stored narrower than the recipe's dtype widen (uint8 under float16), and a .mcz is served as is, without the brotli the original's shards get.`);
  out.push('- Cosine near 1 can hide a lost signal when the output has a large constant part; SQNR compares the error with the whole output energy, the constant part included. Read both.');
  out.push('');
  return out;
}

/** What tune chose and measured per model: its plan's size, calibration and validation figures, time. */
function tunedSection(runnable) {
  const out = ['## Tuned: `tune --min-cosine 0.99`', ''];
  out.push('Searched on each model\'s calibration split (different images from the validation split), judged on its');
  out.push('validation split; the column above is the report\'s own measurement of the written .mcz. "× smaller" is');
  out.push('the original\'s float32 (or stored) weight bytes over the .mcz file.', '');
  out.push('| model | calibration worst cosine | validation worst cosine | × smaller (.mcz vs original raw) | tensors tuned | runs | time s | note |');
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of runnable) {
    const t = r.tune;
    if (!t) continue;
    const m = r.models?.find((x) => x.name === TUNED);
    const orig = r.models?.[0];
    const x = m && orig ? (orig.bytes.raw / m.bytes.raw).toFixed(2) : '–';
    out.push(`| ${r.id} | ${cos(t.calibration?.figures?.cosineMin)} | ${cos(t.validation?.figures?.cosineMin)} | ${x} | ${t.plan?.length ?? '–'} | ${t.runs ? t.runs.sensitivity + t.runs.search + t.runs.validation : '–'} | ${t.seconds.toFixed(0)} | ${t.ok ? '' : (t.reason ?? '').replaceAll('|', '\\|')} |`);
  }
  out.push('');
  return out;
}

function markdown(results, env, wall) {
  const lines = [];
  const runnable = results.filter((r) => r.format !== 'weights-only');
  const weightsOnly = results.filter((r) => r.format === 'weights-only');
  lines.push('# Quality on real models', '');
  lines.push('What each recipe costs on the zoo\'s pretrained tfjs models (`npm run zoo`, docs/zoo.md), measured by');
  lines.push('`report` on each model\'s validation split: per output the worst and mean cosine similarity to the');
  lines.push('original over the samples, the SQNR in dB (10·log10 of signal over error energy, all samples and');
  lines.push('values), top-1 agreement where the output is a class vector, and the bytes: raw, and as served');
  lines.push('with brotli (a .mcz container is served as is, so its raw size). Written by `npm run bench:quality`');
  lines.push('(scripts/bench-quality.mjs); the figures are also in bench/quality.json.', '');
  lines.push(`Machine: ${env.nproc} CPUs (\`nproc\`), ${env.cpu}, Node ${env.node}, ${env.platform}; backend ${results.find((r) => r.backend)?.backend ?? args().backend}.`);
  lines.push(`Run: ${env.date.slice(0, 10)}, ${wall.toFixed(0)} s in all. Command: \`npm run bench:quality\`.`, '');
  lines.push('Validation samples per model (fewer for the large inputs, to keep the run short):', '');
  lines.push(runnable.map((r) => `${r.id} ${r.samples}`).join(', ') + '.', '');
  lines.push('## Headline: the worst output of each model', '');
  lines.push('Worst cosine over samples and outputs / smallest per-output SQNR in dB (∞: outputs identical to the');
  lines.push('original\'s), and top-1 agreement with the original where an output is a class vector.', '');
  const names = [...RECIPES.map((r) => r.name), TUNED];
  lines.push(`| model | ${names.join(' | ')} |`, `| --- | ${names.map(() => '---').join(' | ')} |`);
  for (const r of runnable) {
    if (r.error) {
      lines.push(`| ${r.id} | ${names.map(() => `error (exit ${r.error.exit})`).join(' | ')} |`);
      continue;
    }
    const cells = names.map((n) => {
      const m = r.models.find((x) => x.name === n);
      if (!m?.metrics) return '–';
      const agree = m.metrics.agreement === null ? '' : `, top-1 ${f(m.metrics.agreement, 3)}`;
      return `${cos(m.metrics.cosineMin)} / ${db(m.metrics.sqnrDb)}${agree}`;
    });
    lines.push(`| ${r.id} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  lines.push(...tunedSection(runnable));
  const failed = runnable.filter((r) => r.error);
  if (failed.length) {
    lines.push('## Models the report could not run', '');
    for (const r of failed) lines.push(`- **${r.id}**: exit ${r.error.exit} (${r.error.code}): ${r.error.message.replaceAll('|', '\\|')}`);
    lines.push('');
  }
  lines.push(...notes(runnable), '## Per model and output', '');
  for (const r of runnable) {
    if (r.error) continue;
    lines.push(`### ${r.id}`, '');
    lines.push(`${r.package}, ${r.format}, ${r.samples} validation samples (\`${r.data}\`), ${r.seconds.toFixed(1)} s.`, '');
    lines.push('| recipe | output | cosine min | cosine mean | SQNR dB | agreement | max abs error | raw KiB | served KiB | × smaller served |');
    lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    const orig = r.models[0];
    for (const m of r.models) {
      const outs = m.metrics?.outputs ?? [];
      outs.forEach((o, k) => {
        const sizes = k === 0 ? `${kb(m.bytes.raw)} | ${kb(served(m))} | ${(served(orig) / served(m)).toFixed(2)}` : ' | | ';
        lines.push(`| ${k === 0 ? m.name : ''} | ${o.name} [${o.shape.join(',')}] | ${cos(o.cosineMin)} | ${cos(o.cosineMean)} | ${m === orig ? '–' : db(o.sqnrDb)} | ${o.agreement === null ? '–' : f(o.agreement, 3)} | ${o.maxAbsError.toPrecision(3)} | ${sizes} |`);
      });
    }
    lines.push('');
  }
  if (weightsOnly.length) {
    lines.push('## Weights-only manifests (sizes only)', '');
    lines.push('face-api ships weights without a topology: nothing to run, so only the bytes.', '');
    lines.push(`| manifest | ${['original', ...names].join(' | ')} |`, `| --- | ${['original', ...names].map(() => '---:').join(' | ')} |`);
    for (const r of weightsOnly) {
      if (r.error) {
        lines.push(`| ${r.id} | error (exit ${r.error.exit}): ${r.error.message.replaceAll('|', '\\|')} |`);
        continue;
      }
      const cells = ['original', ...names].map((n) => {
        const m = r.models.find((x) => x.name === n);
        return m ? `${kb(m.bytes.raw)} / ${kb(served(m))}` : '–';
      });
      lines.push(`| ${r.id} | ${cells.join(' | ')} |`);
    }
    lines.push('', 'Cells: raw KiB / served KiB.', '');
  }
  return `${lines.join('\n')}\n`;
}

function writeAtomic(file, text) {
  writeFileSync(`${file}.tmp-${process.pid}`, text);
  renameSync(`${file}.tmp-${process.pid}`, file);
}

async function main() {
  const a = args();
  const zooFile = path.join(ZOO, 'zoo.json');
  if (!existsSync(zooFile)) {
    process.stderr.write('npm run bench:quality: .cache/zoo/zoo.json: not found; run `npm run zoo` first\n');
    process.exit(2);
  }
  const zoo = JSON.parse(readFileSync(zooFile, 'utf8'));
  const entries = zoo.models.filter((m) => !a.only || a.only.includes(m.id));
  const env = machine();
  const t0 = performance.now();
  const results = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'mc-quality-'));
  for (const e of entries) {
    const r = await measure(e, a.backend, tmp);
    results.push(r);
    if (r.tune) process.stderr.write(`${e.id}: tune ${r.tune.ok ? 'met' : 'did not meet'} min cosine 0.99 in ${r.tune.seconds.toFixed(1)} s${r.tune.ok ? '' : `: ${r.tune.reason}`}\n`);
    const head = r.error ? `error: exit ${r.error.exit}: ${r.error.message}` : r.models.slice(1).map((m) => `${m.name} ${m.metrics ? cos(m.metrics.cosineMin) : kb(served(m)) + ' KiB'}`).join(', ');
    process.stderr.write(`${e.id} (${r.seconds.toFixed(1)} s${r.timings ? `: build ${r.timings.buildMs} ms, inference ${r.timings.inferenceMs} ms, sizes ${r.timings.sizesMs} ms` : ''}): ${head}\n`);
  }
  rmSync(tmp, { recursive: true, force: true });
  const wall = (performance.now() - t0) / 1000;
  if (a.only) {
    process.stderr.write(`--only: ${wall.toFixed(1)} s; bench/quality.json and docs/quality.md are written by full runs only\n`);
    return;
  }
  writeAtomic(path.join(ROOT, 'bench', 'quality.json'), `${JSON.stringify({ schemaVersion: 1, machine: env, seconds: wall, recipes: RECIPES.map((r) => ({ name: r.name, recipe: r.recipe })), models: results }, null, 2)}\n`);
  writeAtomic(path.join(ROOT, 'docs', 'quality.md'), markdown(results, env, wall));
  process.stderr.write(`wrote bench/quality.json and docs/quality.md (${wall.toFixed(0)} s)\n`);
}

await main();
