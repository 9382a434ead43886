/**
 * The figures on fixtures/mnist-mlp: pruned 75 % (layer scope) and int8 per
 * channel, the coded size against the order-0 bound, and the file against the original
 * and against brotli (quality 11) of the stock uint8 folder.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/load.js';
import { parseMcz } from '../../src/mcz/read.js';
import { encodeMcz, entropyRatio, measureTensor } from '../../src/mcz/write.js';
import { pruneInt8Tensors } from './helpers.js';

const folderBytes = (dir: string, f: (b: Buffer) => number = (b) => b.length) =>
  readdirSync(dir)
    .filter((n) => n === 'model.json' || n.endsWith('.bin'))
    .reduce((s, n) => s + f(readFileSync(path.join(dir, n))), 0);

describe('mnist-mlp, prune 0.75 + int8 per channel', async () => {
  const m = await loadModel('fixtures/mnist-mlp');
  const tensors = await pruneInt8Tensors(m, 0.75);
  await m.close();
  const { bytes, stats } = await encodeMcz(m.json, tensors);
  const ratio = entropyRatio(stats);
  const original = folderBytes('fixtures/mnist-mlp');
  const brotli = folderBytes('fixtures/mnist-uint8', (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length);
  console.log(
    `mnist-mlp prune 0.75 + int8 per channel: ${bytes.length} bytes; coded ${stats.coded} vs order-0 bound ${Math.round(stats.entropyBound)} (ratio ${ratio.toFixed(4)}); ` +
      `${(original / bytes.length).toFixed(2)}x smaller than the original (${original}); ${(brotli / bytes.length).toFixed(2)}x smaller than brotli-11 of the stock uint8 folder (${brotli})`,
  );

  it(`codes within 3 % of the order-0 bound (ratio ${ratio.toFixed(4)}, tables and positions included)`, () => {
    expect(ratio).toBeLessThanOrEqual(1.03);
    // Per tensor too, where the sample is large enough for its empirical entropy to mean something.
    for (const t of stats.perTensor.filter((x) => x.bound > 4096)) expect(t.coded).toBeLessThanOrEqual(t.bound * 1.03);
    // The pruned kernels are stored sparse; every tensor's figures are reported.
    expect(stats.perTensor.filter((t) => t.encoding.startsWith('int8 per channel')).every((t) => t.sparse)).toBe(true);
    expect(measureTensor(tensors[0])).toEqual(stats.perTensor[0]);
  });

  it(`is >= 12x smaller than the original (${(original / bytes.length).toFixed(2)}x) and >= 1.5x smaller than brotli of stock uint8 (${(brotli / bytes.length).toFixed(2)}x)`, () => {
    expect(original / bytes.length).toBeGreaterThanOrEqual(12);
    expect(brotli / bytes.length).toBeGreaterThanOrEqual(1.5);
  });

  it('decodes every tensor back to what the passes decoded', () => {
    const p = parseMcz(bytes, 'm.mcz');
    tensors.forEach((t, i) => {
      if (t.encoded) expect(Buffer.from((p.decodeTensor(i) as Float32Array).buffer).equals(Buffer.from(t.encoded.decoded.buffer))).toBe(true);
    });
  });
});
