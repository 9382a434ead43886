#!/usr/bin/env node
// One step of `npm run bench`, run in its own process so that its peak RSS is its own:
//
//   node scripts/bench-step.mjs <step> <input> <output>
//
// Prints one JSON line: { step, seconds, maxRssBytes, outputBytes, ... }. Steps call the
// library (dist/), as the CLI does, without the CLI's summary printing.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const lib = await import(pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href);

/** Worker threads (default: the library's choice); BENCH_WORKERS=0 runs single-threaded. */
const par = process.env.BENCH_WORKERS === undefined ? {} : { workers: Number(process.env.BENCH_WORKERS) };
const quantize = (dtype) => ({ dtype, perChannel: false, include: [], exclude: [], minElements: 1024, allowNonfinite: false });
const prune = (scope) => ({ sparsity: 0.5, scope, pattern: 'unstructured', include: [], exclude: [], minElements: 1024, allowEmpty: false });

/** Bytes under a path (a file, or a folder's files). */
function sizeOf(p) {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((n, f) => n + sizeOf(path.join(p, f)), 0);
}

const steps = {
  'quantize-float16': (i, o) => lib.compressModel(i, o, { quantize: quantize('float16') }, { command: 'quantize', ...par }),
  'quantize-int8': (i, o) => lib.compressModel(i, o, { quantize: quantize('int8') }, { command: 'quantize', ...par }),
  'prune-layer': (i, o) => lib.compressModel(i, o, { prune: prune('layer') }, { command: 'prune', ...par }),
  'prune-global': (i, o) => lib.compressModel(i, o, { prune: prune('global') }, { command: 'prune', ...par }),
  pack: (i, o) => lib.compressModel(i, o, {}, { command: 'pack', ...par }),
  'compress-int8pc': (i, o) => lib.compressModel(i, o, { prune: prune('layer'), quantize: { ...quantize('int8'), perChannel: true } }, { command: 'compress', ...par }),
  unpack: (i, o) => lib.unpackMcz(i, o),
  /** The loader in Node: the whole file in memory, parsed, every tensor decoded into one weight buffer. */
  'loader-decode': async (i) => {
    const buf = await readFile(i);
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    const t = performance.now();
    const a = lib.mczArtifacts(lib.parseMcz(bytes, i));
    return { decodedBytes: a.weightData.byteLength, decodeSeconds: (performance.now() - t) / 1000 };
  },
  /** Every tensor of a .mcz decoded from the file, one at a time (files of any size). */
  'decode-file': async (i) => {
    const m = await lib.openMcz(i);
    let n = 0;
    try {
      for (let k = 0; k < m.tensors.length; k++) n += (await m.decodedEntry(k)).bytes.length;
    } finally {
      await m.close();
    }
    return { decodedBytes: n };
  },
  /** report's size part: raw, gzip -9 and brotli -q 11 of every served file. */
  'report-size': async (i) => ({ sizes: (await lib.modelSizes(i)).total }),
  /** `report` with the default recipes on real data (input: the model; output: the data file), as the CLI runs it. */
  report: async (i, data) => {
    let timings;
    const r = await lib.buildReport({ original: i, candidates: lib.defaultRecipes(), data, networks: ['3g', '4g', 'broadband'].map(lib.parseNetwork), encoding: 'br', budgets: [], backend: 'wasm', onTimings: (t) => (timings = t) });
    return { timings, models: r.models.map((m) => ({ name: m.name, raw: m.sizes.raw, brotli: m.sizes.brotli, cosineMin: m.metrics?.cosineMin ?? null })) };
  },
  /** A baseline: brotli at quality 11 through node:zlib (what report's sizes use), on one file. */
  'brotli-11': async (i) => {
    const { brotliCompressSync, constants } = await import('node:zlib');
    const bytes = await readFile(i);
    const out = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } });
    return { compressedBytes: out.length };
  },
  /** Read every tensor's stored bytes (the I/O floor of every step). */
  read: async (i) => {
    const m = await lib.loadModel(i);
    let n = 0;
    try {
      for (const t of m.tensors) n += (await m.readBytes(t)).length;
    } finally {
      await m.close();
    }
    return { readBytes: n };
  },
};

const [step, input, output] = process.argv.slice(2);
if (!steps[step]) {
  console.error(`unknown step ${step}; one of ${Object.keys(steps).join(', ')}`);
  process.exit(2);
}
const t0 = performance.now();
const extra = (await steps[step](input, output)) ?? {};
const seconds = (performance.now() - t0) / 1000;
const result = { step, seconds, maxRssBytes: process.resourceUsage().maxRSS * 1024, outputBytes: output && existsSync(output) && step !== 'report' ? sizeOf(output) : null };
for (const k of ['decodedBytes', 'decodeSeconds', 'sizes', 'readBytes', 'compressedBytes', 'timings', 'models']) if (k in extra) result[k] = extra[k];
if (extra.container) result.container = extra.container;
console.log(JSON.stringify(result));
