/**
 * `sensitivity`: the probe ranks a deliberately fragile tensor first, and its predictions
 * agree with full-model runs where the errors are small (the regime the linear model is for).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sensitivityOf } from '../../src/tune/tune.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/synthetic.js';
import { MLP, csvRows, fragileMlp } from './helpers.js';

describe('sensitivity', () => {
  it('ranks the fragile tensor first, by far', async () => {
    const dir = tempDir();
    const model = fragileMlp(dir);
    const data = csvRows(dir, 'cal.csv', 0, 400);
    const r = await sensitivityOf({ model, data, sparsities: [] });
    expect(r.tensors.map((t) => t.name)).toEqual(['dense2/kernel', 'dense1/kernel']);
    const [fragile, other] = r.tensors;
    // int8-sized noise in dense2 alone (its step follows the 40s) moves the output far more than in dense1.
    expect(1 - fragile.probe.cosineMin).toBeGreaterThan(100 * (1 - other.probe.cosineMin));
    const int8 = fragile.candidates.find((c) => c.label === 'int8 per channel');
    const f16 = fragile.candidates.find((c) => c.label === 'float16');
    expect(int8 && f16).toBeTruthy();
    expect(int8!.predicted.cosineMin).toBeLessThan(f16!.predicted.cosineMin);
    expect(r.runs).toBe(2);
  });

  it('predicts what full-model runs measure: SQNR within 4 dB and 1 - worst cosine within a factor of 4, for small errors', async () => {
    const dir = tempDir();
    const data = csvRows(dir, 'cal.csv', 0, 400);
    const r = await sensitivityOf({ model: MLP, data, sparsities: [], full: true });
    let checked = 0;
    for (const t of r.tensors) {
      for (const c of t.candidates) {
        if (!c.measured || c.noise === 0) continue;
        const meas = 1 - c.measured.cosineMin;
        const pred = 1 - c.predicted.cosineMin;
        // Small errors only: large ones leave the linear regime (documented in docs/tune.md).
        if (meas < 1e-5 || meas > 0.05) continue;
        expect(pred / meas, `${t.name} ${c.label}: predicted ${pred}, measured ${meas}`).toBeGreaterThan(1 / 4);
        expect(pred / meas, `${t.name} ${c.label}: predicted ${pred}, measured ${meas}`).toBeLessThan(4);
        const db = c.measured.sqnrDb as number;
        if (db >= 30) expect(Math.abs((c.predicted.sqnrDb as number) - db), `${t.name} ${c.label}: SQNR`).toBeLessThan(4);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
    // A full run per candidate besides the probe.
    expect(r.runs).toBeGreaterThan(10);
  });

  it('prints a table, JSON and an HTML page through the CLI', async () => {
    const dir = tempDir();
    const data = csvRows(dir, 'cal.csv', 0, 200);
    const t = await cli(['sensitivity', MLP, '--data', data, '--sparsities', '0.5']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/dense1\/kernel/);
    expect(t.stdout).toMatch(/prune 50 % \+ int8 per channel/);
    const j = await cli(['sensitivity', MLP, '--data', data, '--sparsities', 'none', '--json']);
    const doc = JSON.parse(j.stdout);
    expect(doc.command).toBe('sensitivity');
    expect(doc.tensors[0].candidates[0].label).toBe('keep');
    expect(doc.tensors[0].candidates.every((c: { bytes: number }) => c.bytes > 0)).toBe(true);
    const h = await cli(['sensitivity', MLP, '--data', data, '--sparsities', 'none', '--format', 'html', '-o', `${dir}/s.html`]);
    expect(h.code, h.stderr).toBe(0);
    const { readFileSync } = await import('node:fs');
    const html = readFileSync(`${dir}/s.html`, 'utf8');
    expect(html).toMatch(/<svg id="probe"/);
    expect(html).toMatch(/dense2\/kernel/);
  });

  it('probes on worker threads measure what one thread measures (the built library, as the CLI runs it)', async () => {
    const built = path.resolve('dist/tune/tune.js');
    // .ci/run and npm test after npm run build have dist/; the worker entry exists only there.
    expect(existsSync(built), 'run npm run build first').toBe(true);
    const lib = (await import(pathToFileURL(built).href)) as typeof import('../../src/tune/tune.js');
    const o = { model: 'fixtures/mobileface', data: 'fixtures/mobileface/calibration.npy', sparsities: [] };
    const one = await lib.sensitivityOf({ ...o, threads: 0 });
    const two = await lib.sensitivityOf({ ...o, threads: 2 });
    expect(two.tensors.map((t) => t.name)).toEqual(one.tensors.map((t) => t.name));
    for (const [k, t] of two.tensors.entries()) {
      expect(t.probe.cosineMin).toBe(one.tensors[k].probe.cosineMin);
      expect(t.candidates.map((c) => c.bytes)).toEqual(one.tensors[k].candidates.map((c) => c.bytes));
    }
    expect(two.runs).toBe(one.runs);
  });

  it('refuses to run without data, in one line, exit 2', async () => {
    const r = await cli(['sensitivity', MLP]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--data/);
  });
});
