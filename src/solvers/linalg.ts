/**
 * Dense symmetric linear algebra in float64 for the layer solvers: Cholesky with
 * damping, and the upper Cholesky factor of the inverse that GPTQ and SparseGPT sweep
 * with (and apply the inverse through). Matrices are row-major n x n Float64Arrays.
 */
import { McError } from '../errors.js';

/** In place: A = L Lᵀ, L lower (the upper triangle is zeroed). False when A is not positive definite. */
export function cholesky(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j];
    for (let k = 0; k < j; k++) d -= a[rj + k] * a[rj + k];
    // A non-positive pivot means not positive definite; NaN fails the test too.
    if (!(d > 0) || !Number.isFinite(d)) return false;
    const l = Math.sqrt(d);
    a[rj + j] = l;
    const inv = 1 / l;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
      a[ri + j] = s * inv;
    }
    for (let k = j + 1; k < n; k++) a[rj + k] = 0;
  }
  return true;
}

/** The result of a damped factorisation: the damping that made it succeed, as a multiple of the mean diagonal. */
export interface Damped {
  /** λ added to every diagonal element. */
  lambda: number;
  /** λ / mean(diag H). */
  relative: number;
}

/**
 * Cholesky of H + λI (a copy), λ = damp * mean(diag H), retrying with 10x the damping up
 * to a relative damping of 10 (beyond that the solution is the identity's, not the
 * data's); throws BAD_VALUE naming `what` when even that fails (NaN in the data, or no
 * data at all).
 */
export function dampedCholesky(h: Float64Array, n: number, damp: number, what: string): { l: Float64Array; damped: Damped } {
  let mean = 0;
  for (let i = 0; i < n; i++) mean += h[i * n + i];
  mean /= n;
  // An all-zero Hessian (inputs always 0) still has a well-defined, trivial solution: identity scale.
  const base = mean > 0 && Number.isFinite(mean) ? mean : 1;
  for (let rel = damp; rel <= 10; rel *= 10) {
    const l = new Float64Array(h);
    const lambda = rel * base;
    for (let i = 0; i < n; i++) l[i * n + i] += lambda;
    if (cholesky(l, n)) return { l, damped: { lambda, relative: rel } };
  }
  throw new McError(
    'BAD_VALUE',
    `${what}: the calibration Hessian (${n} x ${n}, mean diagonal ${mean}) is not positive definite even with damping 10x its mean diagonal; the calibration inputs hold NaN/Infinity or are degenerate`,
  );
}

/**
 * The upper Cholesky factor U of (H + λI)⁻¹ (H⁻¹ = Uᵀ U), as GPTQ sweeps with: row q of
 * U, divided by U_qq, is the OBS update direction of the not-yet-processed weights when
 * weight q is fixed, and U_qq² = [H_F⁻¹]_qq over the remaining set F = {q..n-1}.
 * Computed without forming H⁻¹: with P the index reversal, P H P = R Rᵀ (R lower) gives
 * H = V Vᵀ with V = P R P upper, so H⁻¹ = V⁻ᵀ V⁻¹ and U = V⁻¹: one factorisation and one
 * triangular inverse, both walking rows (n³/3 in all).
 */
export function upperCholeskyOfInverse(h: Float64Array, n: number, damp: number, what: string): { u: Float64Array; damped: Damped } {
  const rev = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) rev[(n - 1 - i) * n + (n - 1 - j)] = h[i * n + j];
  const { l, damped } = dampedCholesky(rev, n, damp, what);
  // V = P R P: V[i][j] = R[n-1-i][n-1-j], upper.
  const v = rev;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) v[i * n + j] = l[(n - 1 - i) * n + (n - 1 - j)];
  // U = V⁻¹ (upper), row by row from the bottom: U_i = (e_i - Σ_{k>i} V_ik U_k) / V_ii.
  const u = new Float64Array(n * n);
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * n;
    u[ri + i] = 1;
    for (let k = i + 1; k < n; k++) {
      const a = v[ri + k];
      if (a === 0) continue;
      const rk = k * n;
      for (let j = k; j < n; j++) u[ri + j] -= a * u[rk + j];
    }
    const d = 1 / v[ri + i];
    for (let j = i; j < n; j++) u[ri + j] *= d;
  }
  return { u, damped };
}

/** x = Uᵀ U b (the damped H⁻¹ b, from upperCholeskyOfInverse), walking rows only; returns a new array. */
export function applyInverse(u: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const ri = i * n;
    for (let j = i; j < n; j++) s += u[ri + j] * b[j];
    y[i] = s;
  }
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const yi = y[i];
    const ri = i * n;
    for (let j = i; j < n; j++) x[j] += u[ri + j] * yi;
  }
  return x;
}

/** Solve L Lᵀ x = b in place (b becomes x), L lower from cholesky(). */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * b[k];
    b[i] = s / l[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
    b[i] = s / l[i * n + i];
  }
}
