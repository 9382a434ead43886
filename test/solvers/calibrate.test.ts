/**
 * --calibration end to end: the CLI's errors, graph models, stock folder outputs, conv
 * and depthwise layers on real inputs, and the recipe form.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calibrationCsv } from '../../scripts/mnist-calibration.mjs';
import { compressModel } from '../../src/compress.js';
import { readCsv, readData } from '../../src/eval/data.js';
import { type Runnable, loadRunnable, predictAll, runnableFromArtifacts } from '../../src/eval/predict.js';
import { mczArtifacts, parseMcz } from '../../src/loader.js';
import { loadModel } from '../../src/model/load.js';
import { pruneStep, quantizeStep, recipeFrom } from '../../src/recipe.js';
import { cli } from '../helpers/cli.js';
import { evaluate } from '../helpers/eval.js';

let dir: string;
let cal: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mc-calibrate-'));
  cal = path.join(dir, 'calibration.csv');
  await writeFile(cal, calibrationCsv(1000));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function mczRunnable(file: string, format: 'layers-model' | 'graph-model'): Promise<Runnable> {
  return runnableFromArtifacts(mczArtifacts(parseMcz(new Uint8Array(await readFile(file)), file)), format);
}

/** Worst-case (over samples) cosine of each model's first output against the reference's. */
function worstCosine(ref: Float32Array, got: Float32Array, samples: number): number {
  const per = ref.length / samples;
  let worst = 1;
  for (let s = 0; s < samples; s++) {
    let dot = 0;
    let a = 0;
    let b = 0;
    for (let i = s * per; i < (s + 1) * per; i++) {
      dot += ref[i] * got[i];
      a += ref[i] * ref[i];
      b += got[i] * got[i];
    }
    worst = Math.min(worst, dot / Math.sqrt(a * b));
  }
  return worst;
}

