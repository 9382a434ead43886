import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { McError } from '../../src/errors.js';
import {
  GlobalHistogram,
  applyPlan,
  globalPlans,
  isPruneTarget,
  nmAxis,
  parsePattern,
  parseSparsity,
  planLayer,
  pruneNM,
  sparsityOf,
} from '../../src/passes/prune.js';
import { MagnitudeStream, rankInCounts, selectKth } from '../../src/passes/select.js';

const SEED = { seed: 7 };

/** Float32 arrays: arbitrary finite floats, values from a tiny set (many ties), or quantized-like levels. */
function weights(maxLength: number): fc.Arbitrary<Float32Array> {
  return fc.oneof(
    fc.float32Array({ noNaN: true, noDefaultInfinity: true, maxLength }),
    fc.array(fc.constantFrom(-1, 0, 1, 2, -0), { maxLength }).map((a) => Float32Array.from(a)),
    fc.array(fc.integer({ min: -8, max: 8 }), { maxLength }).map((a) => Float32Array.from(a, (q) => q * 0.0625)),
  );
}

const sparsity = fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1, 0.5));

/** Bytes of a Float32Array, so -0 and +0 differ. */
function bytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

function zerosOf(a: Float32Array): number {
  let z = 0;
  for (const x of a) if (x === 0) z++;
  return z;
}

/** Sort-based reference: zero the k smallest |w| over the tensors, ties in tensor order then index order. */
function reference(tensors: Float32Array[], k: number): Float32Array[] {
  const all: [number, number, number][] = [];
  tensors.forEach((t, ti) => t.forEach((x, i) => all.push([Math.abs(x), ti, i])));
  all.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const out = tensors.map((t) => new Float32Array(t));
  for (let j = 0; j < k; j++) out[all[j][1]][all[j][2]] = 0;
  return out;
}

function mcError(f: () => unknown): McError {
  try {
    f();
  } catch (e) {
    if (e instanceof McError) return e;
    throw e;
  }
  throw new Error('expected a McError');
}

describe('selectKth', () => {
  it('agrees with a sort on random inputs, with both pivot strategies', () => {
    fc.assert(
      fc.property(weights(400).filter((a) => a.length > 0), fc.nat(), fc.boolean(), (a, r, fallback) => {
        const k = r % a.length;
        const sorted = Float32Array.from(a).sort();
        const s = Float32Array.from(a);
        const v = selectKth(s, k, 0, s.length, fallback ? 0 : undefined);
        expect(Object.is(v, sorted[k]) || v === sorted[k]).toBe(true);
        for (let i = 0; i < k; i++) expect(s[i]).toBeLessThanOrEqual(v);
        for (let i = k + 1; i < s.length; i++) expect(s[i]).toBeGreaterThanOrEqual(v);
        expect(bytes(Float32Array.from(s).sort())).toEqual(bytes(sorted));
      }),
      { ...SEED, numRuns: 300 },
    );
  });

  it('stays inside [lo, hi) and handles sorted, reversed, organ-pipe and constant inputs', () => {
    const n = 5000;
    const inputs = [
      Float32Array.from({ length: n }, (_, i) => i),
      Float32Array.from({ length: n }, (_, i) => n - i),
      Float32Array.from({ length: n }, (_, i) => Math.min(i, n - i)),
      new Float32Array(n).fill(3),
    ];
    for (const input of inputs) {
      for (const k of [100, 2500, 4899]) {
        const a = Float32Array.from(input);
        const ref = Array.from(input.subarray(100, 4900)).sort((x, y) => x - y);
        expect(selectKth(a, k, 100, 4900)).toBe(ref[k - 100]);
        expect(Array.from(a.subarray(0, 100))).toEqual(Array.from(input.subarray(0, 100)));
        expect(Array.from(a.subarray(4900))).toEqual(Array.from(input.subarray(4900)));
      }
    }
    expect(() => selectKth(new Float32Array(3), 3)).toThrow(RangeError);
  });

  it('rankInCounts finds the bucket of the k-th item', () => {
    expect(rankInCounts([0, 2, 0, 3], 1)).toEqual({ bucket: 1, below: 0 });
    expect(rankInCounts([0, 2, 0, 3], 2)).toEqual({ bucket: 1, below: 0 });
    expect(rankInCounts([0, 2, 0, 3], 3)).toEqual({ bucket: 3, below: 2 });
    expect(() => rankInCounts([1, 1], 3)).toThrow(RangeError);
  });
});

