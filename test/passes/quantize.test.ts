import '@tensorflow/tfjs-backend-cpu';
import { io } from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { McError } from '../../src/errors.js';
import { FLOAT16_MAX, toFloat16Bits } from '../../src/model/float16.js';
import { int8ToStockUint8, quantizeAffine, quantizeFloat16, quantizeInt8 } from '../../src/passes/quantize.js';
import type { Encoded, WeightTensor } from '../../src/passes/types.js';

const RUNS = { seed: 42, numRuns: 200 };
const F32_MAX = 3.4028234663852886e38;

/** A tensor named "w" (shape defaults to 1-D). */
function tensor(values: ArrayLike<number>, shape?: readonly number[], name = 'w'): WeightTensor {
  const v = Float32Array.from(values);
  return { name, shape: shape ?? [v.length], values: v };
}

/**
 * Allowed |decoded - v| for the integer passes: scale/2 from rounding to the grid, times
 * (1 + 2^-20) for double rounding in (v - min) / scale; + 2^-23 |v| for storing the
 * decoded value as float32 (2^-24 |d|) and, in affine, the float32 snap of the grid ends
 * (at most one float32 ulp of v's magnitude); + 2^-149 for float32 subnormals.
 */
const allowance = (scale: number, v: number): number => (scale / 2) * (1 + 2 ** -20) + 2 ** -23 * Math.abs(v) + 2 ** -149;

/** Random tensors: shapes of rank 0-4, and value families at magnitudes from 1e-40 to 1e30. */
function tensors(limit = F32_MAX): fc.Arbitrary<WeightTensor> {
  const shape = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 4 });
  const mag = fc.constantFrom(1e-40, 1e-30, 1e-6, 1e-3, 1, 1e3, 7e4, 1e30);
  const family = fc.constantFrom('mixed', 'positive', 'negative', 'offset', 'zeros', 'constant', 'sparse', 'any');
  return fc.tuple(shape, mag, family).chain(([s, m, f]) => {
    const n = s.reduce((a, d) => a * d, 1);
    const u = fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n });
    const any = fc.array(fc.float({ min: -limit, max: limit, noNaN: true }), { minLength: n, maxLength: n });
    return (f === 'any' ? any : u).map((xs) =>
      tensor(
        xs.map((x, i) => {
          switch (f) {
            case 'positive': return Math.abs(x) * m;
            case 'negative': return -Math.abs(x) * m;
            case 'offset': return 1000 * m + x * m; // one-signed, far from 0
            case 'zeros': return 0;
            case 'constant': return xs[0] * m;
            case 'sparse': return i % 2 === 0 ? 0 : x * m;
            default: return f === 'any' ? x : x * m;
          }
        }),
        s,
      ),
    );
  });
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
  a.length === b.length && Array.from(a).every((x, i) => Object.is(x, b[i]) || (Number.isNaN(x) && Number.isNaN(b[i])));

/** Stock tfjs decode of stored bytes with a quantization spec. */
function stockDecode(symbols: Uint8Array | Uint16Array, shape: readonly number[], quantization: io.WeightsManifestEntry['quantization']): Float32Array {
  const buf = symbols.buffer.slice(symbols.byteOffset, symbols.byteOffset + symbols.byteLength) as ArrayBuffer;
  const map = io.decodeWeights(buf, [{ name: 'w', shape: [...shape], dtype: 'float32', quantization }]);
  const out = map.w.dataSync() as Float32Array;
  map.w.dispose();
  return out;
}

/** Half to even, written independently of src/ (numpy's np.round). */
function refRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/** tensorflowjs/quantization.py quantize_weights, transcribed in float64. */
function converter(v: Float32Array, qmax: number): { scale: number; min: number; q: number[] } {
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) (min = Math.min(min, x)), (max = Math.max(max, x));
  if (min === max) return { scale: 1, min, q: Array.from(v, () => 0) };
  const scale = (max - min) / qmax;
  let [nMin, nMax] = [min, max];
  if (min <= 0 && 0 <= max) {
    nMin = -refRound((0 - min) / scale) * scale;
    nMax = qmax * scale + nMin;
  }
  return { scale, min: nMin, q: Array.from(v, (x) => refRound((Math.min(Math.max(x, nMin), nMax) - nMin) / scale)) };
}

