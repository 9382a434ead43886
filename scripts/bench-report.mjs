#!/usr/bin/env node
// `report` on a real-sized conv net, as `npm run bench` measures it:
//
//   node scripts/bench-report.mjs [--samples 64] [--runs 1]
//
// The model: a seeded MobileNet-v1 (alpha 1.0, 224x224x3 input, 13 depthwise-separable
// blocks with batch norm and ReLU6, global pooling, a 512-wide embedding), about 14 MB of
// float32 weights in one shard, like the face models converted tfjs graph models ship.
// The inputs: real face crops (lfw_subset.npy of ../shared/data/images, faces 0-63)
// scaled to 224x224x3 in [0, 1]. Both are built once into .cache/bench/.
//
// Each run is `report <model> --data <faces.npy>` with the default recipes, in its own
// process (scripts/bench-step.mjs report), so that its peak RSS is its own: the first with
// an empty size cache (src/size-cache.ts), the others with the sizes it left. Prints the
// time split and writes bench/report.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { MODEL, buildInputs, buildModel } from './bench-mobilenet.mjs';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const samples = arg('samples', 64);
const runs = arg('runs', 2);
// A fresh size cache: the first run computes every size (cold), the next ones find the
// original's and the deterministic candidates' sizes there (warm, as a repeated CI job).
const sizeCache = mkdtempSync(path.join(os.tmpdir(), 'maas-bench-cache-'));
if (!existsSync(path.join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run npm run build first');
await buildModel();
const data = buildInputs(samples);
const rows = [];
for (let i = 0; i < runs; i++) {
  spawnSync('sync');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'bench-step.mjs'), 'report', MODEL, data], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, MAAS_COMPRESS_CACHE: sizeCache } });
  if (r.status !== 0) throw new Error(`report failed: ${r.stderr.trim().split('\n').pop()}`);
  rows.push({ sizeCache: i === 0 ? 'cold' : 'warm', load: os.loadavg()[0], ...JSON.parse(r.stdout.trim().split('\n').pop()) });
}
rmSync(sizeCache, { recursive: true, force: true });
const weights = JSON.parse(readFileSync(path.join(MODEL, 'model.json'), 'utf8')).weightsManifest[0].weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
const result = {
  schemaVersion: 1,
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, load: os.loadavg()[0] },
  model: { name: 'seeded MobileNet-v1 224 (scripts/bench-report.mjs)', weights, bytes: weights * 4 },
  data: { file: path.relative(ROOT, data), samples },
  runs: rows,
};
mkdirSync(path.join(ROOT, 'bench'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench', 'report.json'), `${JSON.stringify(result, null, 2)}\n`);
const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
console.log(`report, default recipes, ${samples} real face inputs, on a ${(weights * 4 / 1e6).toFixed(1)} MB float32 MobileNet-v1 (${os.cpus().length} cores)`);
for (const r of rows) {
  console.log(`  ${r.sizeCache} size cache: wall ${r.seconds.toFixed(1)} s, peak RSS ${(r.maxRssBytes / 2 ** 20).toFixed(0)} MiB; building candidates ${s(r.timings.buildMs)}, inference ${s(r.timings.inferenceMs)}, sizes done at ${s(r.timings.sizesMs)}`);
}
