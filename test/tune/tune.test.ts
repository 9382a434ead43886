/**
 * `tune`: a per-tensor plan meets a budget that no uniform recipe meets at its size; an
 * impossible budget writes nothing and exits 1; a saved recipe re-applies byte for byte;
 * the validation figures are those of inputs the search never ran.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/synthetic.js';
import { MLP, csvRows, fragileMlp } from './helpers.js';

let dir: string;
let fragile: string;
let cal: string;
let val: string;

beforeAll(() => {
  dir = tempDir();
  fragile = fragileMlp(dir);
  cal = csvRows(dir, 'cal.csv', 0, 1200);
  val = csvRows(dir, 'val.csv', 1200, 2000);
});

/** Worst cosine and served bytes of each candidate, from `report --json` on the validation rows. */
async function judge(original: string, candidates: string[]): Promise<{ name: string; cosine: number; bytes: number }[]> {
  const r = await cli(['report', original, ...candidates, '--data', val, '--json']);
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout);
  return doc.models.slice(1).map((m: { name: string; metrics: { cosineMin: number }; files: { raw: number; brotli: number }[]; servedAsIs: boolean }) => ({
    name: m.name,
    cosine: m.metrics.cosineMin,
    bytes: m.files.reduce((a, f) => a + (m.servedAsIs ? f.raw : f.brotli), 0),
  }));
}

