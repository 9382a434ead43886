#!/usr/bin/env node
// Decode speed of the sub-8-bit codecs, as `npm run bench` measures it: a seeded model of
// Dense-like kernels (64 MiB of float32 weights) encoded in memory with each codec, then
// parsed and decoded the way the loader does (mczArtifacts(parseMcz(bytes)): checksums,
// entropy decoding, codes to float32, one weight buffer). MB/s of float32 output, median
// of several runs in this process (warm). Writes bench/decode.json.
//
//   node scripts/bench-decode.mjs [--mib 64] [--runs 7]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => (process.argv.includes(`--${name}`) ? Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) : dflt);
const lib = await import(pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href);
const { encodeMcz, parseMcz } = await import(pathToFileURL(path.join(ROOT, 'dist', 'mcz', 'index.js')).href);
const { mczArtifacts } = await import(pathToFileURL(path.join(ROOT, 'dist', 'loader.js')).href);
const { encodeIntN } = await import(pathToFileURL(path.join(ROOT, 'dist', 'passes', 'intn.js')).href);
const { encodeCluster } = await import(pathToFileURL(path.join(ROOT, 'dist', 'passes', 'cluster.js')).href);
const { quantizeInt8 } = await import(pathToFileURL(path.join(ROOT, 'dist', 'passes', 'quantize.js')).href);
const { applyPlan, planLayer } = await import(pathToFileURL(path.join(ROOT, 'dist', 'passes', 'prune.js')).href);

const MIB = arg('mib', 64);
const RUNS = arg('runs', 7);
const ROWS = 2048;
const COLS = 1024;
const TENSORS = Math.max(1, Math.round((MIB * 2 ** 20) / (4 * ROWS * COLS)));

/** Seeded bell-shaped weights with a scale per output channel (the last axis). */
function kernel(seed) {
  const v = new Float32Array(ROWS * COLS);
  let s = seed >>> 0;
  for (let i = 0; i < v.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const u = s / 2 ** 32 - 0.5;
    v[i] = u * u * u * (1 + (i % COLS) / COLS);
  }
  return v;
}

const CODECS = [
  ['int8 per channel (reference)', (t) => quantizeInt8(t, { axis: 1 })],
  ['int8 g64', (t) => encodeIntN(t, 1, { bits: 8, groupSize: 64, symmetric: false, allowNonfinite: false })],
  ['int4 g64', (t) => encodeIntN(t, 1, { bits: 4, groupSize: 64, symmetric: false, allowNonfinite: false })],
  ['int4 g64, 50 % pruned (sparse)', (t) => encodeIntN({ ...t, values: applyPlan(t.values, planLayer(t.values, 0.5)) }, 1, { bits: 4, groupSize: 64, symmetric: false, allowNonfinite: false })],
  ['int3 g128 symmetric', (t) => encodeIntN(t, 1, { bits: 3, groupSize: 128, symmetric: true, allowNonfinite: false })],
  ['int2 g64', (t) => encodeIntN(t, 1, { bits: 2, groupSize: 64, symmetric: false, allowNonfinite: false })],
  ['cluster16', (t) => encodeCluster(t, { k: 16, perChannel: false, axis: null, seed: 1 })],
  ['cluster16 per channel', (t) => encodeCluster(t, { k: 16, perChannel: true, axis: 1, seed: 1 })],
];

const json = { format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { layers: [] } }, weightsManifest: [] };
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const results = [];
const values = Array.from({ length: TENSORS }, (_, k) => kernel(k + 1));
for (const [name, encode] of CODECS) {
  const tensors = values.map((v, k) => ({ entry: { name: `dense${k}/kernel`, shape: [ROWS, COLS], dtype: 'float32' }, encoded: encode({ name: `dense${k}/kernel`, shape: [ROWS, COLS], values: v }) }));
  const { bytes } = await encodeMcz(json, tensors);
  const times = [];
  let out = 0;
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    out = mczArtifacts(parseMcz(bytes, 'bench.mcz')).weightData.byteLength;
    times.push((performance.now() - t) / 1000);
  }
  const s = median(times);
  results.push({ codec: name, fileBytes: bytes.length, decodedBytes: out, seconds: s, mbPerSec: out / 1e6 / s });
  console.error(`${name}: ${(bytes.length / 1e6).toFixed(1)} MB file, ${(out / 1e6 / s).toFixed(0)} MB/s of float32 (median of ${RUNS})`);
}
console.log(`| codec (${TENSORS} x [${ROWS}, ${COLS}], ${((TENSORS * ROWS * COLS * 4) / 1e6).toFixed(0)} MB float32) | .mcz MB | decode MB/s of float32 |`);
console.log('| --- | ---: | ---: |');
for (const r of results) console.log(`| ${r.codec} | ${(r.fileBytes / 1e6).toFixed(1)} | ${r.mbPerSec.toFixed(0)} |`);
mkdirSync(path.join(ROOT, 'bench'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench', 'decode.json'), `${JSON.stringify({ node: process.version, runs: RUNS, tensors: TENSORS, shape: [ROWS, COLS], results, version: lib.VERSION ?? null }, null, 2)}\n`);