describe('planLayer + applyPlan', () => {
  it('zeros exactly max(round(s * n), zeros already there), matching a sort-based reference byte for byte', () => {
    fc.assert(
      fc.property(weights(300), sparsity, (w, s) => {
        const k = Math.round(s * w.length);
        const out = applyPlan(w, planLayer(w, s));
        expect(zerosOf(out)).toBe(Math.max(k, zerosOf(w)));
        expect(bytes(out)).toEqual(bytes(reference([w], k)[0]));
      }),
      { ...SEED, numRuns: 400 },
    );
  });

  it('never mutates its input, writes +0 for pruned weights, and is deterministic', () => {
    fc.assert(
      fc.property(weights(200), sparsity, (w, s) => {
        const before = bytes(w);
        const plan = planLayer(w, s);
        const out = applyPlan(w, plan);
        expect(bytes(w)).toEqual(before);
        for (let i = 0; i < w.length; i++) {
          if (Math.abs(w[i]) < plan.threshold) expect(Object.is(out[i], 0)).toBe(true);
          if (out[i] !== w[i] || !Object.is(out[i], w[i])) expect(Object.is(out[i], 0)).toBe(true);
        }
        const scratch = new Float32Array(w.length + 5).fill(9);
        expect(planLayer(w, s, { scratch })).toEqual(plan);
        expect(bytes(applyPlan(w, planLayer(w, s)))).toEqual(bytes(out));
      }),
      { ...SEED, numRuns: 300 },
    );
  });

  it('handles sparsity 0 and 1, ties and already-zero weights by hand', () => {
    const w = Float32Array.from([2, -1, 0, 1, -0, 1, -1, 2]);
    expect(bytes(applyPlan(w, planLayer(w, 0)))).toEqual(bytes(w));
    const all = applyPlan(w, planLayer(w, 1));
    expect(Array.from(all, (x) => Object.is(x, 0))).toEqual(new Array(8).fill(true));
    // k = round(0.5 * 8) = 4: both zeros, then the first two of the four |w| == 1.
    expect(planLayer(w, 0.5)).toEqual({ threshold: 1, ties: 2 });
    expect(Array.from(applyPlan(w, planLayer(w, 0.5)))).toEqual([2, 0, 0, 0, 0, 1, -1, 2]);
    // Two zeros already, 1 asked (round(0.125 * 8)): the zeros stay, nothing else is pruned.
    expect(planLayer(w, 0.125)).toEqual({ threshold: 0, ties: 1 });
    expect(zerosOf(applyPlan(w, planLayer(w, 0.125)))).toBe(2);
    // Math.round: 0.5 of 7 weights is 4.
    expect(zerosOf(applyPlan(Float32Array.from([1, 2, 3, 4, 5, 6, 7]), planLayer(Float32Array.from([1, 2, 3, 4, 5, 6, 7]), 0.5)))).toBe(4);
  });

  it('rejects NaN, Infinity, bad sparsities and bad plans', () => {
    expect(mcError(() => planLayer(Float32Array.from([1, NaN]), 0.5, { name: 'd/kernel' })).message).toBe(
      'tensor "d/kernel": cannot prune a tensor holding NaN (weight 1); expected finite weights',
    );
    expect(mcError(() => planLayer(Float32Array.from([Infinity]), 0)).code).toBe('BAD_VALUE');
    for (const s of [-0.1, 1.1, NaN]) expect(mcError(() => planLayer(new Float32Array(2), s)).code).toBe('USAGE');
    expect(mcError(() => applyPlan(new Float32Array(2), { threshold: -1, ties: 0 })).code).toBe('BAD_VALUE');
    expect(mcError(() => applyPlan(new Float32Array(2), { threshold: 1, ties: 0.5 })).code).toBe('BAD_VALUE');
  });
});

const tensorSet = fc.array(weights(120), { minLength: 1, maxLength: 5 });