/** True when the converter's own output re-quantizes (after the float32 decode) to itself. */
function converterIsFixed(v: Float32Array, qmax: number): boolean {
  const a = converter(v, qmax);
  const b = converter(Float32Array.from(a.q, (q) => q * a.scale + a.min), qmax);
  return a.scale === b.scale && a.min === b.min && same(a.q, b.q);
}

describe('quantizeAffine', () => {
  for (const [dtype, qmax] of [['uint8', 255], ['uint16', 65535]] as const) {
    it(`${dtype}: error <= scale/2 (+ allowance), 0.0 exact, stock decode formula, close to the converter`, () => {
      fc.assert(
        fc.property(tensors(Math.fround(1e38)), (t) => {
          const r = quantizeAffine(t, { dtype });
          if (r.encoding.kind !== 'affine') throw new Error('kind');
          const { scale, min } = r.encoding;
          const q = r.symbols;
          expect(q).toBeInstanceOf(dtype === 'uint8' ? Uint8Array : Uint16Array);
          const ref = converter(t.values, qmax);
          const exact = converterIsFixed(t.values, qmax);
          if (exact) expect([scale, min, Array.from(q)]).toEqual([ref.scale, ref.min + 0, ref.q]);
          else expect(Math.abs(scale / ref.scale - 1)).toBeLessThanOrEqual(1 / (2 * qmax));
          t.values.forEach((v, i) => {
            expect(r.decoded[i]).toBe(Math.fround(q[i] * scale + min));
            expect(Math.abs(r.decoded[i] - v)).toBeLessThanOrEqual(allowance(scale, v));
            expect(Math.abs(q[i] - ref.q[i])).toBeLessThanOrEqual(1);
            if (v === 0) expect(r.decoded[i]).toBe(0);
          });
          expect(r.warnings).toEqual([]);
        }),
        RUNS,
      );
    });

    it(`${dtype}: idempotent (re-quantizing decoded gives the same symbols and encoding)`, () => {
      fc.assert(
        fc.property(tensors(Math.fround(1e38)), (t) => {
          const a = quantizeAffine(t, { dtype });
          const b = quantizeAffine({ ...t, values: a.decoded }, { dtype });
          expect(b.encoding).toEqual(a.encoding);
          expect(same(b.symbols, a.symbols)).toBe(true);
          expect(same(b.decoded, a.decoded)).toBe(true);
        }),
        RUNS,
      );
    });

    it(`${dtype}: stock tfjs decodeWeights gives exactly \`decoded\``, () => {
      fc.assert(
        fc.property(tensors(Math.fround(1e38)), (t) => {
          const r = quantizeAffine(t, { dtype });
          if (r.encoding.kind !== 'affine' || r.symbols instanceof Float32Array || r.symbols instanceof Int8Array) throw new Error('kind');
          const got = stockDecode(r.symbols, t.shape, { dtype, scale: r.encoding.scale, min: r.encoding.min });
          expect(same(got, r.decoded)).toBe(true);
        }),
        { seed: 42, numRuns: 60 },
      );
    });
  }

  it('matches the converter on hand-worked examples', () => {
    // [-1, 0, 0.5, 2]: scale = 3/255 = 1/85; 0 in range so zp = round(1 / (1/85)) = 85,
    // min = -85/85 = -1; 0.5 -> (0.5 + 1) * 85 = 127.5 -> 128 (half to even).
    const a = quantizeAffine(tensor([-1, 0, 0.5, 2]), { dtype: 'uint8' });
    expect(a.encoding).toEqual({ kind: 'affine', dtype: 'uint8', scale: 3 / 255, min: -1 });
    expect(Array.from(a.symbols)).toEqual([0, 85, 128, 255]);
    expect(Array.from(a.decoded)).toEqual([-1, 0, Math.fround(128 * (3 / 255) - 1), 2]);
    // uint16: scale 3/65535 = 1/21845, zp 21845, 0.5 -> 1.5 * 21845 = 32767.5 -> 32768.
    const b = quantizeAffine(tensor([-1, 0, 0.5, 2]), { dtype: 'uint16' });
    expect(b.encoding).toEqual({ kind: 'affine', dtype: 'uint16', scale: 3 / 65535, min: -1 });
    expect(Array.from(b.symbols)).toEqual([0, 21845, 32768, 65535]);
    // Positive only: no nudge, min = 0.25, scale = 0.75/255; 0.5 -> 0.25 * 340 = 85.
    const c = quantizeAffine(tensor([0.25, 0.5, 1]), { dtype: 'uint8' });
    expect(c.encoding).toEqual({ kind: 'affine', dtype: 'uint8', scale: 0.75 / 255, min: 0.25 });
    expect(Array.from(c.symbols)).toEqual([0, 85, 255]);
    // Negative only: min = -2, scale = 1.5/255; -1 -> 1 * 170 = 170.
    const d = quantizeAffine(tensor([-2, -1, -0.5]), { dtype: 'uint8' });
    expect(d.encoding).toEqual({ kind: 'affine', dtype: 'uint8', scale: 1.5 / 255, min: -2 });
    expect(Array.from(d.symbols)).toEqual([0, 170, 255]);
    // Zero range: all q = 0, scale 1, min the value; all zeros likewise with min 0.
    const e = quantizeAffine(tensor([3, 3, 3]), { dtype: 'uint8' });
    expect([e.encoding, Array.from(e.symbols), Array.from(e.decoded)]).toEqual([{ kind: 'affine', dtype: 'uint8', scale: 1, min: 3 }, [0, 0, 0], [3, 3, 3]]);
    const z = quantizeAffine(tensor([0, -0, 0]), { dtype: 'uint16' });
    expect([z.encoding, Array.from(z.decoded)]).toEqual([{ kind: 'affine', dtype: 'uint16', scale: 1, min: 0 }, [0, 0, 0]]);
  });

  it('snaps a nudged grid whose ends are not float32 to one that is, keeping zp and 0.0', () => {
    // [-0.3, 0.7] (as float32): range 1.0000000, zp = round(0.3 * 255) = 77; the
    // converter's min -77 * scale is no float32, so its decode re-derives another scale.
    const t = tensor([-0.3, 0.7, 0]);
    const ref = converter(t.values, 255);
    expect(converterIsFixed(t.values, 255)).toBe(false);
    const r = quantizeAffine(t, { dtype: 'uint8' });
    if (r.encoding.kind !== 'affine') throw new Error('kind');
    expect(r.encoding.min / r.encoding.scale).toBe(-77);
    expect(Math.abs(r.encoding.scale / ref.scale - 1)).toBeLessThan(2 ** -21);
    expect(Array.from(r.symbols)).toEqual([0, 255, 77]);
    expect(r.decoded[2]).toBe(0);
    // Its decoded ends are float32 values from which the converter derives this grid.
    const again = converter(r.decoded, 255);
    expect([again.scale, again.min]).toEqual([r.encoding.scale, r.encoding.min]);
  });

  it('refuses NaN/Infinity by default, naming the tensor, the count and the first index', () => {
    const f = () => quantizeAffine(tensor([1, NaN, Infinity, -Infinity, 2], undefined, 'dense/kernel'), { dtype: 'uint8' });
    expect(f).toThrow(McError);
    expect(f).toThrow('tensor "dense/kernel": expected finite values, found 3 NaN/Infinity (first at index 1); pass --allow-nonfinite to keep them');
    try {
      f();
    } catch (e) {
      expect((e as McError).code).toBe('BAD_VALUE');
    }
  });

  it('with allowNonfinite: range from finite values, NaN -> code of 0.0, +Inf top, -Inf bottom', () => {
    const a = quantizeAffine(tensor([-1, 0, 2, NaN, Infinity, -Infinity]), { dtype: 'uint8', allowNonfinite: true });
    expect(Array.from(a.symbols)).toEqual([0, 85, 255, 85, 255, 0]);
    expect(Array.from(a.decoded)).toEqual([-1, 0, 2, 0, 2, -1]);
    expect(a.warnings).toHaveLength(1);
    expect(a.warnings[0]).toContain('tensor "w"');
    // 0 outside the range: NaN takes the code nearest 0.
    const pos = quantizeAffine(tensor([1, 2, NaN]), { dtype: 'uint8', allowNonfinite: true });
    expect(Array.from(pos.decoded)).toEqual([1, 2, 1]);
    const neg = quantizeAffine(tensor([-2, -1, NaN]), { dtype: 'uint8', allowNonfinite: true });
    expect(Array.from(neg.decoded)).toEqual([-2, -1, -1]);
    // One finite value, or none: every code 0.
    const one = quantizeAffine(tensor([5, NaN, Infinity]), { dtype: 'uint16', allowNonfinite: true });
    expect(Array.from(one.decoded)).toEqual([5, 5, 5]);
    const none = quantizeAffine(tensor([NaN, -Infinity]), { dtype: 'uint16', allowNonfinite: true });
    expect([none.encoding, Array.from(none.decoded)]).toEqual([{ kind: 'affine', dtype: 'uint16', scale: 1, min: 0 }, [0, 0]]);
    // Idempotent too: the decoded values are finite and on the same grid.
    const b = quantizeAffine({ ...tensor([]), values: a.decoded }, { dtype: 'uint8' });
    expect([b.encoding, Array.from(b.symbols)]).toEqual([a.encoding, Array.from(a.symbols)]);
  });

  it('at the float32 limit: refuses a grid whose end would decode to Infinity, warns where it cannot be idempotent', () => {
    expect(() => quantizeAffine(tensor([-F32_MAX, F32_MAX]), { dtype: 'uint8' })).toThrow(/float32 limit/);
    const r = quantizeAffine(tensor([-3.4e38, 3.4e38, 0]), { dtype: 'uint8' });
    expect(r.decoded.every(Number.isFinite)).toBe(true);
    expect(r.warnings.join()).toContain('re-quantizes');
  });
});

