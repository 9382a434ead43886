import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { McError } from '../../src/errors.js';
import { decodeTable, toFloat16Bits } from '../../src/model/float16.js';
import { elementIndex, encodeIntN, float16Up, groupIndex, groupLayout, intnDecode, intnGrid } from '../../src/passes/intn.js';
import type { IntNGrid, WeightTensor } from '../../src/passes/types.js';

const RUNS = { seed: 13, numRuns: 300 };

/** A random tensor with an output-channel axis (or none), and intN options. */
const cases = fc
  .record({
    shape: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
    axisPick: fc.integer({ min: -1, max: 3 }),
    bits: fc.integer({ min: 2, max: 8 }),
    groupSize: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.constant(64), fc.constant(2 ** 31)),
    symmetric: fc.boolean(),
    mag: fc.constantFrom(1e-9, 1e-3, 0.05, 1, 300),
    family: fc.constantFrom('mixed', 'positive', 'negative', 'sparse', 'zeros', 'offset'),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  })
  .map((c) => {
    const n = c.shape.reduce((a, d) => a * d, 1);
    const v = new Float32Array(n);
    let s = c.seed;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const u = (s / 2 ** 32) * 2 - 1;
      const x = c.family === 'positive' ? Math.abs(u) : c.family === 'negative' ? -Math.abs(u) : c.family === 'offset' ? 2 + u : u;
      v[i] = c.family === 'zeros' || (c.family === 'sparse' && i % 3 !== 0) ? 0 : x * c.mag;
    }
    const axis = c.axisPick < 0 || c.axisPick >= c.shape.length ? null : c.axisPick;
    const t: WeightTensor = { name: 'w', shape: c.shape, values: v };
    return { t, axis, o: { bits: c.bits, groupSize: c.groupSize, symmetric: c.symmetric, allowNonfinite: false } };
  });

/** Channel and input index of element i, as the IntNGrid comment defines them. */
function place(shape: readonly number[], axis: number | null, i: number): { c: number; j: number } {
  const l = groupLayout(shape, axis, 1);
  return { c: Math.floor(i / l.inner) % l.dim, j: Math.floor(i / (l.inner * l.dim)) * l.inner + (i % l.inner) };
}

const isFloat16 = (x: number): boolean => decodeTable()[toFloat16Bits(x)] === x;