describe('CLI errors', () => {
  it('a data-aware method without calibration data is a usage error', async () => {
    const r = await cli(['quantize', 'fixtures/mnist-mlp', '--dtype', 'int8', '--quantize-method', 'gptq', '-o', path.join(dir, 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--quantize-method gptq needs calibration data: pass --calibration <file>/);
  });

  it('calibration data that does not fit the model is one line naming the file and both shapes, and nothing is written', async () => {
    const out = path.join(dir, 'bad.mcz');
    const r = await cli(['compress', 'fixtures/mnist-mlp', '--quantize', 'int4', '--calibration', 'fixtures/digits-cnn/test.csv', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--calibration fixtures\/digits-cnn\/test\.csv: samples of shape \[64\].*takes \[-1, 784\]/);
    await expect(readFile(out)).rejects.toThrow();
  });

  it('an unknown method is a usage error', async () => {
    const r = await cli(['prune', 'fixtures/mnist-mlp', '--sparsity', '0.5', '--calibration', cal, '--prune-method', 'sparsegpt', '-o', path.join(dir, 'y')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--prune-method: expected magnitude or obs, found "sparsegpt"/);
  });
});

describe('models and outputs', () => {
  it('a graph model is solved through its MatMul nodes, its BiasAdd biases corrected, as well as the same layers model', async () => {
    const flags = ['--prune', '0.88', '--scope', 'global', '--quantize', 'int3', '--per-channel', '--min-elements', '1000', '--calibration', cal];
    const g = await cli(['compress', 'fixtures/mnist-graph', ...flags, '-o', path.join(dir, 'g.mcz'), '--json']);
    expect(g.code, g.stderr).toBe(0);
    const doc = JSON.parse(g.stdout);
    expect(doc.solver.layers.map((l: { kernel: string }) => l.kernel)).toEqual(['dense1/kernel', 'dense2/kernel', 'dense3/kernel']);
    expect(doc.solver.layers.every((l: { biasCorrected: boolean }) => l.biasCorrected)).toBe(true);
    expect(doc.recipe.calibration).toMatchObject({ quantizeMethod: 'gptq', pruneMethod: 'obs', biasCorrection: true });
    const l = await cli(['compress', 'fixtures/mnist-mlp', ...flags, '-o', path.join(dir, 'l.mcz')]);
    expect(l.code, l.stderr).toBe(0);
    const data = await readCsv('fixtures/mnist-mlp/test.csv');
    const [rg, rl] = [await mczRunnable(path.join(dir, 'g.mcz'), 'graph-model'), await mczRunnable(path.join(dir, 'l.mcz'), 'layers-model')];
    const [yg] = await predictAll(rg, data);
    const [yl] = await predictAll(rl, data);
    rg.dispose();
    rl.dispose();
    // Same weights, same data, same solver: the two forms agree to float32 noise.
    let max = 0;
    for (let i = 0; i < yg.values.length; i++) max = Math.max(max, Math.abs(yg.values[i] - yl.values[i]));
    expect(max).toBeLessThan(1e-3);
  }, 120_000);

  it('a stock folder output (int8 per tensor) loads in stock tfjs, kernels on their stored grid, biases corrected', async () => {
    const out = path.join(dir, 'stock');
    const r = await cli(['quantize', 'fixtures/mnist-mlp', '--dtype', 'int8', '--calibration', cal, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const before = await loadModel('fixtures/mnist-mlp');
    const after = await loadModel(out);
    try {
      const k = after.tensors.find((t) => t.name === 'dense1/kernel');
      expect(k?.entry.quantization?.dtype).toBe('uint8');
      const b0 = (await before.readValues(before.tensors.find((t) => t.name === 'dense1/bias') as never)) as Float32Array;
      const b1 = (await after.readValues(after.tensors.find((t) => t.name === 'dense1/bias') as never)) as Float32Array;
      expect(b1.some((v, i) => v !== b0[i])).toBe(true);
    } finally {
      await before.close();
      await after.close();
    }
    const orig = await evaluate('fixtures/mnist-mlp', 'fixtures/mnist-mlp/test.csv');
    const got = await evaluate(out, 'fixtures/mnist-mlp/test.csv');
    expect(Math.abs(orig.accuracy - got.accuracy)).toBeLessThanOrEqual(0.003);
  }, 60_000);

  it('a stored-uint8 model pruned with calibration: OBS reconstructs the surviving weights on the stored grid (scale and min kept, stock folder), closer to the original than magnitude', async () => {
    const recipe = { prune: pruneStep({ sparsity: 0.75 }), quantize: quantizeStep({ dtype: 'int8' }) };
    const outs: string[] = [];
    for (const pruneMethod of ['magnitude', 'obs'] as const) {
      const out = path.join(dir, `u8-${pruneMethod}`);
      const r = await compressModel('fixtures/mnist-uint8', out, { ...recipe, calibration: { file: cal, quantizeMethod: 'gptq', pruneMethod, actOrder: false, biasCorrection: true } });
      if (pruneMethod === 'obs') expect(r.solver?.layers.map((l) => [l.kernel, l.pruned])).toEqual([['dense1/kernel', 'obs'], ['dense2/kernel', 'obs']]);
      outs.push(out);
    }
    const stored = await loadModel('fixtures/mnist-uint8');
    const mag = await loadModel(outs[0]);
    const obs = await loadModel(outs[1]);
    try {
      for (const name of ['dense1/kernel', 'dense2/kernel']) {
        const info = (m: typeof stored) => m.tensors.find((t) => t.name === name) as never;
        const q0 = stored.tensors.find((t) => t.name === name)?.entry.quantization;
        expect(obs.tensors.find((t) => t.name === name)?.entry.quantization).toMatchObject({ dtype: 'uint8', scale: q0?.scale, min: q0?.min });
        const v0 = (await stored.readValues(info(stored))) as Float32Array;
        const vm = (await mag.readValues(info(mag))) as Float32Array;
        const vo = (await obs.readValues(info(obs))) as Float32Array;
        let zeros = 0;
        let moved = 0;
        for (let i = 0; i < vo.length; i++) {
          if (vo[i] === 0) zeros++;
          else if (vo[i] !== v0[i]) moved++;
          // On the stored grid: an integer code in range.
          const c = (vo[i] - (q0?.min as number)) / (q0?.scale as number);
          expect(Math.abs(c - Math.round(c))).toBeLessThan(1e-3);
        }
        expect(zeros / vo.length).toBeGreaterThanOrEqual(0.75);
        // Magnitude keeps every survivor's code; reconstruction moves many of them.
        expect(vm.every((v, i) => v === 0 || v === v0[i])).toBe(true);
        expect(moved).toBeGreaterThan(vo.length * 0.05);
      }
    } finally {
      await stored.close();
      await mag.close();
      await obs.close();
    }
    const ref = await evaluate('fixtures/mnist-uint8', 'fixtures/mnist-mlp/test.csv');
    const err = async (m: string) => {
      const y = (await evaluate(m, 'fixtures/mnist-mlp/test.csv')).outputs;
      let e = 0;
      for (let i = 0; i < y.length; i++) e += (y[i] - ref.outputs[i]) ** 2;
      return e;
    };
    expect(await err(outs[1])).toBeLessThan(0.5 * (await err(outs[0])));
  }, 120_000);

  it('conv layers (digits-cnn): 4-bit with calibration is closer to the original than 4-bit round to nearest', async () => {
    // Calibrated on the first 180 held-out digits, measured on the other 180.
    const rows = (await readFile('fixtures/digits-cnn/test.csv', 'utf8')).trim().split('\n');
    const calFile = path.join(dir, 'digits-cal.csv');
    const evalFile = path.join(dir, 'digits-eval.csv');
    await writeFile(calFile, rows.slice(0, 180).join('\n') + '\n');
    await writeFile(evalFile, rows.slice(180).join('\n') + '\n');
    const data = await readCsv(evalFile);
    const ref = await loadRunnable('fixtures/digits-cnn');
    const [y0] = await predictAll(ref as Runnable, data);
    (ref as Runnable).dispose();
    const q = { quantize: quantizeStep({ dtype: 'int4', perChannel: true, minElements: 0 }) };
    const errs: number[] = [];
    for (const calibrated of [false, true]) {
      const out = path.join(dir, `digits-${calibrated}.mcz`);
      const r = await compressModel('fixtures/digits-cnn', out, calibrated ? { ...q, calibration: { file: calFile, quantizeMethod: 'gptq', pruneMethod: 'obs', actOrder: false, biasCorrection: true } } : q);
      if (calibrated) expect(r.solver?.layers.map((l) => l.kind)).toEqual(['conv2d', 'dense']);
      const run = await mczRunnable(out, 'layers-model');
      const [y] = await predictAll(run, data);
      run.dispose();
      let e = 0;
      for (let i = 0; i < y.values.length; i++) e += (y.values[i] - y0.values[i]) ** 2;
      errs.push(e);
    }
    expect(errs[1]).toBeLessThan(0.8 * errs[0]);
  }, 60_000);

  it('a real graph model with depthwise and conv layers (mobileface): 4-bit with calibration beats 4-bit round to nearest on worst-case cosine', async () => {
    const val = await readData('fixtures/mobileface/validation.npy');
    const ref = (await loadRunnable('fixtures/mobileface')) as Runnable;
    const y0 = await predictAll(ref, val);
    ref.dispose();
    // The 2048-wide dense layer is left out: it alone takes most of the solve time.
    const q = { quantize: quantizeStep({ dtype: 'int4', perChannel: true, exclude: ['dense/kernel'] }) };
    const worst: number[] = [];
    for (const calibrated of [false, true]) {
      const out = path.join(dir, `mf-${calibrated}.mcz`);
      const r = await compressModel('fixtures/mobileface', out, calibrated ? { ...q, calibration: { file: 'fixtures/mobileface/calibration.npy', quantizeMethod: 'gptq', pruneMethod: 'obs', actOrder: false, biasCorrection: true } } : q);
      if (calibrated) expect(new Set(r.solver?.layers.map((l) => l.kind))).toEqual(new Set(['conv2d', 'depthwise']));
      const run = await mczRunnable(out, 'graph-model');
      const y = await predictAll(run, val);
      run.dispose();
      worst.push(Math.min(...y.map((h, k) => worstCosine(y0[k].values, h.values, val.samples))));
    }
    expect(worst[1]).toBeGreaterThan(worst[0]);
  }, 120_000);
});

describe('recipes', () => {
  it('a recipe takes a calibration step, with the methods defaulting to the data-aware ones', () => {
    const r = recipeFrom({ quantize: { dtype: 'int4' }, calibration: { file: 'cal.npy' } }, 'cfg');
    expect(r.calibration).toEqual({ file: 'cal.npy', quantizeMethod: 'gptq', pruneMethod: 'obs', actOrder: false, biasCorrection: true });
    expect(recipeFrom({ quantize: { dtype: 'int4' }, calibration: { file: 'c.csv', quantizeMethod: 'rtn', actOrder: true } }, 'cfg').calibration?.quantizeMethod).toBe('rtn');
    expect(() => recipeFrom({ quantize: { dtype: 'int4' }, calibration: { file: 'c.csv', samples: 3 } }, 'cfg')).toThrow(/cfg\.calibration: unknown key "samples"/);
    expect(() => recipeFrom({ quantize: { dtype: 'int4' }, calibration: { quantizeMethod: 'gptq' } }, 'cfg')).toThrow(/cfg\.calibration\.file: expected the calibration data file/);
  });
});
