#!/usr/bin/env node
// Seeded synthetic float32 models for `npm run bench` (never committed).
//
//   node scripts/bench-model.mjs <out-dir> <total-MiB> [--seed n] [--shard-size bytes|big]
//
// A layers model of Dense layers: kernels [in, out] of 16-64 MiB each (Gaussian values,
// standard deviation sqrt(2 / in), as He initialisation gives a trained-looking spread)
// and their float32 biases. `--shard-size big` lays the bytes out as the stress case of
// docs/performance.md: a first shard over 2 GiB (when the model is that large) that ends
// in the middle of a kernel, so that kernel straddles the two shards; otherwise shards of
// the given size (default 4 MiB, as the converter writes).
import { mkdirSync, openSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MiB = 1024 * 1024;

/** mulberry32: a small, well-known 32-bit PRNG, the same everywhere. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fill `out` with Gaussian values of standard deviation `std` (Box-Muller, two per draw). */
function gaussian(out, std, rand) {
  for (let i = 0; i < out.length; i += 2) {
    const u = rand() || 2 ** -32;
    const v = rand();
    const m = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = m * Math.cos(2 * Math.PI * v);
    if (i + 1 < out.length) out[i + 1] = m * Math.sin(2 * Math.PI * v);
  }
}

/** The layer plan: Dense kernels of 16-64 MiB (chosen by the seed) until `totalBytes`. */
export function planLayers(totalBytes, seed) {
  const rand = mulberry32(seed ^ 0x5eed);
  const layers = [];
  let left = totalBytes;
  for (let i = 0; left > 0; i++) {
    const out = [256, 512, 1024, 2048][Math.floor(rand() * 4)];
    // 16..64 MiB of float32, rounded to whole rows, never beyond what is left.
    const want = Math.min(left, (16 + Math.floor(rand() * 49)) * MiB);
    const inDim = Math.max(1, Math.floor((want - 4 * out) / (4 * out)));
    layers.push({ name: `dense_${i + 1}`, in: inDim, out });
    left -= 4 * out * (inDim + 1);
  }
  return layers;
}

/** Write the model; returns { dir, bytes, tensors, shards, largestTensor }. */
export function makeModel(dir, totalBytes, { seed = 1, shardSize = 4 * MiB } = {}) {
  mkdirSync(dir, { recursive: true });
  const layers = planLayers(totalBytes, seed);
  const weights = [];
  for (const l of layers) {
    weights.push({ name: `${l.name}/kernel`, shape: [l.in, l.out], dtype: 'float32' });
    weights.push({ name: `${l.name}/bias`, shape: [l.out], dtype: 'float32' });
  }
  const sizes = weights.map((w) => 4 * w.shape.reduce((a, b) => a * b, 1));
  const total = sizes.reduce((a, b) => a + b, 0);
  // Shard boundaries.
  const bounds = [];
  if (shardSize === 'big') {
    // First shard: past 2 GiB when the model is that large (else 3/4 of it), ending inside a kernel.
    const cut = total > 2 ** 31 + 64 * MiB ? 2 ** 31 + 4 * MiB + 12345 * 4 : Math.floor((total * 3) / 4 / 4) * 4;
    bounds.push(cut, total);
  } else {
    for (let at = shardSize; at < total; at += shardSize) bounds.push(at);
    bounds.push(total);
  }
  const paths = bounds.map((_, i) => `group1-shard${i + 1}of${bounds.length}.bin`);
  let shard = 0;
  let fd = openSync(path.join(dir, paths[0]), 'w');
  let shardStart = 0;
  let at = 0;
  const straddles = [];
  const writeBytes = (bytes, name) => {
    let done = 0;
    if (bounds.some((b) => b > at && b < at + bytes.length)) straddles.push(name);
    while (done < bytes.length) {
      const room = bounds[shard] - at;
      const n = Math.min(room, bytes.length - done);
      let w = 0;
      while (w < n) w += writeSync(fd, bytes, done + w, n - w, at - shardStart + w);
      done += n;
      at += n;
      if (at === bounds[shard] && shard + 1 < bounds.length) {
        closeSync(fd);
        shard++;
        shardStart = at;
        fd = openSync(path.join(dir, paths[shard]), 'w');
      }
    }
  };
  const rand = mulberry32(seed);
  weights.forEach((w, i) => {
    const v = new Float32Array(sizes[i] / 4);
    if (w.shape.length === 2) gaussian(v, Math.sqrt(2 / w.shape[0]), rand);
    else gaussian(v, 0.01, rand);
    writeBytes(new Uint8Array(v.buffer), w.name);
  });
  closeSync(fd);
  const modelTopology = {
    class_name: 'Sequential',
    config: {
      name: 'bench',
      layers: layers.map((l, i) => ({
        class_name: 'Dense',
        config: { name: l.name, units: l.out, activation: 'relu', use_bias: true, ...(i === 0 ? { batch_input_shape: [null, l.in] } : {}) },
      })),
    },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
  const json = { format: 'layers-model', generatedBy: 'maas-compress bench', convertedBy: null, modelTopology, weightsManifest: [{ paths, weights }] };
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  return { dir, bytes: total, tensors: weights.length, shards: paths.length, largestTensor: Math.max(...sizes), straddles, firstShard: bounds[0] };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [out, mib, ...rest] = process.argv.slice(2);
  if (!out || !mib) {
    console.error('usage: node scripts/bench-model.mjs <out-dir> <total-MiB> [--seed n] [--shard-size bytes|big]');
    process.exit(2);
  }
  const opt = (k, d) => {
    const i = rest.indexOf(k);
    return i >= 0 ? rest[i + 1] : d;
  };
  const shard = opt('--shard-size', String(4 * MiB));
  const r = makeModel(out, Number(mib) * MiB, { seed: Number(opt('--seed', '1')), shardSize: shard === 'big' ? 'big' : Number(shard) });
  console.log(JSON.stringify(r));
}
