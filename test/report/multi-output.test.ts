/**
 * A graph model with two outputs whose second output is damaged in the candidate: the
 * damage must show in the headline of every format (JSON, table, markdown, HTML), not
 * only in the per-output figures.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compressModel } from '../../src/compress.js';
import { cli } from '../helpers/cli.js';
import { tempDir, writeModel } from '../helpers/synthetic.js';
import { seededFloats } from '../helpers/tfjs.js';

const tensor = (dtype: string, dims: number[]) => ({ tensor: { dtype, tensorShape: { dim: dims.map((d) => ({ size: String(d) })) } } });
const dims = (ds: number[]) => ({ dim: ds.map((d) => ({ size: String(d) })) });

/** input [-1, 16] -> MatMul(wa [16, 10]) -> Softmax (output "probs"); MatMul(wb [16, 64]) (output "embedding"). */
function twoHeadModel(dir: string, wa: Float32Array, wb: Float32Array): void {
  const bytes = (x: Float32Array) => new Uint8Array(x.buffer.slice(0));
  writeModel(
    dir,
    [
      { entry: { name: 'wa', shape: [16, 10], dtype: 'float32' }, bytes: bytes(wa) },
      { entry: { name: 'wb', shape: [16, 64], dtype: 'float32' }, bytes: bytes(wb) },
    ],
    {
      json: {
        format: 'graph-model',
        modelTopology: {
          node: [
            { name: 'input', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: dims([-1, 16]) } } },
            { name: 'wa', op: 'Const', attr: { dtype: { type: 'DT_FLOAT' }, value: tensor('DT_FLOAT', [16, 10]) } },
            { name: 'wb', op: 'Const', attr: { dtype: { type: 'DT_FLOAT' }, value: tensor('DT_FLOAT', [16, 64]) } },
            { name: 'la', op: 'MatMul', input: ['input', 'wa'], attr: { T: { type: 'DT_FLOAT' }, transpose_a: { b: false }, transpose_b: { b: false } } },
            { name: 'probs', op: 'Softmax', input: ['la'], attr: { T: { type: 'DT_FLOAT' } } },
            { name: 'embedding', op: 'MatMul', input: ['input', 'wb'], attr: { T: { type: 'DT_FLOAT' }, transpose_a: { b: false }, transpose_b: { b: false } } },
          ],
          library: {},
          versions: { producer: 1 },
        },
        signature: {
          inputs: { input: { name: 'input:0', dtype: 'DT_FLOAT', tensorShape: dims([-1, 16]) } },
          outputs: {
            probs: { name: 'probs:0', dtype: 'DT_FLOAT', tensorShape: dims([-1, 10]) },
            embedding: { name: 'embedding:0', dtype: 'DT_FLOAT', tensorShape: dims([-1, 64]) },
          },
        },
      },
    },
  );
}

let root: string;
let data: string;
const SAMPLES = 24;

beforeAll(async () => {
  root = tempDir();
  const wa = seededFloats(160, 3).map((v) => v - 0.5);
  const wb = seededFloats(1024, 5).map((v) => v - 0.5);
  twoHeadModel(path.join(root, 'm'), wa, wb);
  // The candidate keeps the class head exact and damages the embedding: half its weights flipped in sign.
  const damaged = wb.map((v, i) => (i % 2 ? -v : v));
  twoHeadModel(path.join(root, 'damaged'), wa, damaged);
  await compressModel(path.join(root, 'm'), path.join(root, 'u8'), { quantize: { dtype: 'uint8', perChannel: false, include: [], exclude: [], minElements: 0, allowNonfinite: false } });
  data = path.join(root, 'x.json');
  writeFileSync(data, JSON.stringify({ inputs: Array.from({ length: SAMPLES }, (_, i) => Array.from(seededFloats(16, i + 1)).map((v) => v * 2 - 1)) }));
});

const report = (...args: string[]) => cli(['report', path.join(root, 'm'), path.join(root, 'u8'), path.join(root, 'damaged'), '--data', data, '--network', '4g', '--no-color', ...args]);