describe('global scope', () => {
  it('zeros exactly max(round(s * total), zeros already there) over all tensors, matching the reference', () => {
    fc.assert(
      fc.property(tensorSet, sparsity, (ws, s) => {
        const total = ws.reduce((n, w) => n + w.length, 0);
        const k = Math.round(s * total);
        const tensors = ws.map((values, i) => ({ name: `t${i}`, values }));
        const plans = globalPlans(tensors, s, { allowEmpty: true });
        const outs = ws.map((w, i) => applyPlan(w, plans[i].plan));
        const ref = reference(ws, k);
        outs.forEach((o, i) => {
          expect(bytes(o)).toEqual(bytes(ref[i]));
          expect(plans[i].zeros).toBe(zerosOf(o));
          expect(plans[i].sparsity).toBe(sparsityOf(o));
          expect(plans[i].name).toBe(`t${i}`);
        });
        const zerosBefore = ws.reduce((n, w) => n + zerosOf(w), 0);
        expect(outs.reduce((n, o) => n + zerosOf(o), 0)).toBe(Math.max(k, zerosBefore));
        expect(globalPlans(tensors, s, { allowEmpty: true })).toEqual(plans);
      }),
      { ...SEED, numRuns: 300 },
    );
  });

  it('refuses to empty a tensor unless allowEmpty, exactly when the reference empties one', () => {
    fc.assert(
      fc.property(tensorSet, sparsity, (ws, s) => {
        const total = ws.reduce((n, w) => n + w.length, 0);
        const ref = reference(ws, Math.round(s * total));
        const emptied = ws.findIndex((w, i) => w.length > 0 && zerosOf(w) < w.length && zerosOf(ref[i]) === w.length);
        const tensors = ws.map((values, i) => ({ name: `t${i}`, values }));
        if (emptied < 0) expect(globalPlans(tensors, s).length).toBe(ws.length);
        else expect(mcError(() => globalPlans(tensors, s)).message).toContain(`tensor "t${emptied}": global pruning at`);
      }),
      { ...SEED, numRuns: 300 },
    );
  });

  it('names the tensor and the percentage in the refusal, and allowEmpty lets it through', () => {
    const tensors = [
      { name: 'small', values: Float32Array.from([0.1, -0.2, 0.1, 0.3]) },
      { name: 'big', values: Float32Array.from([5, 6, -7, 8]) },
      { name: 'dead', values: new Float32Array(3) },
    ];
    // k = round(0.65 * 11) = 7: the 3 zeros of "dead", then all 4 weights of "small".
    const e = mcError(() => globalPlans(tensors, 0.65));
    expect(e.code).toBe('BAD_VALUE');
    expect(e.message).toBe(
      'tensor "small": global pruning at 65 % would zero all of its 4 weights; pass --allow-empty to allow it, or use --scope layer',
    );
    const plans = globalPlans(tensors, 0.65, { allowEmpty: true });
    expect(plans.map((p) => p.sparsity)).toEqual([1, 0, 1]);
    // An already-empty tensor is not refused: at 0.5 (k = 6) "small" keeps 0.3.
    expect(globalPlans(tensors, 0.5).map((p) => p.zeros)).toEqual([3, 0, 3]);
    // Ties at the global threshold go in tensor order: k = round(0.4 * 5) = 2 of the three 1s.
    const tied = globalPlans([{ name: 'a', values: Float32Array.from([1, 3]) }, { name: 'b', values: Float32Array.from([-1, 1, 3]) }], 0.4);
    expect(tied.map((p) => p.plan)).toEqual([{ threshold: 1, ties: 1 }, { threshold: 1, ties: 1 }]);
    expect(tied.map((p) => p.zeros)).toEqual([1, 1]);
  });

  it('streams: checks order and sizes between passes and rejects non-finite weights', () => {
    const h = new GlobalHistogram(0.5);
    h.observe('a', Float32Array.from([1, 2]));
    h.observe('b', Float32Array.from([3, 4]));
    expect(h.weights).toBe(4);
    expect(() => h.collect('b', Float32Array.from([3, 4]))).toThrow(/out of order/);
    h.collect('a', Float32Array.from([1, 2]));
    expect(() => h.observe('c', new Float32Array(1))).toThrow(/after collect/);
    expect(() => h.plans()).toThrow(/1 of 2/);
    expect(mcError(() => h.collect('b', Float32Array.from([3]))).code).toBe('SIZE_MISMATCH');
    const g = new GlobalHistogram(0.5);
    expect(mcError(() => g.observe('x', Float32Array.from([0, -Infinity]))).message).toBe(
      'tensor "x": cannot prune a tensor holding -Infinity (weight 1); expected finite weights',
    );
    expect(mcError(() => new GlobalHistogram(2)).code).toBe('USAGE');
  });

  it('keeps one entry per distinct value of the target bucket, however many repeat', () => {
    const values = new Float32Array(100_000).fill(0.5);
    const s = new MagnitudeStream();
    s.count(values, () => new Error('finite'));
    s.fix(50_000);
    const share = s.share(values);
    expect(Array.from(share.counts)).toEqual([100_000]);
    expect(s.resolve([share])).toBe(0.5);
    expect(s.split(share)).toEqual({ below: 0, equal: 100_000 });
  });

  it('finds the threshold over large random tensors like a sort does', () => {
    const ws = [1000, 7, 20_000].map((n, t) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + t) * 43758.5453 % 1));
    for (const s of [0.001, 0.37, 0.9]) {
      const plans = globalPlans(ws.map((values, i) => ({ name: `t${i}`, values })), s, { allowEmpty: true });
      const mags = ws.flatMap((w) => Array.from(w, Math.abs)).sort((a, b) => a - b);
      expect(plans[0].plan.threshold).toBe(mags[Math.round(s * mags.length) - 1]);
      expect(plans.reduce((n, p) => n + p.zeros, 0)).toBe(Math.round(s * mags.length));
    }
  });
});

