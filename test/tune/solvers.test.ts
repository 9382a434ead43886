/**
 * `tune --solvers`: every plan the search runs is solved on the calibration digits first
 * (gptq, obs pruning, bias correction), so the search reaches plans that round to nearest
 * and magnitude pruning cannot. On fixtures/mnist-mlp, calibrated on 2,000 MNIST digits
 * outside its test split and judged on the 2,000-digit test split: at least 30x smaller
 * than the float32 original at no more than 0.5 points (and at no more than 1.0), and the
 * saved recipe re-solves to the same bytes with `compress --recipe`.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { calibrationCsv } from '../../scripts/mnist-calibration.mjs';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/synthetic.js';
import { MLP, TEST_CSV } from './helpers.js';

let dir: string;
const original = () => ['model.json', 'group1-shard1of1.bin'].reduce((a, f) => a + statSync(path.join(MLP, f)).size, 0);

beforeAll(() => {
  dir = tempDir();
  writeFileSync(path.join(dir, 'calibration.csv'), calibrationCsv(2000));
});

describe('tune --solvers on fixtures/mnist-mlp', () => {
  /** Tune with a drop budget in points; the written file's ratio and its drop on the test split as report measures it. */
  async function tuned(points: number, name: string) {
    const t = await cli(['tune', path.resolve(MLP), '--data', 'calibration.csv', '--validation', path.resolve(TEST_CSV), '--max-accuracy-drop', `${points}%`, '--solvers', '-o', `${name}.mcz`, '--save-recipe', `${name}.json`, '--json'], { cwd: dir });
    expect(t.code, t.stderr).toBe(0);
    const doc = JSON.parse(t.stdout);
    const out = path.join(dir, `${name}.mcz`);
    const ratio = original() / statSync(out).size;
    const r = await cli(['report', MLP, out, '--data', TEST_CSV, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const drop = JSON.parse(r.stdout).models[1].delta.accuracyDrop as number;
    console.log(`mnist-mlp tune --solvers --max-accuracy-drop ${points}%: ${original()} -> ${statSync(out).size} bytes (${ratio.toFixed(2)}x), test-split drop ${(drop * 100).toFixed(2)} points; ${doc.solver.solves} solves in ${doc.solver.seconds.toFixed(0)} s`);
    return { doc, out, ratio, drop };
  }

  it('--max-accuracy-drop 0.5%: at least 30x smaller, the drop on the test split within 0.5 points; the recipe re-solves byte for byte', async () => {
    const { doc, out, ratio, drop } = await tuned(0.5, 'half');
    expect(doc.solver.solves).toBeGreaterThan(1);
    expect(doc.solver.method).toMatchObject({ quantizeMethod: 'gptq', pruneMethod: 'obs', biasCorrection: true });
    // Measured: 33.4x, 0.40 points.
    expect(ratio).toBeGreaterThanOrEqual(30);
    expect(drop).toBeLessThanOrEqual(0.005);
    // The recipe names the calibration file as given, relative to where compress runs.
    const saved = JSON.parse(readFileSync(path.join(dir, 'half.json'), 'utf8'));
    expect(saved.recipe.calibration).toMatchObject({ file: 'calibration.csv', quantizeMethod: 'gptq', pruneMethod: 'obs' });
    const c = await cli(['compress', path.resolve(MLP), '--recipe', 'half.json', '-o', 'again.mcz'], { cwd: dir });
    expect(c.code, c.stderr).toBe(0);
    expect(Buffer.compare(readFileSync(out), readFileSync(path.join(dir, 'again.mcz')))).toBe(0);
  }, 600_000);

  it('--max-accuracy-drop 1%: at least 30x smaller (the post-training target), within 1.0 point on the test split', async () => {
    const { ratio, drop } = await tuned(1, 'one');
    // Measured: 46.9x, 0.60 points.
    expect(ratio).toBeGreaterThanOrEqual(30);
    expect(drop).toBeLessThanOrEqual(0.01);
  }, 600_000);

  it('refuses --solvers without --validation (the recipe re-solves on all of --data)', async () => {
    const t = await cli(['tune', MLP, '--data', path.join(dir, 'calibration.csv'), '--min-cosine', '0.99', '--solvers', '--save-recipe', path.join(dir, 'x.json')]);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/--solvers needs --validation <file>/);
  });
});
