/**
 * Weights-only manifests for tests, written by hand as face-api.js writes them: a bare
 * JSON list of groups, each with its own shards named `<model>-shard<i>` (no extension),
 * and stock tfjs's own weights loader to read them back.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { RawEntry } from './synthetic.js';

/** The real face-api model bundled as a fixture (fixtures/tiny-face-detector/README.md). */
export const FACE_DIR = 'fixtures/tiny-face-detector';
/** Its manifest's file name. */
export const FACE_MANIFEST = 'tiny_face_detector_model-weights_manifest.json';

const u8 = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Seeded values in [-1, 1), deterministic (no Math.random). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/**
 * Two groups as face-api ships them: a uint8-quantized conv layer (stored codes, scale
 * and min as the converter writes them) and a float32 dense layer with an int32 tensor
 * that no pass may change.
 */
export function mixedGroups(): RawEntry[][] {
  const codes = new Uint8Array(3 * 3 * 4 * 8).map((_, i) => (i * 37 + 11) % 256);
  return [
    [
      { entry: { name: 'conv0/filters', shape: [3, 3, 4, 8], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.0078, min: -0.9984 } }, bytes: codes },
      { entry: { name: 'conv0/bias', shape: [8], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.002, min: -0.25 } }, bytes: new Uint8Array(8).map((_, i) => i * 30) },
    ],
    [
      { entry: { name: 'fc/weights', shape: [32, 16], dtype: 'float32' }, bytes: u8(values(512, 7)) },
      { entry: { name: 'fc/bias', shape: [16], dtype: 'float32' }, bytes: u8(values(16, 9).map((v) => v / 10)) },
      { entry: { name: 'fc/steps', shape: [4], dtype: 'int32' }, bytes: u8(new Int32Array([1, -2, 3, 2 ** 31 - 1])) },
    ],
  ];
}

/** Write `groups` as `<dir>/<model>-weights_manifest.json` plus one shard per group; returns the manifest's path. */
export function writeWeightsOnly(dir: string, groups: RawEntry[][] = mixedGroups(), model = 'mixed_model'): string {
  mkdirSync(dir, { recursive: true });
  const manifest = groups.map((g, i) => {
    const shard = `${model}-shard${i + 1}`;
    const total = g.reduce((n, e) => n + e.bytes.length, 0);
    const all = new Uint8Array(total);
    let at = 0;
    for (const e of g) {
      all.set(e.bytes, at);
      at += e.bytes.length;
    }
    writeFileSync(path.join(dir, shard), all);
    return { weights: g.map((e) => e.entry), paths: [shard] };
  });
  const file = path.join(dir, `${model}-weights_manifest.json`);
  writeFileSync(file, JSON.stringify(manifest, null, 2));
  return file;
}

/**
 * Every tensor of a weights-only manifest as stock tfjs loads it: tf.io's weights loader
 * (what face-api's loadWeights calls), fetching the shards from disk.
 */
export async function stockWeights(manifestFile: string): Promise<Record<string, { shape: number[]; dtype: string; values: Float32Array | Int32Array | Uint8Array }>> {
  await tf.setBackend('cpu');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as tf.io.WeightsManifestConfig;
  const load = tf.io.weightsLoaderFactory(async (paths) => paths.map((p) => {
    const b = readFileSync(p);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }));
  const map = await load(manifest, `${path.dirname(manifestFile)}/`);
  const out: Awaited<ReturnType<typeof stockWeights>> = {};
  for (const [name, t] of Object.entries(map)) {
    out[name] = { shape: t.shape, dtype: t.dtype, values: t.dataSync() as Float32Array | Int32Array | Uint8Array };
    t.dispose();
  }
  return out;
}