/** Index → channel along `axis`, written independently of src/: unravel the flat index. */
function channelOf(i: number, shape: readonly number[], axis: number): number {
  let rest = i;
  for (let d = shape.length - 1; d > axis; d--) rest = Math.floor(rest / shape[d]);
  return rest % shape[axis];
}

/** A random tensor of rank >= 1 with a random axis. */
const withAxis = tensors()
  .filter((t) => t.shape.length > 0)
  .chain((t) => fc.integer({ min: -t.shape.length, max: t.shape.length - 1 }).map((axis) => ({ t, axis })));

/**
 * An int8 scale is max|v| / 127 as a float32 (to 2^-22), floored at 2^-126; 1 for a slice
 * whose codes are all 0 (all zero, or max|v| <= 2^-127, half the floor).
 */
function expectInt8Scale(s: number, maxAbs: number): void {
  if (maxAbs <= 2 ** -127) expect(s).toBe(1);
  else if (maxAbs / 127 <= 2 ** -126) expect(s).toBe(2 ** -126);
  else expect(Math.abs(s - maxAbs / 127)).toBeLessThanOrEqual(2 ** -22 * s);
}

function int8Parts(r: Encoded): { q: Int8Array; scales: Float32Array; axis: number | null } {
  if (r.encoding.kind !== 'int8' || !(r.symbols instanceof Int8Array)) throw new Error('kind');
  return { q: r.symbols, scales: r.encoding.scales, axis: r.encoding.axis };
}