describe('tune', () => {
  it('meets a budget that no uniform recipe meets at the same size', async () => {
    const out = path.join(dir, 'tuned.mcz');
    const t = await cli(['tune', fragile, '--data', cal, '--validation', val, '--min-cosine', '0.99', '--sparsities', 'none', '-o', out, '--json']);
    expect(t.code, t.stderr).toBe(0);
    const doc = JSON.parse(t.stdout);
    expect(doc.ok).toBe(true);
    // The fragile tensor keeps a fine grid; the large one does not need one.
    const plan = Object.fromEntries(doc.plan.map((p: { name: string; choice: string }) => [p.name, p.choice]));
    expect(plan['dense2/kernel']).not.toBe(plan['dense1/kernel']);
    const uniform: Record<string, string[]> = {
      float16: ['--quantize', 'float16'],
      'int8 per channel': ['--quantize', 'int8', '--per-channel'],
      int8: ['--quantize', 'int8'],
      'int6 g64': ['--quantize', 'int6', '--group-size', '64'],
      'int4 g64': ['--quantize', 'int4', '--group-size', '64'],
    };
    const files: string[] = [];
    for (const [name, flags] of Object.entries(uniform)) {
      const f = path.join(dir, `${name.replace(/ /g, '-')}.mcz`);
      const c = await cli(['compress', fragile, ...flags, '-o', f]);
      expect(c.code, `${name}: ${c.stderr}`).toBe(0);
      files.push(f);
    }
    const [tuned, ...rest] = await judge(fragile, [out, ...files]);
    expect(tuned.cosine).toBeGreaterThanOrEqual(0.99);
    for (const u of rest) {
      // Every uniform recipe at most 1.25x the tuned size misses the budget; those that meet it are larger.
      if (u.bytes <= tuned.bytes * 1.25) expect(u.cosine, `${u.name} at ${u.bytes} B`).toBeLessThan(0.99);
      if (u.cosine >= 0.99) expect(u.bytes, u.name).toBeGreaterThan(tuned.bytes * 1.25);
    }
    expect(rest.some((u) => u.cosine >= 0.99)).toBe(true);
    // The figures tune printed for validation are those report measures on the written model.
    expect(doc.validation.figures.cosineMin).toBeCloseTo(tuned.cosine, 6);
  });

  it('exits 1 and writes nothing when no plan meets the budgets', async () => {
    const out = path.join(dir, 'none.mcz');
    const recipe = path.join(dir, 'none.json');
    const t = await cli(['tune', MLP, '--data', cal, '--min-cosine', '0.99', '--max-size', '2kB', '-o', out, '--save-recipe', recipe]);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/no plan meets the size budgets.*nothing written/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(recipe)).toBe(false);
  });

  it('saves a recipe that compress --recipe (and the config) re-applies byte for byte, without data', async () => {
    const out = path.join(dir, 'r.mcz');
    const recipe = path.join(dir, 'r.json');
    const t = await cli(['tune', MLP, '--data', cal, '--validation', val, '--max-accuracy-drop', '1%', '-o', out, '--save-recipe', recipe]);
    expect(t.code, t.stderr).toBe(0);
    const saved = JSON.parse(readFileSync(recipe, 'utf8'));
    expect(saved.format).toBe('maas-compress-recipe');
    expect(saved.version).toBe(1);
    expect(Object.keys(saved.recipe.tensors).length).toBeGreaterThan(0);
    const again = path.join(dir, 'again.mcz');
    const c = await cli(['compress', MLP, '--recipe', recipe, '-o', again]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).not.toMatch(/tuned on other weights/);
    expect(Buffer.compare(readFileSync(out), readFileSync(again))).toBe(0);
    // The config's "recipe" may name the file.
    const work = tempDir();
    writeFileSync(path.join(work, 'maas-compress.config.json'), JSON.stringify({ model: path.resolve(MLP), recipe }));
    const viaConfig = path.join(work, 'c.mcz');
    const k = await cli(['compress', '-o', viaConfig], { cwd: work });
    expect(k.code, k.stderr).toBe(0);
    expect(Buffer.compare(readFileSync(out), readFileSync(viaConfig))).toBe(0);
    // Applied to other weights, it says so.
    const w = await cli(['compress', fragile, '--recipe', recipe, '-o', path.join(dir, 'other.mcz')]);
    expect(w.code, w.stderr).toBe(0);
    expect(w.stderr).toMatch(/tuned on other weights/);
  });

  it('judges on inputs the search did not see: every 4th sample by default, or --validation', async () => {
    const t = await cli(['tune', MLP, '--data', cal, '--min-cosine', '0.95', '--sparsities', 'none', '--save-recipe', path.join(dir, 's.json'), '--json']);
    expect(t.code, t.stderr).toBe(0);
    const doc = JSON.parse(t.stdout);
    expect(doc.calibration.samples).toBe(900);
    expect(doc.validation.samples).toBe(300);
    expect(doc.calibration.source).toMatch(/calibration: 3 of every 4/);
    expect(doc.validation.source).toMatch(/validation: every 4th/);
    expect(doc.validation.figures.cosineMin).toBeGreaterThanOrEqual(0.95);
    // Search runs are on the calibration inputs only: one validation run at the end.
    expect(doc.runs.validation).toBe(1);
    expect(doc.written).toBeNull();
  });

  it('refuses bad input in one line with exit 2, before any search', async () => {
    writeFileSync(path.join(dir, 'mlp.json'), JSON.stringify({ format: 'maas-compress-recipe', version: 1, recipe: { tensors: { 'dense1/kernel': { sparsity: 0.5, quantize: { dtype: 'int8', perChannel: true } } } } }));
    writeFileSync(path.join(dir, 'other.json'), JSON.stringify({ format: 'maas-compress-recipe', version: 1, recipe: { tensors: { 'conv9/kernel': { sparsity: 0, quantize: { dtype: 'float16' } } } } }));
    writeFileSync(path.join(dir, 'v9.json'), JSON.stringify({ format: 'maas-compress-recipe', version: 9, recipe: { quantize: { dtype: 'int8' } } }));
    writeFileSync(path.join(dir, 'bad-sparsity.json'), JSON.stringify({ format: 'maas-compress-recipe', version: 1, recipe: { tensors: { 'dense1/kernel': { sparsity: 1.5, quantize: null } } } }));
    writeFileSync(path.join(dir, 'bad-key.json'), JSON.stringify({ format: 'maas-compress-recipe', version: 1, recipe: { tensors: { 'dense1/kernel': { sparsity: 0, bits: 4 } } } }));
    writeFileSync(path.join(dir, 'not-json.json'), '{"format": "maas-compress-recipe",');
    const cases: [string[], RegExp][] = [
      [['compress', MLP, '--recipe', path.join(dir, 'bad-sparsity.json'), '-o', path.join(dir, 'y.mcz')], /\["dense1\/kernel"\]\.sparsity: expected a number in \[0, 1\)/],
      [['compress', MLP, '--recipe', path.join(dir, 'bad-key.json'), '-o', path.join(dir, 'y.mcz')], /unknown key "bits"/],
      [['compress', MLP, '--recipe', path.join(dir, 'not-json.json'), '-o', path.join(dir, 'y.mcz')], /not-json\.json: not valid JSON/],
      [['compress', MLP, '--recipe', path.join(dir, 'absent.json'), '-o', path.join(dir, 'y.mcz')], /absent\.json/],
      [['tune', MLP, '--data', cal, '-o', path.join(dir, 'x.mcz')], /at least one fidelity budget/],
      [['tune', MLP, '--data', cal, '--max-size', '1MB', '-o', path.join(dir, 'x.mcz')], /at least one fidelity budget/],
      [['tune', MLP, '--data', cal, '--min-cosine', '0.99'], /-o <path>.*--save-recipe/],
      [['tune', MLP, '--data', cal, '--min-cosine', '0.99', '--objective', 'speed', '-o', path.join(dir, 'x.mcz')], /--objective/],
      [['tune', MLP, '--data', path.join(dir, 'missing.csv'), '--min-cosine', '0.99', '-o', path.join(dir, 'x.mcz')], /missing\.csv/],
      [['compress', MLP, '--recipe', path.join(dir, 'other.json'), '-o', path.join(dir, 'y.mcz')], /names tensor "conv9\/kernel", which .* does not have/],
      [['compress', MLP, '--recipe', path.join(dir, 'mlp.json'), '--quantize', 'int8', '-o', path.join(dir, 'y.mcz')], /--recipe gives every pass/],
      [['compress', MLP, '--recipe', path.join(dir, 'v9.json'), '-o', path.join(dir, 'y.mcz')], /version 9 is newer.*upgrade/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv);
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync(path.join(dir, 'x.mcz'))).toBe(false);
    expect(existsSync(path.join(dir, 'y.mcz'))).toBe(false);
  });

  it('writes a stock folder when -o is a folder, with stock encodings only', async () => {
    const out = path.join(dir, 'stock');
    const t = await cli(['tune', MLP, '--data', cal, '--min-cosine', '0.99', '--sparsities', 'none', '-o', out, '--json']);
    expect(t.code, t.stderr).toBe(0);
    const doc = JSON.parse(t.stdout);
    for (const p of doc.plan) expect(['keep', 'float16', 'int8', 'uint8']).toContain(p.choice);
    expect(statSync(path.join(out, 'model.json')).isFile()).toBe(true);
    const r = await cli(['report', MLP, out, '--data', val, '--min-cosine', '0.99']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});
