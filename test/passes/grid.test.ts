/** Which stored grids a request keeps, the zero code, and re-coding pruned values on a stored grid bit for bit. */
import { describe, expect, it } from 'vitest';
import { decodeEntry } from '../../src/model/decode.js';
import type { Quantization } from '../../src/model/manifest.js';
import { keepsGrid, recodeOnGrid, zeroCode } from '../../src/passes/grid.js';
import { applyPlan, planLayer } from '../../src/passes/prune.js';
import { seededFloats } from '../helpers/tfjs.js';

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('keepsGrid', () => {
  const u8: Quantization = { dtype: 'uint8', scale: 0.01, min: -0.5 };
  const u16: Quantization = { dtype: 'uint16', scale: 1e-5, min: -0.3 };
  const f16: Quantization = { dtype: 'float16' };
  it('keeps uint8 for int8 and uint8, uint16 for uint16, float16 for float16', () => {
    expect(keepsGrid(u8, 'int8', false)).toBe(true);
    expect(keepsGrid(u8, 'uint8', false)).toBe(true);
    expect(keepsGrid(u16, 'uint16', false)).toBe(true);
    expect(keepsGrid(f16, 'float16', false)).toBe(true);
  });
  it('re-quantizes onto another kind of grid, and float32 tensors', () => {
    expect(keepsGrid(u8, 'uint16', false)).toBe(false);
    expect(keepsGrid(u8, 'float16', false)).toBe(false);
    expect(keepsGrid(u16, 'int8', false)).toBe(false);
    expect(keepsGrid(u16, 'uint8', false)).toBe(false);
    expect(keepsGrid(f16, 'int8', false)).toBe(false);
    expect(keepsGrid(undefined, 'int8', false)).toBe(false);
  });
  it('a pruned tensor keeps its grid only when 0.0 is one of its codes', () => {
    expect(keepsGrid(u8, 'int8', true)).toBe(true);
    expect(keepsGrid({ dtype: 'uint8', scale: 0.01, min: 0.5 }, 'int8', true)).toBe(false);
    expect(keepsGrid({ dtype: 'uint8', scale: 0.01, min: -0.505 }, 'uint8', true)).toBe(false);
    expect(keepsGrid(f16, 'float16', true)).toBe(true);
  });
});

describe('zeroCode', () => {
  it('is the code that decodes to exactly +0, or -1', () => {
    expect(zeroCode({ dtype: 'uint8', scale: 0.01, min: -0.5 })).toBe(50);
    expect(zeroCode({ dtype: 'uint8', scale: 1, min: 0 })).toBe(0);
    expect(zeroCode({ dtype: 'uint8', scale: 1, min: -255 })).toBe(255);
    expect(zeroCode({ dtype: 'uint8', scale: 1, min: -256 })).toBe(-1);
    expect(zeroCode({ dtype: 'uint8', scale: 0.01, min: 0.5 })).toBe(-1);
    expect(zeroCode({ dtype: 'uint16', scale: 3e-5, min: -3e-5 * 40000 })).toBe(40000);
  });
});

describe('recodeOnGrid', () => {
  for (const dtype of ['uint8', 'uint16'] as const) {
    it(`${dtype}: pruned values decode bit for bit, unpruned codes unchanged`, () => {
      const n = 4000;
      const qmax = dtype === 'uint8' ? 255 : 65535;
      // A converter-style grid whose min is a float64 (not a float32): zero code 3/7 of the way up.
      const scale = 0.8 / qmax;
      const zp = Math.round((qmax * 3) / 7);
      const q: Quantization = { dtype, scale, min: -zp * scale };
      const r = seededFloats(n, 11);
      const codes = dtype === 'uint8' ? new Uint8Array(n) : new Uint16Array(n);
      for (let i = 0; i < n; i++) codes[i] = Math.floor(r[i] * (qmax + 1));
      const bytes = new Uint8Array(codes.buffer);
      const entry = { name: 'w', shape: [40, 100], dtype: 'float32' as const, quantization: q };
      const values = decodeEntry(entry, bytes) as Float32Array;
      const pruned = applyPlan(values, planLayer(values, 0.6));
      const enc = recodeOnGrid(q, codes, pruned);
      expect(enc.encoding).toEqual({ kind: 'affine', dtype, scale, min: q.min });
      expect(bits(enc.decoded)).toEqual(bits(pruned));
      // What stock tfjs decodes from the re-coded bytes is the pruned tensor too.
      const s = enc.symbols as Uint8Array | Uint16Array;
      expect(bits(decodeEntry(entry, new Uint8Array(s.buffer, s.byteOffset, s.byteLength)) as Float32Array)).toEqual(bits(pruned));
      let changed = 0;
      for (let i = 0; i < n; i++) {
        if (s[i] !== codes[i]) {
          changed++;
          expect(s[i]).toBe(zp);
        }
      }
      expect(changed).toBeGreaterThan(0.5 * n);
      expect(codes[0]).toBe(Math.floor(r[0] * (qmax + 1))); // the input codes are not touched
    });
  }
});
