/**
 * The post-training MNIST target of the data-aware solvers, end to end through the CLI:
 * calibrated on 4,000 digits the model was trained on (none of them in its test split),
 * checked on the 2,000 held-out digits of fixtures/mnist-mlp/test.csv.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calibrationCsv } from '../../scripts/mnist-calibration.mjs';
import { mczArtifacts, parseMcz } from '../../src/loader.js';
import { readCsv } from '../../src/eval/data.js';
import { predictAll, runnableFromArtifacts } from '../../src/eval/predict.js';
import { cli } from '../helpers/cli.js';
import { evaluate } from '../helpers/eval.js';

const MODEL = 'fixtures/mnist-mlp';
const TEST = 'fixtures/mnist-mlp/test.csv';
/** The recipe docs/pruning.md gives, as one compress command. */
const RECIPE = ['--prune', '0.88', '--scope', 'global', '--quantize', 'int3', '--per-channel', '--min-elements', '1000'];

let dir: string;
let original: number;
let originalBytes: number;

/** Accuracy of a .mcz on the test split, loaded as the browser loader loads it. */
async function mczAccuracy(file: string): Promise<number> {
  const r = await runnableFromArtifacts(mczArtifacts(parseMcz(new Uint8Array(await readFile(file)), file)), 'layers-model');
  const data = await readCsv(TEST);
  const [head] = await predictAll(r, data);
  r.dispose();
  let ok = 0;
  for (let s = 0; s < data.samples; s++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (head.values[s * 10 + k] > head.values[s * 10 + best]) best = k;
    ok += +(best === (data.labels as Int32Array)[s]);
  }
  return ok / data.samples;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mc-mnist-target-'));
  await writeFile(path.join(dir, 'calibration.csv'), calibrationCsv(4000));
  original = (await evaluate(MODEL, TEST)).accuracy;
  originalBytes = (await stat(path.join(MODEL, 'model.json'))).size + (await stat(path.join(MODEL, 'group1-shard1of1.bin'))).size;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('fixtures/mnist-mlp, post-training with calibration data only', () => {
  it('is over 40x smaller than the float32 original at no more than 1.0 point accuracy drop on the test split', async () => {
    const out = path.join(dir, 'mnist.mcz');
    const r = await cli(['compress', MODEL, ...RECIPE, '--calibration', path.join(dir, 'calibration.csv'), '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/solved 3 layer\(s\) on 4000 calibration samples/);
    const ratio = originalBytes / (await stat(out)).size;
    const accuracy = await mczAccuracy(out);
    // Measured: 42.4x, 96.65 % -> 96.20 % (0.45 points; 0.55 in earlier runs).
    expect(ratio).toBeGreaterThanOrEqual(40);
    expect((original - accuracy) * 100).toBeLessThanOrEqual(1.0);
  }, 120_000);

  it('the same recipe without calibration (magnitude pruning, round to nearest) loses far more', async () => {
    const out = path.join(dir, 'mnist-rtn.mcz');
    const r = await cli(['compress', MODEL, ...RECIPE, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/solved/);
    expect((original - (await mczAccuracy(out))) * 100).toBeGreaterThan(5);
  }, 60_000);
});