describe('quantizeInt8', () => {
  it('per tensor: q in [-127, 127], error <= scale/2, 0.0 exact, scale = max|v| / 127 in float32 (floor 2^-126)', () => {
    fc.assert(
      fc.property(tensors(), (t) => {
        const r = quantizeInt8(t, { axis: null });
        const { q, scales, axis } = int8Parts(r);
        expect([axis, scales.length]).toEqual([null, 1]);
        const s = scales[0];
        const maxAbs = t.values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expectInt8Scale(s, maxAbs);
        t.values.forEach((v, i) => {
          expect(Math.abs(q[i])).toBeLessThanOrEqual(127);
          expect(r.decoded[i]).toBe(Math.fround(q[i] * s));
          expect(Math.abs(r.decoded[i] - v)).toBeLessThanOrEqual(allowance(s, v));
          if (v === 0) expect(r.decoded[i]).toBe(0);
        });
      }),
      RUNS,
    );
  });

  it('per tensor: the stock uint8 form (q + 128, min = -128 * scale) decodes to exactly `decoded`', () => {
    fc.assert(
      fc.property(tensors(), (t) => {
        const r = quantizeInt8(t, { axis: null });
        const { q, scales } = int8Parts(r);
        const stock = int8ToStockUint8(r, t.name);
        expect(stock.scale).toBe(scales[0]);
        expect(stock.min).toBe(-128 * scales[0]);
        stock.q.forEach((u, i) => {
          expect(u).toBe(q[i] + 128);
          expect(Math.fround(u * stock.scale + stock.min)).toBe(r.decoded[i]);
        });
      }),
      RUNS,
    );
    fc.assert(
      fc.property(tensors(), (t) => {
        const r = quantizeInt8(t, { axis: null });
        const stock = int8ToStockUint8(r);
        const got = stockDecode(stock.q, t.shape, { dtype: 'uint8', scale: stock.scale, min: stock.min });
        expect(same(got, r.decoded)).toBe(true);
      }),
      { seed: 42, numRuns: 60 },
    );
  });

  it('per channel, any axis of any rank: each element within its own channel scale', () => {
    fc.assert(
      fc.property(withAxis, ({ t, axis }) => {
        const r = quantizeInt8(t, { axis });
        const { q, scales, axis: stored } = int8Parts(r);
        const a = axis < 0 ? axis + t.shape.length : axis;
        expect(stored).toBe(a);
        expect(scales.length).toBe(t.shape[a]);
        const maxAbs = new Array<number>(t.shape[a]).fill(0);
        t.values.forEach((v, i) => {
          const c = channelOf(i, t.shape, a);
          maxAbs[c] = Math.max(maxAbs[c], Math.abs(v));
        });
        maxAbs.forEach((m, c) => expectInt8Scale(scales[c], m));
        t.values.forEach((v, i) => {
          const s = scales[channelOf(i, t.shape, a)];
          expect(Math.abs(q[i])).toBeLessThanOrEqual(127);
          expect(r.decoded[i]).toBe(Math.fround(q[i] * s));
          expect(Math.abs(r.decoded[i] - v)).toBeLessThanOrEqual(allowance(s, v));
          if (v === 0) expect(r.decoded[i]).toBe(0);
        });
      }),
      RUNS,
    );
  });

  it('idempotent, per tensor and per channel', () => {
    fc.assert(
      fc.property(withAxis, fc.boolean(), ({ t, axis }, perTensor) => {
        const opts = { axis: perTensor ? null : axis };
        const a = quantizeInt8(t, opts);
        const b = quantizeInt8({ ...t, values: a.decoded }, opts);
        expect(b.encoding).toEqual(a.encoding);
        expect(same(b.symbols, a.symbols)).toBe(true);
        expect(same(b.decoded, a.decoded)).toBe(true);
      }),
      RUNS,
    );
  });

  it('hand-worked: Dense kernel [2, 3] per output channel (axis -1), and a zero channel', () => {
    const t = tensor([1, -0.5, 0, -2, 0.25, 0], [2, 3]);
    const r = quantizeInt8(t, { axis: -1 });
    const { q, scales, axis } = int8Parts(r);
    expect(axis).toBe(1);
    // Columns: [1, -2] -> scale 2/127; [-0.5, 0.25] -> 0.5/127; [0, 0] -> 1 (all zero).
    expect(Array.from(scales)).toEqual([Math.fround(2 / 127), Math.fround(0.5 / 127), 1]);
    // 1 / (2/127) = 63.5 -> 64 (half to even); 0.25 / (0.5/127) = 63.5 -> 64.
    expect(Array.from(q)).toEqual([64, -127, 0, -127, 64, 0]);
    const whole = quantizeInt8(tensor([0, 0, -0]), { axis: null });
    expect([Array.from(int8Parts(whole).scales), Array.from(whole.symbols), Array.from(whole.decoded)]).toEqual([[1], [0, 0, 0], [0, 0, 0]]);
  });

  it('at the float32 limit: code 127 still decodes finite, within half a step, idempotently', () => {
    const t = tensor([F32_MAX, -F32_MAX, 1e38, 0]);
    const r = quantizeInt8(t, { axis: null });
    const s = int8Parts(r).scales[0];
    expect(Array.from(r.symbols)).toEqual([127, -127, 37, 0]);
    expect(Math.fround(127 * s)).toBeLessThanOrEqual(F32_MAX);
    t.values.forEach((v, i) => expect(Math.abs(r.decoded[i] - v)).toBeLessThanOrEqual(allowance(s, v)));
    const again = quantizeInt8({ ...t, values: r.decoded }, { axis: null });
    expect([again.encoding, Array.from(again.symbols)]).toEqual([r.encoding, Array.from(r.symbols)]);
  });

  it('non-finite: refused by default; with allowNonfinite NaN -> 0, +Inf -> 127, -Inf -> -127', () => {
    expect(() => quantizeInt8(tensor([1, 2, Infinity]), { axis: null })).toThrow(
      'tensor "w": expected finite values, found 1 NaN/Infinity (first at index 2); pass --allow-nonfinite to keep them',
    );
    const r = quantizeInt8(tensor([NaN, Infinity, -Infinity, 1]), { axis: null, allowNonfinite: true });
    expect(Array.from(r.symbols)).toEqual([0, 127, -127, 127]);
    expect(int8Parts(r).scales[0]).toBe(Math.fround(1 / 127));
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain('tensor "w"');
    // A channel with no finite non-zero value has one code, 0: Infinity there decodes to 0.
    const pc = quantizeInt8(tensor([0, 2, Infinity, NaN, -Infinity, -1], [3, 2]), { axis: 1, allowNonfinite: true });
    expect([Array.from(int8Parts(pc).scales), Array.from(pc.symbols)]).toEqual([[1, Math.fround(2 / 127)], [0, 127, 0, 0, 0, -64]]);
    const again = quantizeInt8({ ...tensor([]), shape: [3, 2], values: pc.decoded }, { axis: 1 });
    expect([again.encoding, Array.from(again.symbols)]).toEqual([pc.encoding, Array.from(pc.symbols)]);
  });

  it('rejects a bad axis, and per-channel in the stock form', () => {
    expect(() => quantizeInt8(tensor([1, 2], [2]), { axis: 1 })).toThrow(McError);
    expect(() => quantizeInt8(tensor([1, 2], [2]), { axis: 0.5 })).toThrow(/per-channel axis/);
    const pc = quantizeInt8(tensor([1, 2, 3, 4], [2, 2]), { axis: 1 });
    expect(() => int8ToStockUint8(pc, 'dense/kernel')).toThrow(/tensor "dense\/kernel": per-channel.*model\.mcz.*--per-channel/);
    try {
      int8ToStockUint8(pc);
    } catch (e) {
      expect((e as McError).code).toBe('UNSUPPORTED');
    }
    expect(() => int8ToStockUint8(quantizeFloat16(tensor([1]), {}))).toThrow(/expected an int8 encoding/);
  });
});

