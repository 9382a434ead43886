/** Fixtures for the sensitivity and tune tests, built from fixtures/mnist-mlp. */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const MLP = 'fixtures/mnist-mlp';
export const TEST_CSV = 'fixtures/mnist-mlp/test.csv';

/** The rows of test.csv from `from` to `to`, as a CSV file in `dir`. */
export function csvRows(dir: string, name: string, from: number, to: number): string {
  const rows = readFileSync(TEST_CSV, 'utf8').trim().split('\n').slice(from, to);
  const file = path.join(dir, name);
  writeFileSync(file, `${rows.join('\n')}\n`);
  return file;
}

/**
 * mnist-mlp with one deliberately fragile tensor: hidden unit 7 of dense1 is made dead
 * (its weights 0, its bias -1, so ReLU always gives 0) and row 7 of dense2/kernel, which
 * only ever multiplies that 0, is set to 40. The model computes what it did, less one
 * unit, but any encoding of dense2/kernel whose step follows its largest value (int8 per
 * tensor or per channel, every group codec) now rounds its other weights to a grid 100x
 * too coarse: dense2/kernel is by far the most sensitive tensor.
 */
export function fragileMlp(dir: string): string {
  const json = JSON.parse(readFileSync(path.join(MLP, 'model.json'), 'utf8'));
  const bin = new Uint8Array(readFileSync(path.join(MLP, 'group1-shard1of1.bin')));
  const f = new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4);
  let at = 0;
  const offsets: Record<string, number> = {};
  for (const w of json.weightsManifest[0].weights) {
    offsets[w.name] = at;
    at += w.shape.reduce((a: number, b: number) => a * b, 1);
  }
  const unit = 7;
  for (let i = 0; i < 784; i++) f[offsets['dense1/kernel'] + i * 300 + unit] = 0;
  f[offsets['dense1/bias'] + unit] = -1;
  for (let j = 0; j < 100; j++) f[offsets['dense2/kernel'] + unit * 100 + j] = 40;
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  writeFileSync(path.join(dir, 'group1-shard1of1.bin'), bin);
  return path.join(dir, 'model.json');
}

/** Copy of mnist-mlp in `dir` (for tests that must not touch the fixture). */
export function copyMlp(dir: string): string {
  for (const f of ['model.json', 'group1-shard1of1.bin']) copyFileSync(path.join(MLP, f), path.join(dir, f));
  return path.join(dir, 'model.json');
}
