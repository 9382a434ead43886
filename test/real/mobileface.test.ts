/**
 * A real pretrained conv net (fixtures/mobileface: human-models' 2.2 MB face-embedding
 * graph model) through every command that changes weights: the output loads in stock
 * tfjs and its embeddings of 16 held-out faces stay within bounds of the original's.
 * The bounds are the measured worst cosines (printed by these tests) with a margin:
 * measured 1 − 3.5e-7 (float16), 0.99789 (int8 per tensor), 0.99938 (int8 per channel),
 * 0.90896 (prune 50 %), 0.90865 (prune 50 % + int8 per channel).
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseNpy } from '../../src/eval/npy.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/synthetic.js';
import { EMBEDDING, MOBILEFACE, VALIDATION, embeddings, rowCosines, worstCosine } from './helpers.js';

/** Each command, where it writes, and the smallest cosine allowed over the 16 faces. */
const CASES = [
  { name: 'quantize float16', argv: ['quantize', MOBILEFACE, '--dtype', 'float16'], out: 'f16', minCosine: 0.99999 },
  { name: 'quantize int8 per tensor', argv: ['quantize', MOBILEFACE, '--dtype', 'int8'], out: 'int8', minCosine: 0.995 },
  { name: 'quantize int8 per channel', argv: ['quantize', MOBILEFACE, '--dtype', 'int8', '--per-channel'], out: 'int8pc.mcz', minCosine: 0.998 },
  { name: 'prune 50 %', argv: ['prune', MOBILEFACE, '--sparsity', '50%'], out: 'p50', minCosine: 0.88 },
  { name: 'compress prune 50 % + int8 per channel', argv: ['compress', MOBILEFACE, '--prune', '0.5', '--quantize', 'int8', '--per-channel'], out: 'p50-int8pc.mcz', minCosine: 0.88 },
] as const;

let original: Float32Array;

beforeAll(async () => {
  original = await embeddings(MOBILEFACE);
});

describe('fixtures/mobileface: the fixture itself', () => {
  it('validation.npy holds 16 faces [16,112,112,3] as 0..255 pixels, different from calibration.npy', () => {
    const v = parseNpy(new Uint8Array(readFileSync(VALIDATION)), VALIDATION);
    const c = parseNpy(new Uint8Array(readFileSync(`${MOBILEFACE}/calibration.npy`)), 'calibration.npy');
    expect(v.shape).toEqual([16, 112, 112, 3]);
    expect(c.shape).toEqual([16, 112, 112, 3]);
    let lo = Infinity;
    let hi = -Infinity;
    let same = 0;
    for (let i = 0; i < v.values.length; i++) {
      lo = Math.min(lo, v.values[i]);
      hi = Math.max(hi, v.values[i]);
      if (v.values[i] === c.values[i]) same++;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(255);
    // Pixels, not [0, 1] values: the graph subtracts 127.5 itself.
    expect(hi).toBeGreaterThan(200);
    expect(same / v.values.length).toBeLessThan(0.05);
  });

  it('the original tells the faces apart: embeddings of different faces are far from parallel', () => {
    expect(original.length).toBe(16 * EMBEDDING);
    // Face k against face k+1: a model that ignored its input would give cosines of 1.
    const shifted = new Float32Array(original.length);
    shifted.set(original.subarray(EMBEDDING));
    shifted.set(original.subarray(0, EMBEDDING), original.length - EMBEDDING);
    const across = rowCosines(original, shifted, EMBEDDING);
    console.log(`mobileface original: largest cosine between neighbouring faces ${Math.max(...across).toFixed(4)}`);
    expect(Math.max(...across)).toBeLessThan(0.9);
  });
});

describe('fixtures/mobileface through the commands: stock tfjs loads every output, embeddings within bounds', () => {
  for (const c of CASES) {
    it(`${c.name}: worst cosine over 16 faces >= ${c.minCosine}`, async () => {
      const out = path.join(tempDir(), c.out);
      const r = await cli([...c.argv, '-o', out, '--quiet']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const y = await embeddings(out);
      expect(y.length).toBe(original.length);
      const worst = worstCosine(original, y);
      console.log(`mobileface ${c.name}: worst cosine ${worst.toFixed(6)} (1 - cos = ${(1 - worst).toExponential(2)}) on ${VALIDATION}`);
      expect(worst).toBeGreaterThanOrEqual(c.minCosine);
      expect(worst).toBeLessThanOrEqual(1 + 1e-6);
    });
  }

  it('the float16 output stores the float32 weights in half the bytes', async () => {
    const out = path.join(tempDir(), 'f16');
    expect((await cli(['quantize', MOBILEFACE, '--dtype', 'float16', '-o', out, '--quiet'])).code).toBe(0);
    const before = statSync(`${MOBILEFACE}/mobileface.bin`).size;
    const json = JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8'));
    const after = json.weightsManifest[0].paths.reduce((a: number, p: string) => a + statSync(path.join(out, p)).size, 0);
    // 2,182,768 bytes of float32 weights become half; the 424 bytes of int32 shapes stay.
    expect(after).toBeLessThan(before * 0.51);
    expect(after).toBeGreaterThan(before * 0.49);
  });
});

describe('report on fixtures/mobileface with its validation faces (JSON contract v2)', () => {
  it('gives per-output cosine and SQNR for every model, from the data file', async () => {
    const r = await cli(['report', MOBILEFACE, '--data', VALIDATION, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.schemaVersion).toBe(2);
    expect(report.inputs).toBe('data');
    expect(report.data.samples).toBe(16);
    expect(report.models.length).toBeGreaterThan(1);
    for (const m of report.models) {
      console.log(`report mobileface ${m.name}: cosineMin ${m.metrics.cosineMin}, sqnrDb ${m.metrics.sqnrDb}`);
      expect(typeof m.metrics.cosineMin).toBe('number');
      expect(m.metrics.cosineMin).toBeLessThanOrEqual(1 + 1e-6);
      // The output node (the signature names it batchnorm0/add_1:0).
      expect(['batchnorm0/add_1', 'batchnorm0/add_1:0']).toContain(m.metrics.outputs[0].name);
      expect(m.metrics.outputs[0].shape).toEqual([256]);
      if (m.role === 'original') {
        expect(m.metrics.cosineMin).toBeCloseTo(1, 6);
        expect(m.metrics.sqnrDb).toBeNull();
      } else {
        expect(typeof m.metrics.sqnrDb).toBe('number');
      }
    }
    // The default recipes, with bounds from the measured figures (cosine 1 − 3.5e-7 / 0.99938 /
    // 0.90865; SQNR 62.8 / 30.5 / 8.7 dB), the same as the commands above give through stock tfjs.
    const bounds: Record<string, { cosine: number; sqnr: number }> = {
      float16: { cosine: 0.99999, sqnr: 55 },
      'int8 per channel': { cosine: 0.998, sqnr: 27 },
      'prune 50 % (layer) + int8 per channel': { cosine: 0.88, sqnr: 7 },
    };
    for (const [name, b] of Object.entries(bounds)) {
      const m = report.models.find((x: { name: string }) => x.name === name);
      expect(m, name).toBeDefined();
      expect(m.metrics.cosineMin, name).toBeGreaterThanOrEqual(b.cosine);
      expect(m.metrics.sqnrDb, name).toBeGreaterThan(b.sqnr);
    }
  });
});
