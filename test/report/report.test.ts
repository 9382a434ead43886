/** report end to end: data formats, metrics, output formats, budgets and exit codes. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compressModel } from '../../src/compress.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/synthetic.js';
import { readTestCsv } from '../helpers/tfjs.js';

const MLP = 'fixtures/mnist-mlp';
let root: string;
let cand: string;
let csv: string;
const ROWS = 300;

/** A .npy file of `values` with `shape`, dtype '<f4' or '<i4'. */
function npy(file: string, values: ArrayLike<number>, shape: number[], descr: '<f4' | '<i4'): void {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const h = Buffer.alloc(10);
  h.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  h.writeUInt16LE(header.length, 8);
  const body = descr === '<f4' ? Buffer.from(new Float32Array(values).buffer) : Buffer.from(new Int32Array(values).buffer);
  writeFileSync(file, Buffer.concat([h, Buffer.from(header, 'latin1'), body]));
}

beforeAll(async () => {
  root = tempDir();
  cand = path.join(root, 'u8');
  await compressModel(MLP, cand, { quantize: { dtype: 'uint8', perChannel: false, include: [], exclude: [], minElements: 0, allowNonfinite: false } });
  const lines = readFileSync(path.join(MLP, 'test.csv'), 'utf8').split('\n').slice(0, ROWS);
  csv = path.join(root, 'test.csv');
  writeFileSync(csv, `${lines.join('\n')}\n`);
  const { inputs, labels } = readTestCsv(csv);
  const rows = Array.from({ length: ROWS }, (_, i) => Array.from(inputs.subarray(i * 784, (i + 1) * 784)));
  writeFileSync(path.join(root, 'test.json'), JSON.stringify({ inputs: rows, labels }));
  npy(path.join(root, 'x.npy'), inputs, [ROWS, 28, 28], '<f4');
  npy(path.join(root, 'y.npy'), labels, [ROWS], '<i4');
});

const json = async (...args: string[]) => {
  const r = await cli(['report', MLP, cand, ...args, '--json']);
  return { ...r, doc: r.stdout ? JSON.parse(r.stdout) : undefined };
};