describe('multi-output graph models', () => {
  it('JSON: metrics per output, the worst output in the headline', async () => {
    const r = await report('--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.schemaVersion).toBe(2);
    expect(doc.inputs).toBe('data');
    const [o, u8, bad] = doc.models;
    expect(o.metrics.outputs.map((m: { name: string }) => m.name)).toEqual(['probs', 'embedding']);
    expect(o.metrics).toMatchObject({ cosineMin: 1, cosineMean: 1, sqnrDb: null, maxAbsError: 0, agreement: 1 });
    // Softmax rows are class vectors (agreement); the embedding is not (null).
    expect(o.metrics.outputs.map((m: { agreement: number | null }) => m.agreement)).toEqual([1, null]);
    const [pa, pb] = bad.metrics.outputs;
    expect(pa).toMatchObject({ cosineMin: 1, maxAbsError: 0, sqnrDb: null, agreement: 1 });
    expect(pb.cosineMin).toBeLessThan(0.9);
    expect(pb.sqnrDb).toBeLessThan(10);
    // The headline is the damaged output's, not the first output's.
    expect(bad.metrics.cosineMin).toBe(pb.cosineMin);
    expect(bad.metrics.cosineMean).toBe(pb.cosineMean);
    expect(bad.metrics.sqnrDb).toBe(pb.sqnrDb);
    expect(bad.metrics.maxAbsError).toBe(pb.maxAbsError);
    expect(bad.metrics.worst).toEqual({ output: 'embedding', sample: pb.worstSample });
    expect(bad.metrics.agreement).toBe(1);
    // uint8 weights move both heads a little; the headline is the worse of the two.
    const [ua, ub] = u8.metrics.outputs;
    expect(ua.maxAbsError).toBeGreaterThan(0);
    expect(u8.metrics.cosineMin).toBe(Math.min(ua.cosineMin, ub.cosineMin));
    expect(u8.metrics.sqnrDb).toBe(Math.min(ua.sqnrDb, ub.sqnrDb));
    expect(u8.metrics.cosineMin).toBeGreaterThan(0.999);
  });

  it('table and markdown: the damaged figure in the headline row, one sub-row per output', async () => {
    const doc = JSON.parse((await report('--json')).stdout);
    const worst = doc.models[2].metrics.cosineMin.toFixed(5);
    const table = (await report()).stdout.split('\n');
    const row = table.find((l) => l.startsWith(path.join(root, 'damaged')));
    expect(row).toContain(worst);
    const at = table.indexOf(row as string);
    expect(table[at + 1]).toMatch(/^\s+↳ probs\s.*1\.00000/);
    expect(table[at + 2]).toMatch(new RegExp(`^\\s+↳ embedding\\s.*${worst}`));
    const md = (await report('--format', 'markdown')).stdout;
    expect(md).toMatch(new RegExp(`^\\| [^|]*damaged \\|[^\\n]*${worst}`, 'm'));
    expect(md).toMatch(new RegExp(`^\\|\\s+↳ embedding \\|[^\\n]*${worst}`, 'm'));
    expect(md).toMatch(/worst: .*damaged: output "embedding"/);
  });

  it('HTML: the damaged figure in the headline row and in the embedded JSON', async () => {
    const out = path.join(root, 'r.html');
    expect((await report('--format', 'html', '-o', out)).code).toBe(0);
    const html = readFileSync(out, 'utf8');
    const doc = JSON.parse((await report('--json')).stdout);
    const worst = doc.models[2].metrics.cosineMin.toFixed(5);
    expect(html).toMatch(/<table/);
    expect(html).toContain(worst);
    const embedded = JSON.parse(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? 'null');
    expect(embedded.models[2].metrics.cosineMin).toBe(doc.models[2].metrics.cosineMin);
  });

  it('--label-output names the output accuracy refers to', async () => {
    const labels = Array.from({ length: SAMPLES }, (_, i) => i % 10);
    const file = path.join(root, 'xl.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(data, 'utf8')), labels }));
    const a = JSON.parse((await report('--data', file, '--json')).stdout);
    expect(a.data.labelOutput).toBe('probs');
    expect(a.models[0].metrics.accuracy).toEqual(expect.any(Number));
    const b = JSON.parse((await report('--data', file, '--json', '--label-output', 'probs')).stdout);
    expect(b.models[0].metrics).toEqual(a.models[0].metrics);
    const bad = await report('--data', file, '--label-output', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--label-output nope: the model has no such output; its outputs are "probs", "embedding"/);
  });
});
