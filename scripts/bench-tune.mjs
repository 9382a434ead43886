#!/usr/bin/env node
// `sensitivity` and `tune` on a real-sized conv net, as `npm run bench` measures them:
//
//   node scripts/bench-tune.mjs [--samples 64]
//
// The model and inputs of scripts/bench-report.mjs (a seeded MobileNet-v1, about 14 MB of
// float32 weights, scripts/bench-mobilenet.mjs): calibration = faces 0-63 of lfw_subset.npy,
// validation = faces 100-131 (others). Each step runs in its own process so that its peak
// RSS (worker threads included) is its own. Prints the figures and writes bench/tune.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MODEL, buildInputs, buildModel } from './bench-mobilenet.mjs';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : dflt);

/** One step in this process: its figures as one JSON line. */
async function step(name, data, validation, out) {
  const lib = await import(pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href);
  const t0 = performance.now();
  let figures;
  if (name === 'sensitivity') {
    const r = await lib.sensitivityOf({ model: MODEL, data });
    figures = { tensors: r.tensors.length, runs: r.runs, mostSensitive: r.tensors.slice(0, 3).map((t) => ({ name: t.name, probeCosine: t.probe.cosineMin })) };
  } else {
    const r = await lib.tuneModel({ model: MODEL, data, validation, budgets: [{ kind: 'minCosine', limit: 0.99 }], output: out });
    figures = { ok: r.ok, reason: r.reason, runs: r.runs, ms: r.ms, calibration: r.calibration.figures, validation: r.validation.figures, estimate: r.estimate, written: r.written ? r.written.files.reduce((a, f) => a + f.bytes, 0) : null };
  }
  console.log(JSON.stringify({ step: name, seconds: (performance.now() - t0) / 1000, maxRssBytes: process.resourceUsage().maxRSS * 1024, ...figures }));
}

if (arg('step')) {
  await step(arg('step'), arg('data'), arg('validation'), arg('out'));
} else {
  const samples = Number(arg('samples', 64));
  await buildModel();
  const data = buildInputs(samples);
  const validation = buildInputs(32, 100);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'maas-bench-tune-'));
  const rows = [];
  for (const name of ['sensitivity', 'tune']) {
    spawnSync('sync');
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--step', name, '--data', data, '--validation', validation, '--out', path.join(dir, 'tuned.mcz')], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr.trim().split('\n').pop()}`);
    rows.push({ load: os.loadavg()[0], ...JSON.parse(r.stdout.trim().split('\n').pop()) });
  }
  rmSync(dir, { recursive: true, force: true });
  const bytes = JSON.parse(readFileSync(path.join(MODEL, 'model.json'), 'utf8')).weightsManifest[0].weights.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
  const result = { schemaVersion: 1, date: new Date().toISOString(), machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version }, model: { name: 'seeded MobileNet-v1 224 (scripts/bench-mobilenet.mjs)', bytes }, data: { calibration: samples, validation: 32 }, steps: rows };
  mkdirSync(path.join(ROOT, 'bench'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench', 'tune.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`sensitivity and tune --min-cosine 0.99, ${samples} real face inputs, on a ${(bytes / 1e6).toFixed(1)} MB float32 MobileNet-v1 (${os.cpus().length} cores)`);
  for (const r of rows) {
    const extra = r.step === 'tune' ? `; ${r.ok ? 'met' : `not met (${r.reason})`}, ${bytes} -> ${r.written ?? '-'} bytes, validation worst cosine ${r.validation?.cosineMin?.toFixed(5) ?? '-'}` : `; ${r.tensors} tensors, ${r.runs} runs`;
    console.log(`  ${r.step}: wall ${r.seconds.toFixed(1)} s, peak RSS ${(r.maxRssBytes / 2 ** 20).toFixed(0)} MiB (load ${r.load.toFixed(1)})${extra}`);
  }
}