/** Half a float16 ulp at v's magnitude (2^-25 in the subnormal range). */
function halfUlp16(v: number): number {
  const bits = new Uint32Array(Float32Array.of(v).buffer)[0];
  const e = ((bits >>> 23) & 0xff) - 127;
  return e < -14 ? 2 ** -25 : 2 ** (e - 11);
}

describe('quantizeFloat16', () => {
  it('round to nearest even within half an ulp, saturating beyond ±65504, idempotent', () => {
    fc.assert(
      fc.property(tensors(), (t) => {
        const r = quantizeFloat16(t, {});
        expect(r.encoding).toEqual({ kind: 'float16' });
        if (!(r.symbols instanceof Uint16Array)) throw new Error('symbols');
        let saturated = 0;
        t.values.forEach((v, i) => {
          if (Math.abs(v) > FLOAT16_MAX) {
            saturated++;
            expect(r.decoded[i]).toBe(Math.sign(v) * FLOAT16_MAX);
          } else {
            expect(r.symbols[i]).toBe(toFloat16Bits(v));
            expect(Math.abs(r.decoded[i] - v)).toBeLessThanOrEqual(halfUlp16(v));
          }
          if (v === 0) expect(Object.is(r.decoded[i], v)).toBe(true); // 0 stays 0, sign kept
        });
        expect(r.warnings).toHaveLength(saturated > 0 ? 1 : 0);
        if (saturated > 0) expect(r.warnings[0]).toContain(`${saturated} value(s)`);
        const again = quantizeFloat16({ ...t, values: r.decoded }, {});
        expect(same(again.symbols, r.symbols)).toBe(true);
        expect(again.warnings).toEqual([]);
      }),
      RUNS,
    );
  });

  it('stock tfjs decodeWeights (float16) gives exactly `decoded`, NaN and Infinity included', () => {
    fc.assert(
      fc.property(tensors(), fc.boolean(), (t, holes) => {
        const values = Float32Array.from(t.values);
        if (holes && values.length > 2) [values[0], values[1], values[2]] = [NaN, Infinity, -Infinity];
        const r = quantizeFloat16({ ...t, values }, { allowNonfinite: true });
        if (!(r.symbols instanceof Uint16Array)) throw new Error('symbols');
        expect(same(stockDecode(r.symbols, t.shape, { dtype: 'float16' }), r.decoded)).toBe(true);
      }),
      { seed: 42, numRuns: 60 },
    );
  });

  it('hand-worked: ties to even, subnormals, saturation warning', () => {
    const r = quantizeFloat16(tensor([1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -24, 2 ** -25, 3 * 2 ** -25, 70000, -1e30, 65519, 65504, -0]), {});
    expect(Array.from(r.symbols)).toEqual([0x3c00, 0x3c02, 0x0001, 0x0000, 0x0002, 0x7bff, 0xfbff, 0x7bff, 0x7bff, 0x8000]);
    expect(r.warnings).toEqual(['tensor "w": 3 value(s) beyond ±65504 (the float16 range) saturated to ±65504']);
  });

  it('non-finite: refused by default; kept as float16 NaN/Infinity when allowed', () => {
    expect(() => quantizeFloat16(tensor([0, NaN]), {})).toThrow(/found 1 NaN\/Infinity \(first at index 1\)/);
    const r = quantizeFloat16(tensor([NaN, Infinity, -Infinity, 1]), { allowNonfinite: true });
    expect(Array.from(r.symbols)).toEqual([0x7e00, 0x7c00, 0xfc00, 0x3c00]);
    expect(Array.from(r.decoded)).toEqual([NaN, Infinity, -Infinity, 1]);
    expect(r.warnings).toEqual(['tensor "w": kept 3 NaN/Infinity value(s) as float16 NaN/Infinity (--allow-nonfinite)']);
  });
});