describe('report data formats', () => {
  it('CSV, JSON and NPY give the same figures', async () => {
    const a = await json('--data', csv);
    const b = await json('--data', path.join(root, 'test.json'));
    const c = await json('--data', path.join(root, 'x.npy'), '--labels', path.join(root, 'y.npy'));
    for (const r of [a, b, c]) expect(r.code).toBe(0);
    expect(a.doc.data).toMatchObject({ samples: ROWS, labels: true, synthetic: false });
    expect(b.doc.models.map((m: any) => m.metrics)).toEqual(a.doc.models.map((m: any) => m.metrics));
    expect(c.doc.models.map((m: any) => m.metrics)).toEqual(a.doc.models.map((m: any) => m.metrics));
  });

  it('the JSON contract', async () => {
    const { doc } = await json('--data', csv, '--network', '4g,slow=400/2000');
    expect(doc).toMatchObject({ schemaVersion: 2, passed: true, inputs: 'data', data: { source: csv, samples: ROWS, labels: true, synthetic: false, labelOutput: 'dense3' }, budgets: [] });
    const [o, c] = doc.models;
    expect(o).toMatchObject({ role: 'original', path: path.resolve(MLP), delta: { accuracyDrop: 0, sizeReduction: 1 } });
    const exact = { accuracy: expect.any(Number), agreement: 1, cosineMin: 1, cosineMean: 1, sqnrDb: null, maxAbsError: 0 };
    expect(o.metrics).toEqual({ ...exact, worst: { output: 'dense3', sample: 0 }, outputs: [{ ...exact, name: 'dense3', shape: [10], worstSample: 0 }] });
    expect(o.metrics.accuracy).toBeGreaterThan(0.9);
    expect(c.role).toBe('candidate');
    expect(c.servedAsIs).toBe(false);
    expect(c.metrics.agreement).toBeGreaterThanOrEqual(0.99);
    expect(c.metrics.cosineMean).toBeGreaterThan(0.999);
    expect(c.metrics.cosineMin).toBeLessThanOrEqual(c.metrics.cosineMean);
    expect(c.metrics.cosineMin).toBeGreaterThan(0.9);
    expect(c.metrics.sqnrDb).toBeGreaterThan(20);
    expect(c.metrics.maxAbsError).toBeGreaterThan(0);
    expect(c.metrics.outputs).toHaveLength(1);
    expect(c.delta.accuracyDrop).toBeCloseTo(o.metrics.accuracy - c.metrics.accuracy, 12);
    expect(c.delta.sizeReduction).toBeCloseTo(o.sizes.raw / c.sizes.raw, 12);
    expect(c.delta.sizeReduction).toBeGreaterThan(3.8);
    for (const m of doc.models) {
      expect(m.sizes.raw).toBe(m.files.reduce((n: number, f: any) => n + f.raw, 0));
      expect(m.sizes.brotli).toBeLessThan(m.sizes.raw);
      expect(Object.keys(m.transfer)).toEqual(['4g', 'slow']);
      expect(m.transfer.slow.ms).toBeGreaterThan(m.transfer['4g'].ms);
    }
  });

  it('without data: seeded synthetic inputs, every fidelity figure marked, fidelity budgets refused', async () => {
    const r = await cli(['report', MLP, cand, '--no-color', '--samples', '64']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/64 synthetic \(seed 1, uniform \[0, 1\)\) inputs, no labels: figures marked \* are on synthetic inputs, not real data/);
    // Every fidelity cell of every row carries the mark: agreement, cos min, cos mean, SQNR, max abs err.
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('original') || l.startsWith(cand));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.match(/\S\*/g)?.length, row).toBe(5);
    const md = await cli(['report', MLP, cand, '--samples', '64', '--format', 'markdown']);
    expect(md.stdout).toMatch(/fidelity figures come from 64 synthetic inputs/);
    const a = await json('--samples', '64');
    const b = await json('--samples', '64');
    expect(a.doc.inputs).toBe('synthetic');
    expect(a.doc.data.synthetic).toBe(true);
    expect(a.doc.models[1].metrics).toEqual(b.doc.models[1].metrics);
    expect(a.doc.models[1].metrics.accuracy).toBeNull();
    for (const flag of [['--min-cosine', '0.5'], ['--min-agreement', '50%'], ['--min-sqnr', '1'], ['--max-accuracy-drop', '1%']]) {
      const x = await cli(['report', MLP, cand, '--samples', '8', ...flag]);
      expect(x.code, flag[0]).toBe(2);
      expect(x.stderr).toMatch(new RegExp(`^maas-compress: error: ${flag[0]}: fidelity budgets cannot pass on synthetic inputs; give real data with --data\n$`));
    }
  });

  it('bad data: one line, exit 2', async () => {
    const bad = path.join(root, 'bad.csv');
    writeFileSync(bad, '1,2,3\n4,x,6\n');
    let r = await cli(['report', MLP, cand, '--data', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.csv: row 2, column 2: expected a number, found "x"/);
    writeFileSync(bad, '1,2,3\n4,5,6\n');
    r = await cli(['report', MLP, cand, '--data', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.csv: samples of shape \[2\] \(2 values\), the model's input "dense1_input" takes \[-1, 784\]/);
    r = await cli(['report', MLP, cand, '--data', path.join(root, 'x.npy'), '--labels', csv]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('report budgets and exit codes', () => {
  it('all budgets met: exit 0', async () => {
    const r = await json('--data', csv, '--max-accuracy-drop', '1%', '--min-size-reduction', '3x', '--max-size', '400kB', '--max-transfer-time', '5s@3g');
    expect(r.code).toBe(0);
    expect(r.doc.passed).toBe(true);
    expect(r.doc.budgets.map((b: any) => [b.name, b.passed])).toEqual([
      ['max-accuracy-drop', true],
      ['min-size-reduction', true],
      ['max-size', true],
      ['max-transfer-time@3g', true],
    ]);
  });

  it('a budget not met: exit 1 and a line naming the budget, model, limit and actual value', async () => {
    const r = await cli(['report', MLP, cand, '--data', csv, '--min-size-reduction', '10x', '--no-color']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`budget not met: min-size-reduction for "${cand.replace(/[/\\]/g, '.')}": limit 10.00x, actual 3.9\\dx`));
  });

  it('bad budgets and impossible ones: exit 2', async () => {
    expect((await cli(['report', MLP, cand, '--max-size', 'big'])).code).toBe(2);
    expect((await cli(['report', MLP, cand, '--max-transfer-time', '3s'])).stderr).toMatch(/expected <time>@<network>/);
    const r = await cli(['report', MLP, cand, '--data', csv, '--no-labels', '--max-accuracy-drop', '1%']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--max-accuracy-drop needs labelled data/);
    for (const [flag, v] of [['--min-cosine', '1.5'], ['--min-sqnr', 'loud'], ['--min-agreement', '120%']]) {
      const x = await cli(['report', MLP, cand, '--data', csv, flag, v]);
      expect(x.code, flag).toBe(2);
      expect(x.stderr).toMatch(new RegExp(`${flag}: expected`));
    }
  });

  it('fidelity budgets: worst-case cosine, SQNR and agreement against their limits', async () => {
    const ok = await json('--data', csv, '--min-cosine', '0.9', '--min-sqnr', '20dB', '--min-agreement', '99%');
    expect(ok.code).toBe(0);
    const c = ok.doc.models[1].metrics;
    expect(ok.doc.budgets).toEqual([
      { name: 'min-cosine', model: cand, limit: 0.9, actual: c.cosineMin, passed: true },
      { name: 'min-sqnr', model: cand, limit: 20, actual: c.sqnrDb, passed: true },
      { name: 'min-agreement', model: cand, limit: 0.99, actual: c.agreement, passed: true },
    ]);
    const bad = await cli(['report', MLP, cand, '--data', csv, '--min-cosine', '0.99999', '--no-color']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/budget not met: min-cosine for ".*": limit 0\.99999, actual 0\.9\d{4}/);
  });

  it('budgets and candidates from the config file', async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'maas-compress.config.json'),
      JSON.stringify({ model: path.resolve(MLP), candidates: [cand], data: csv, networks: ['4g'], budgets: { maxAccuracyDrop: '0.5%', minSizeReduction: '8x' } }),
    );
    const r = await cli(['report', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.budgets.map((b: any) => [b.name, b.passed])).toEqual([
      ['max-accuracy-drop', true],
      ['min-size-reduction', false],
    ]);
  });
});

describe('report output formats', () => {
  it('markdown, also appended to GITHUB_STEP_SUMMARY', async () => {
    const summary = path.join(tempDir(), 'summary.md');
    writeFileSync(summary, 'before\n');
    const r = await cli(['report', MLP, cand, '--data', csv, '--format', 'markdown'], { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^### maas-compress report ✅/);
    expect(r.stdout).toMatch(/^\| model \| accuracy \|/m);
    expect(r.stdout).toMatch(/^\| original \| /m);
    const s = readFileSync(summary, 'utf8');
    expect(s.startsWith('before\n### maas-compress report')).toBe(true);
  });

  it('html needs -o and writes one self-contained page with three kinds of chart', async () => {
    expect((await cli(['report', MLP, cand, '--format', 'html'])).stderr).toMatch(/--format html needs -o/);
    const out = path.join(tempDir(), 'report.html');
    const r = await cli(['report', MLP, cand, '--data', csv, '--format', 'html', '-o', out]);
    expect(r.code).toBe(0);
    const html = readFileSync(out, 'utf8');
    for (const id of ['size-per-model', 'accuracy-vs-size', 'transfer-3g', 'transfer-4g', 'transfer-broadband']) expect(html).toContain(`<svg id="${id}"`);
    expect(html).not.toMatch(/<script(?! type="application\/json")/);
    expect(html).not.toMatch(/https?:\/\//);
    expect(existsSync(out)).toBe(true);
  });
});