describe('intN group codecs', () => {
  it('every value within scale/2 of its group, scales float16, 0.0 exact, on-grid values keep their codes, deterministic', () => {
    fc.assert(
      fc.property(cases, ({ t, axis, o }) => {
        const e = encodeIntN(t, axis, o);
        const g = e.encoding as { kind: 'intn' } & IntNGrid;
        expect(g.kind).toBe('intn');
        const l = groupLayout(t.shape, axis, o.groupSize);
        expect(g.scales.length).toBe(l.dim * l.groups);
        expect(g.zeros === null).toBe(o.symmetric);
        for (const s of g.scales) expect(s > 0 && isFloat16(s)).toBe(true);
        const d = e.decoded;
        const top = o.symmetric ? 2 ** (o.bits - 1) - 1 : 2 ** o.bits - 1;
        let maxError = 0;
        for (let i = 0; i < d.length; i++) {
          const { c, j } = place(t.shape, axis, i);
          expect(elementIndex(l, c, j)).toBe(i);
          const gi = groupIndex(l, c, j);
          const s = g.scales[gi];
          const err = Math.abs(d[i] - t.values[i]);
          maxError = Math.max(maxError, err);
          // Rounding to the grid, plus the double rounding of v / s; decoded values are exact products.
          expect(err).toBeLessThanOrEqual((s / 2) * (1 + 2 ** -20) + 2 ** -149);
          const z = g.zeros ? g.zeros[gi] : 0;
          const q = d[i] / s + z;
          expect(Number.isInteger(q) && q >= (o.symmetric ? -top : 0) && q <= top).toBe(true);
          if (t.values[i] === 0) expect(Object.is(d[i], 0)).toBe(true);
        }
        expect(e.stats?.maxError).toBe(maxError);
        // What the reader computes from the symbols alone.
        expect(intnDecode(e.symbols as Uint8Array, t.shape, g)).toEqual(d);
        // Values on the grid (the decoded ones) keep their codes exactly on the same grid.
        const again = encodeIntN({ ...t, values: d }, axis, o, g);
        expect(again.symbols).toEqual(e.symbols);
        expect(encodeIntN(t, axis, o).symbols).toEqual(e.symbols);
      }),
      RUNS,
    );
  });

  it('symmetric grids are symmetric; affine grids span min(0, lo)..max(0, hi) with every code', () => {
    const t: WeightTensor = { name: 'k', shape: [4, 2], values: Float32Array.of(0.1, -1, 0.2, -0.5, 0.3, 0.25, 0.7, 0.5) };
    const sym = intnGrid(t, 1, { bits: 4, groupSize: 64, symmetric: true, allowNonfinite: false });
    expect(Array.from(sym.scales)).toEqual([float16Up(0.7 / 7), float16Up(1 / 7)]);
    const aff = intnGrid(t, 1, { bits: 4, groupSize: 64, symmetric: false, allowNonfinite: false });
    // Channel 0 is all positive: its range starts at 0, so its zero code is 0; channel 1 spans [-1, 0.5].
    expect(Array.from(aff.scales)).toEqual([float16Up(0.7 / 15), float16Up(1.5 / 15)]);
    expect(Array.from(aff.zeros as Uint8Array)).toEqual([0, Math.round(1 / float16Up(1.5 / 15))]);
  });

  it('groups run along the input index of each output channel (Dense [in, out], Conv2D [h, w, in, out])', () => {
    const dense = groupLayout([130, 4], 1, 64);
    expect(dense).toMatchObject({ dim: 4, inner: 1, length: 130, groupSize: 64, groups: 3 });
    expect(groupIndex(dense, 2, 129)).toBe(2 * 3 + 2);
    expect(elementIndex(dense, 2, 129)).toBe(129 * 4 + 2);
    const conv = groupLayout([3, 3, 8, 16], 3, 64);
    expect(conv).toMatchObject({ dim: 16, length: 72, groups: 2 });
    // Input index (h * W + w) * IN + in: the im2col order.
    expect(elementIndex(conv, 5, (1 * 3 + 2) * 8 + 7)).toBe(((1 * 3 + 2) * 8 + 7) * 16 + 5);
    // DepthwiseConv2D [h, w, in, mult] with axis 2: a channel's weights are its h * w * mult multipliers.
    const dw = groupLayout([3, 3, 8, 2], 2, 64);
    expect(dw).toMatchObject({ dim: 8, inner: 2, length: 18, groupSize: 18, groups: 1 });
    expect(elementIndex(dw, 3, 5)).toBe((2 * 8 + 3) * 2 + 1);
  });

  it('refuses bad options, non-finite values and grids that do not fit, naming the tensor', () => {
    const t: WeightTensor = { name: 'k', shape: [2, 2], values: Float32Array.of(1, 2, 3, NaN) };
    const base = { bits: 4, groupSize: 2, symmetric: false, allowNonfinite: false };
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(McError);
        return `${(e as McError).code}: ${(e as McError).message}`;
      }
      throw new Error('no error');
    };
    expect(err(() => encodeIntN(t, 1, base))).toMatch(/^BAD_VALUE: tensor "k": expected finite values, found 1 NaN\/Infinity \(first at index 3\)/);
    expect(err(() => encodeIntN(t, 1, { ...base, bits: 9, allowNonfinite: true }))).toMatch(/^USAGE: tensor "k": expected bits in 2\.\.8, found 9/);
    expect(err(() => encodeIntN(t, 2, { ...base, allowNonfinite: true }))).toMatch(/^USAGE: tensor "k": expected an output-channel axis/);
    const ok: WeightTensor = { ...t, values: Float32Array.of(1, 2, 3, 4) };
    const grid = intnGrid(ok, 1, base);
    expect(err(() => encodeIntN(ok, 0, base, grid))).toMatch(/^USAGE: tensor "k": the grid given .* does not fit/);
    expect(err(() => encodeIntN(ok, 1, base, { ...grid, scales: Float32Array.of(0.1, 0.3) }))).toMatch(/grid scale 0 is 0\.1.*float16/);
    expect(err(() => encodeIntN({ ...ok, values: Float32Array.of(1e6, 0, 0, 0) }, 1, { ...base, bits: 2, symmetric: true }))).toMatch(/^BAD_VALUE: tensor "k": values up to 1000000 need an int2 scale beyond the float16 range/);
    // Allowed: NaN takes the code of 0.0.
    const nan = encodeIntN(t, 1, { ...base, allowNonfinite: true });
    expect(nan.decoded[3]).toBe(0);
    expect(nan.warnings[0]).toMatch(/tensor "k": stored 1 NaN\/Infinity value\(s\) as int4 codes/);
  });
});
