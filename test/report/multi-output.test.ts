/** A graph model with two outputs: report compares each output with the original's. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compressModel } from '../../src/compress.js';
import { cli } from '../helpers/cli.js';
import { tempDir, writeModel } from '../helpers/synthetic.js';
import { seededFloats } from '../helpers/tfjs.js';

const tensor = (dtype: string, dims: number[]) => ({ tensor: { dtype, tensorShape: { dim: dims.map((d) => ({ size: String(d) })) } } });

/** input [-1, 16] -> MatMul(w [16, 1024]) -> Softmax (output a) and Relu (output b). */
function twoHeadModel(dir: string): void {
  const w = seededFloats(16 * 1024, 7).map((v) => v - 0.5);
  writeModel(dir, [{ entry: { name: 'w', shape: [16, 1024], dtype: 'float32' }, bytes: new Uint8Array(w.buffer) }], {
    json: {
      format: 'graph-model',
      modelTopology: {
        node: [
          { name: 'input', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }, { size: '16' }] } } } },
          { name: 'w', op: 'Const', attr: { dtype: { type: 'DT_FLOAT' }, value: tensor('DT_FLOAT', [16, 1024]) } },
          { name: 'mm', op: 'MatMul', input: ['input', 'w'], attr: { T: { type: 'DT_FLOAT' }, transpose_a: { b: false }, transpose_b: { b: false } } },
          { name: 'a', op: 'Softmax', input: ['mm'], attr: { T: { type: 'DT_FLOAT' } } },
          { name: 'b', op: 'Relu', input: ['mm'], attr: { T: { type: 'DT_FLOAT' } } },
        ],
        library: {},
        versions: { producer: 1 },
      },
      signature: {
        inputs: { input: { name: 'input:0', dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '-1' }, { size: '16' }] } } },
        outputs: {
          a: { name: 'a:0', dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '-1' }, { size: '1024' }] } },
          b: { name: 'b:0', dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '-1' }, { size: '1024' }] } },
        },
      },
    },
  });
}

describe('multi-output graph models', () => {
  it('reports metrics per output', async () => {
    const root = tempDir();
    twoHeadModel(path.join(root, 'm'));
    await compressModel(path.join(root, 'm'), path.join(root, 'q'), { quantize: { dtype: 'uint8', perChannel: false, include: [], exclude: [], minElements: 0, allowNonfinite: false } });
    const data = path.join(root, 'x.json');
    writeFileSync(data, JSON.stringify({ inputs: Array.from({ length: 20 }, (_, i) => Array.from(seededFloats(16, i + 1))) }));
    const r = await cli(['report', path.join(root, 'm'), path.join(root, 'q'), '--data', data, '--json', '--network', '4g']);
    expect(r.code).toBe(0);
    const [o, c] = JSON.parse(r.stdout).models;
    expect(o.metrics.outputs).toHaveLength(2);
    expect(c.metrics.outputs).toHaveLength(2);
    expect(o.metrics.outputs.map((m: { maxAbsError: number }) => m.maxAbsError)).toEqual([0, 0]);
    // uint8 weights move the logits a little: both heads differ from the original, the Relu head by more.
    const [a, b] = c.metrics.outputs;
    expect(a.maxAbsError).toBeGreaterThan(0);
    expect(b.maxAbsError).toBeGreaterThan(a.maxAbsError);
    expect(b.cosine).toBeGreaterThan(0.999);
    expect(c.metrics.maxAbsError).toBe(a.maxAbsError);
  });
});
