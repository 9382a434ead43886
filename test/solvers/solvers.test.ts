import { describe, expect, it } from 'vitest';
import { HessianAccumulator } from '../../src/solvers/hessian.js';
import { applyInverse, cholesky, choleskySolve, upperCholeskyOfInverse } from '../../src/solvers/linalg.js';
import { outputError, reconstructExact } from '../../src/solvers/exact.js';
import { solveLayer } from '../../src/solvers/layer.js';
import { sweep, type LayerGrid } from '../../src/solvers/sweep.js';

/** Seeded uniform [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n samples of d correlated inputs (a random mix of d latent factors, plus an offset), row-major. */
function inputs(n: number, d: number, seed: number): Float64Array {
  const r = rng(seed);
  const mix = Float64Array.from({ length: d * d }, () => r() * 2 - 1);
  const x = new Float64Array(n * d);
  const z = new Float64Array(d);
  for (let s = 0; s < n; s++) {
    for (let k = 0; k < d; k++) z[k] = r() * 2 - 1;
    for (let i = 0; i < d; i++) {
      let v = 0.3;
      for (let k = 0; k < d; k++) v += mix[i * d + k] * z[k] * (k < d / 3 ? 1 : 0.1);
      x[s * d + i] = v;
    }
  }
  return x;
}

/** Gaussian elimination with partial pivoting: the test's own reference solve of A x = b. */
function gaussSolve(a0: Float64Array, b0: Float64Array, n: number): Float64Array {
  const a = new Float64Array(a0);
  const b = new Float64Array(b0);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]) > Math.abs(a[p * n + k])) p = i;
    for (let j = 0; j < n; j++) [a[k * n + j], a[p * n + j]] = [a[p * n + j], a[k * n + j]];
    [b[k], b[p]] = [b[p], b[k]];
    for (let i = k + 1; i < n; i++) {
      const f = a[i * n + k] / a[k * n + k];
      for (let j = k; j < n; j++) a[i * n + j] -= f * a[k * n + j];
      b[i] -= f * b[k];
    }
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let j = i + 1; j < n; j++) s -= a[i * n + j] * x[j];
    x[i] = s / a[i * n + i];
  }
  return x;
}

function hessianOf(x: Float64Array, n: number, d: number): { h: Float64Array; mean: Float64Array } {
  const acc = new HessianAccumulator(d);
  // In uneven batches, to cover the chunking.
  for (let at = 0; at < n; ) {
    const k = Math.min(n - at, 37 + (at % 300));
    acc.addRows(x, k, at * d);
    at += k;
  }
  return acc.result();
}

/** ||X (w - w0)ᵀ||² / N summed over rows: the mean squared layer-output error, computed from the data. */
function dataError(x: Float64Array, n: number, d: number, w: ArrayLike<number>, w0: ArrayLike<number>, rows: number): number {
  let total = 0;
  for (let s = 0; s < n; s++) {
    for (let r = 0; r < rows; r++) {
      let e = 0;
      for (let c = 0; c < d; c++) e += (w[r * d + c] - w0[r * d + c]) * x[s * d + c];
      total += e * e;
    }
  }
  return total / n;
}

const D = 24;
const N = 600;
const ROWS = 7;

function weights(seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: ROWS * D }, () => (r() * 2 - 1) * (r() < 0.2 ? 1 : 0.3));
}