/** A random tensor: rank 1..4, dims 1..7 (so axis lengths are rarely a multiple of m), and maybe an axis. */
const shaped = fc
  .array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 })
  .chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      axis: fc.option(fc.integer({ min: 0, max: shape.length - 1 }), { nil: undefined }),
      values: fc
        .array(fc.oneof(fc.float({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0, 1, -1, 2)), {
          minLength: shape.reduce((a, b) => a * b, 1),
          maxLength: shape.reduce((a, b) => a * b, 1),
        })
        .map((a) => Float32Array.from(a)),
    }),
  );

/** Reference N:M on one tensor: per group, indices sorted by (|w| desc, index asc); the first n non-zeros kept. */
function nmReference(shape: number[], values: Float32Array, n: number, m: number, axis: number): Float32Array {
  const out = new Float32Array(values.length);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const len = shape[axis];
  for (let base = 0; base < values.length; base += len * inner) {
    for (let i = 0; i < inner; i++) {
      for (let g = 0; g < len; g += m) {
        const idx = [];
        for (let j = g; j < Math.min(g + m, len); j++) idx.push(base + i + j * inner);
        idx.sort((a, b) => Math.abs(values[b]) - Math.abs(values[a]) || a - b);
        for (const at of idx.slice(0, n)) if (values[at] !== 0) out[at] = values[at];
      }
    }
  }
  return out;
}

