/**
 * A shard over 2 GiB is addressable: a sparse file (truncate, no 2 GiB written) whose
 * manifest puts a tensor past byte 2^31, and a tensor straddling the 2^31 boundary, is
 * loaded and read with positional reads, value for value. `fs.readFile` refuses such a
 * file, so this is what the model reader must never fall back to.
 */
import { closeSync, ftruncateSync, openSync, rmSync, statSync, writeSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/load.js';
import { tempDir } from '../helpers/synthetic.js';

const TWO_GIB = 2 ** 31;

describe('a shard over 2 GiB', () => {
  const dir = tempDir('mc-large-shard-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is read with positional reads at offsets past 2^31 (a sparse file: nothing near 2 GiB is written)', async () => {
    // Layout: a zero filler of 2^31 - 4096 bytes (a hole), a tensor straddling 2^31, then one past it.
    const fillerBytes = TWO_GIB - 4096;
    const straddle = Float32Array.from({ length: 2048 }, (_, i) => Math.sin(i) * 3);
    const past = Float32Array.from({ length: 1000 }, (_, i) => i - 500.25);
    const total = fillerBytes + straddle.byteLength + past.byteLength;
    const shard = path.join(dir, 'group1-shard1of1.bin');
    const fd = openSync(shard, 'w');
    try {
      ftruncateSync(fd, total);
      writeSync(fd, new Uint8Array(straddle.buffer), 0, straddle.byteLength, fillerBytes);
      writeSync(fd, new Uint8Array(past.buffer), 0, past.byteLength, fillerBytes + straddle.byteLength);
    } finally {
      closeSync(fd);
    }
    expect(statSync(shard).size).toBe(total);
    expect(statSync(shard).blocks * 512).toBeLessThan(64 * 1024 * 1024); // sparse: CI writes a few KB
    writeFileSync(
      path.join(dir, 'model.json'),
      JSON.stringify({
        format: 'layers-model',
        modelTopology: { class_name: 'Sequential', config: { name: 'big', layers: [] } },
        weightsManifest: [
          {
            paths: ['group1-shard1of1.bin'],
            weights: [
              { name: 'filler', shape: [fillerBytes / 4], dtype: 'float32' },
              { name: 'straddle', shape: [2048], dtype: 'float32' },
              { name: 'past', shape: [10, 100], dtype: 'float32' },
            ],
          },
        ],
      }),
    );
    const m = await loadModel(dir);
    try {
      const [, s, p] = m.tensors;
      expect(s.offset).toBeLessThan(TWO_GIB);
      expect(s.offset + s.byteLength).toBeGreaterThan(TWO_GIB);
      expect(p.offset).toBeGreaterThan(TWO_GIB);
      expect(Array.from((await m.readValues(s)) as Float32Array)).toEqual(Array.from(straddle));
      expect(Array.from((await m.readValues(p)) as Float32Array)).toEqual(Array.from(past));
      // Into a caller's buffer too (the pipeline reuses read buffers).
      const into = new Uint8Array(p.byteLength);
      expect(await m.readBytes(p, into)).toBe(into);
      expect(Array.from(new Float32Array(into.buffer))).toEqual(Array.from(past));
    } finally {
      await m.close();
    }
  });
});
