#!/usr/bin/env node
// The data-aware solvers' time and memory, as `npm run bench` measures them: `compress`
// with --calibration on the seeded MobileNet-v1 of scripts/bench-mobilenet.mjs (about
// 14 MB of float32 weights, 224x224x3 input) with 128 real face crops as calibration
// inputs, two recipes, each in its own process so that its peak RSS is its own:
//   int4 (groups of 64) with GPTQ;  50 % OBS pruning + int8 per channel with GPTQ.
// Prints the figures and writes bench/solve.json.
//
//   node scripts/bench-solve.mjs [--samples 128]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { MODEL, buildInputs, buildModel } from './bench-mobilenet.mjs';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const RECIPES = ['int4-gptq', 'obs50-int8pc'];

/** The child: one compress run, one JSON line. */
async function child(recipeName, data, out) {
  const lib = await import(pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href);
  const calibration = { file: data, quantizeMethod: 'gptq', pruneMethod: 'obs', actOrder: false, biasCorrection: true };
  const recipe =
    recipeName === 'int4-gptq'
      ? { quantize: lib.quantizeStep({ dtype: 'int4' }), calibration }
      : { prune: lib.pruneStep({ sparsity: 0.5 }), quantize: lib.quantizeStep({ dtype: 'int8', perChannel: true }), calibration };
  const t0 = performance.now();
  const r = await lib.compressModel(MODEL, out, recipe, { command: 'compress' });
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ recipe: recipeName, seconds, solverSeconds: r.solver.seconds, layers: r.solver.layers.length, maxRssBytes: process.resourceUsage().maxRSS * 1024, bytes: r.files[0].bytes }));
}

const at = (flag, d) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : d);
if (process.argv.includes('--child')) {
  await child(at('--child'), at('--data'), at('--out'));
} else {
  if (!existsSync(path.join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run npm run build first');
  const samples = Number(at('--samples', 128));
  await buildModel();
  const data = buildInputs(samples);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'maas-bench-solve-'));
  const runs = [];
  try {
    for (const name of RECIPES) {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', name, '--data', data, '--out', path.join(dir, `${name}.mcz`)], { encoding: 'utf8', maxBuffer: 64 << 20 });
      if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr.trim().split('\n').pop()}`);
      runs.push({ load: os.loadavg()[0], ...JSON.parse(r.stdout.trim().split('\n').pop()) });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const result = {
    schemaVersion: 1,
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
    model: 'seeded MobileNet-v1 224 (scripts/bench-mobilenet.mjs)',
    data: { file: path.relative(ROOT, data), samples },
    runs,
  };
  mkdirSync(path.join(ROOT, 'bench'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench', 'solve.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`compress --calibration, ${samples} face inputs, seeded MobileNet-v1 (${os.cpus().length} cores)`);
  for (const r of runs) console.log(`  ${r.recipe}: ${r.seconds.toFixed(1)} s (solvers ${r.solverSeconds.toFixed(1)} s, ${r.layers} layers), peak RSS ${(r.maxRssBytes / 2 ** 20).toFixed(0)} MiB, load ${r.load.toFixed(1)}`);
}