describe('linear algebra', () => {
  it('Cholesky solves as a direct solve does', () => {
    const x = inputs(200, 12, 3);
    const { h } = hessianOf(x, 200, 12);
    for (let i = 0; i < 12; i++) h[i * 12 + i] += 0.01;
    const b = Float64Array.from({ length: 12 }, (_, i) => Math.sin(i + 1));
    const ref = gaussSolve(h, b, 12);
    const l = new Float64Array(h);
    expect(cholesky(l, 12)).toBe(true);
    const got = new Float64Array(b);
    choleskySolve(l, 12, got);
    for (let i = 0; i < 12; i++) expect(got[i]).toBeCloseTo(ref[i], 8);
    // The same solve through the upper factor of the inverse (damping 1e-12 of the mean diagonal on top of the 0.01 above).
    const { u } = upperCholeskyOfInverse(h, 12, 1e-12, 'test');
    const viaU = applyInverse(u, 12, b);
    for (let i = 0; i < 12; i++) expect(viaU[i]).toBeCloseTo(ref[i], 6);
  });

  it('the upper factor U of the damped inverse gives Uᵀ U (H + λI) = I', () => {
    const x = inputs(300, 10, 4);
    const { h } = hessianOf(x, 300, 10);
    const { u, damped } = upperCholeskyOfInverse(h, 10, 0.01, 'test');
    for (let i = 0; i < 10; i++) for (let j = 0; j < i; j++) expect(u[i * 10 + j]).toBe(0);
    for (let i = 0; i < 10; i++) {
      for (let j = 0; j < 10; j++) {
        let s = 0;
        for (let k = 0; k < 10; k++) {
          let inv = 0;
          for (let m = 0; m < 10; m++) inv += u[m * 10 + i] * u[m * 10 + k];
          s += inv * (h[k * 10 + j] + (k === j ? damped.lambda : 0));
        }
        expect(s).toBeCloseTo(i === j ? 1 : 0, 8);
      }
    }
  });

  it('a Hessian of NaN inputs fails with one error naming the layer', () => {
    const h = new Float64Array(4).fill(NaN);
    expect(() => upperCholeskyOfInverse(h, 2, 0.01, 'tensor "d/kernel"')).toThrow(/tensor "d\/kernel": the calibration Hessian \(2 x 2.*not positive definite/);
  });

  it('the streamed Hessian equals 2 X Xᵀ / N computed directly, and the mean the data mean', () => {
    const x = inputs(N, D, 5);
    const { h, mean } = hessianOf(x, N, D);
    for (let i = 0; i < D; i++) {
      let m = 0;
      for (let s = 0; s < N; s++) m += x[s * D + i];
      expect(mean[i]).toBeCloseTo(m / N, 12);
      for (let j = 0; j < D; j++) {
        let v = 0;
        for (let s = 0; s < N; s++) v += x[s * D + i] * x[s * D + j];
        expect(h[i * D + j]).toBeCloseTo((2 * v) / N, 10);
      }
    }
  });
});

describe('pruning with reconstruction', () => {
  const x = inputs(N, D, 7);
  const { h, mean } = hessianOf(x, N, D);
  const w0 = weights(8);

  it('the exact reconstruction for a fixed mask is the least-squares optimum of the normal equations', () => {
    const s = solveLayer({ name: 't', rows: ROWS, cols: D, w0, h, mean }, { prune: { kind: 'unstructured', sparsity: 0.6, maskBlock: D }, grid: null, damp: 1e-9 });
    expect(s.exact).toBe(true);
    const mask = s.mask as Uint8Array;
    // Reference: per row, minimise ||X_S w_S - X w0||² by solving X_Sᵀ X_S w_S = X_Sᵀ X w0 directly.
    for (let r = 0; r < ROWS; r++) {
      const kept = [...Array(D).keys()].filter((c) => !mask[r * D + c]);
      const k = kept.length;
      const a = new Float64Array(k * k);
      const b = new Float64Array(k);
      for (let sIdx = 0; sIdx < N; sIdx++) {
        let y = 0;
        for (let c = 0; c < D; c++) y += w0[r * D + c] * x[sIdx * D + c];
        for (let i = 0; i < k; i++) {
          const xi = x[sIdx * D + kept[i]];
          b[i] += xi * y;
          for (let j = 0; j < k; j++) a[i * k + j] += xi * x[sIdx * D + kept[j]];
        }
      }
      const ref = gaussSolve(a, b, k);
      kept.forEach((c, i) => expect(s.w[r * D + c]).toBeCloseTo(ref[i], 6));
      for (let c = 0; c < D; c++) if (mask[r * D + c]) expect(s.w[r * D + c]).toBe(0);
    }
    expect(mask.reduce((a, b) => a + b, 0)).toBe(Math.round(0.6 * ROWS * D));
  });

  it('reconstruction beats the same mask without it, and the saliency mask beats the magnitude mask', () => {
    const s = solveLayer({ name: 't', rows: ROWS, cols: D, w0, h, mean }, { prune: { kind: 'unstructured', sparsity: 0.5, maskBlock: D }, grid: null });
    const mask = s.mask as Uint8Array;
    const masked = w0.map((v, i) => (mask[i] ? 0 : v));
    expect(dataError(x, N, D, s.w, w0, ROWS)).toBeLessThan(0.5 * dataError(x, N, D, masked, w0, ROWS));
    // Magnitude: the 50 % smallest |w| of the layer, zeroed.
    const sorted = Array.from(w0, Math.abs).sort((a, b) => a - b);
    const t = sorted[Math.round(0.5 * ROWS * D) - 1];
    const mag = w0.map((v) => (Math.abs(v) <= t ? 0 : v));
    expect(dataError(x, N, D, s.w, w0, ROWS)).toBeLessThan(dataError(x, N, D, mag, w0, ROWS));
    // The sweep alone (no exact step) is no better than the exact optimum for its mask.
    const sw = solveLayer({ name: 't', rows: ROWS, cols: D, w0, h, mean }, { prune: { kind: 'unstructured', sparsity: 0.5, maskBlock: D }, grid: null, exactBudget: 0 });
    const ex = new Float64Array(ROWS * D);
    const hd = new Float64Array(h);
    expect(reconstructExact(ex, w0, hd, ROWS, D, sw.mask as Uint8Array)).toBe(true);
    expect(outputError(ex, w0, h, ROWS, D)).toBeLessThanOrEqual(outputError(sw.w, w0, h, ROWS, D) * (1 + 1e-9));
  });

  it('N:M keeps at most N of every M consecutive inputs of each row', () => {
    const s = solveLayer({ name: 't', rows: ROWS, cols: D, w0, h, mean }, { prune: { kind: 'nm', n: 2, m: 4, run: D }, grid: null });
    for (let r = 0; r < ROWS; r++) {
      for (let g = 0; g < D; g += 4) {
        let nz = 0;
        for (let c = g; c < g + 4; c++) nz += +(s.w[r * D + c] !== 0);
        expect(nz).toBeLessThanOrEqual(2);
      }
    }
  });
});

describe('quantization with error compensation', () => {
  const x = inputs(N, D, 9);
  const { h, mean } = hessianOf(x, N, D);
  const w0 = weights(10);
  // A 3-bit symmetric grid per row: q in [-3, 3] times the row's max |w| / 3.
  const scales = Array.from({ length: ROWS }, (_, r) => Math.max(...Array.from(w0.subarray(r * D, (r + 1) * D), Math.abs)) / 3);
  const grid: LayerGrid = { nearest: (r, _c, v) => Math.max(-3, Math.min(3, Math.round(v / scales[r]))) * scales[r] };
  const rtn = w0.map((v, i) => grid.nearest(Math.floor(i / D), i % D, v));

  it('GPTQ leaves a smaller layer-output error than round-to-nearest on the same grid', () => {
    for (const actOrder of [false, true]) {
      const s = solveLayer({ name: 't', rows: ROWS, cols: D, w0, h, mean }, { prune: null, grid: () => grid, actOrder });
      for (let i = 0; i < ROWS * D; i++) expect(s.w[i]).toBe(grid.nearest(Math.floor(i / D), i % D, s.w[i]));
      expect(dataError(x, N, D, s.w, w0, ROWS)).toBeLessThan(0.8 * dataError(x, N, D, rtn, w0, ROWS));
    }
  });

  it('a sweep over a grid the weights already lie on changes nothing', () => {
    const w = new Float64Array(rtn);
    const { u } = upperCholeskyOfInverse(h, D, 0.01, 't');
    sweep(w, ROWS, D, u, { grid, prune: null });
    expect(Array.from(w)).toEqual(Array.from(rtn));
  });

  it('bias correction removes the mean output shift', () => {
    const s = solveLayer({ name: 't', rows: ROWS, cols: D, w0, h, mean }, { prune: { kind: 'unstructured', sparsity: 0.5, maskBlock: D }, grid: () => grid });
    for (let r = 0; r < ROWS; r++) {
      let before = 0;
      for (let sIdx = 0; sIdx < N; sIdx++) for (let c = 0; c < D; c++) before += (s.w[r * D + c] - w0[r * D + c]) * x[sIdx * D + c];
      before /= N;
      // The corrected bias b - shift cancels it: the mean of (Ŵ - W) x - shift is 0.
      expect(Math.abs(before - s.shift[r])).toBeLessThan(1e-9 * Math.max(1, Math.abs(before)));
    }
    expect(s.shift.some((v) => Math.abs(v) > 1e-3)).toBe(true);
  });
});