describe('N:M', () => {
  it('keeps the n largest magnitudes of every group (tail groups included), matching the reference', () => {
    fc.assert(
      fc.property(shaped, fc.constantFrom([2, 4], [1, 4], [4, 8], [3, 5]), ({ shape, axis, values }, [n, m]) => {
        const before = bytes(values);
        const out = pruneNM({ name: 'k', shape, values }, n, m, axis);
        const ax = axis ?? Math.max(0, shape.length - 2);
        expect(bytes(out)).toEqual(bytes(nmReference(shape, values, n, m, ax)));
        expect(bytes(values)).toEqual(before);
        expect(bytes(pruneNM({ name: 'k', shape, values }, n, m, axis))).toEqual(bytes(out));
      }),
      { ...SEED, numRuns: 400 },
    );
  });

  it('uses the input axis by default and handles a tail group by hand', () => {
    expect([1, 2, 4].map(nmAxis)).toEqual([0, 0, 2]);
    // Dense [in 4, out 2]: groups run down each column.
    const dense = Float32Array.from([1, -8, 5, 2, -3, 7, 4, 1]);
    expect(Array.from(pruneNM({ name: 'd', shape: [4, 2], values: dense }, 2, 4))).toEqual([0, -8, 5, 0, 0, 7, 4, 0]);
    // Length 6 under 1:4: [3, 3, -3, 1] keeps the first 3; the tail [0, -2] keeps -2.
    const v = Float32Array.from([3, 3, -3, 1, 0, -2]);
    expect(Array.from(pruneNM({ name: 'v', shape: [6], values: v }, 1, 4))).toEqual([3, 0, 0, 0, 0, -2]);
    // Conv [1, 1, 4, 1]: axis 2; already-zero weights count as pruned, and -0 becomes +0.
    const c = pruneNM({ name: 'c', shape: [1, 1, 4, 1], values: Float32Array.from([-0, 0, 0, 5]) }, 2, 4);
    expect(bytes(c)).toEqual(bytes(Float32Array.from([0, 0, 0, 5])));
  });

  it('rejects bad patterns, axes, sizes and NaN', () => {
    const t = { name: 'k', shape: [4, 2], values: new Float32Array(8) };
    expect(mcError(() => pruneNM(t, 4, 4)).code).toBe('USAGE');
    expect(mcError(() => pruneNM(t, 2, 4, 2)).code).toBe('USAGE');
    expect(mcError(() => pruneNM({ ...t, values: new Float32Array(7) }, 2, 4)).code).toBe('SIZE_MISMATCH');
    expect(mcError(() => pruneNM({ ...t, values: new Float32Array(8).fill(NaN) }, 2, 4)).code).toBe('BAD_VALUE');
  });
});

describe('parsers and rules', () => {
  it('parseSparsity accepts fractions and percentages', () => {
    const ok: [string, number][] = [['0.5', 0.5], ['50%', 0.5], ['50 %', 0.5], ['0', 0], ['1', 1], ['100%', 1], ['.25', 0.25], ['12.5%', 0.125], [' 0.9 ', 0.9]];
    for (const [s, v] of ok) expect(parseSparsity(s)).toBe(v);
    fc.assert(fc.property(fc.integer({ min: 0, max: 100 }), (p) => parseSparsity(`${p}%`) === p / 100), { ...SEED, numRuns: 50 });
  });

  it('parseSparsity rejects anything else with USAGE', () => {
    for (const s of ['', 'abc', '1.5', '50', '150%', '-0.1', '50%%', '0.5x', 'NaN', '1e-1', '%', '0.5 0.5']) {
      const e = mcError(() => parseSparsity(s));
      expect(e.code).toBe('USAGE');
      expect(e.message).toBe(`--sparsity: expected a fraction in [0, 1] or a percentage like 50%, found "${s}"`);
    }
  });

  it('parsePattern accepts unstructured and N:M, rejects the rest with USAGE', () => {
    expect(parsePattern('unstructured')).toBe('unstructured');
    expect(parsePattern('2:4')).toEqual({ n: 2, m: 4 });
    expect(parsePattern(' 1 : 4 ')).toEqual({ n: 1, m: 4 });
    expect(parsePattern('63:64')).toEqual({ n: 63, m: 64 });
    for (const s of ['4:4', '0:4', '5:4', '2:65', '2:', 'a:b', '2:4:8', '2.5:4', '', 'structured', '-1:4']) {
      const e = mcError(() => parsePattern(s));
      expect(e.code).toBe('USAGE');
      expect(e.message).toBe(`--pattern: expected "unstructured" or N:M with 0 < N < M (e.g. 2:4), found "${s}"`);
    }
  });

  it('isPruneTarget: float32 of rank >= 2 only', () => {
    expect(isPruneTarget('float32', [3, 4])).toBe(true);
    expect(isPruneTarget('float32', [3, 3, 2, 8], true)).toBe(true);
    expect(isPruneTarget('float32', [4])).toBe(false);
    expect(isPruneTarget('float32', [])).toBe(false);
    for (const d of ['int32', 'bool', 'string', 'complex64']) expect(isPruneTarget(d, [3, 4])).toBe(false);
  });

  it('sparsityOf counts exact zeros, -0 included', () => {
    expect(sparsityOf(Float32Array.from([0, -0, 1, 2]))).toBe(0.5);
    expect(sparsityOf(new Float32Array(0))).toBe(0);
  });
});
