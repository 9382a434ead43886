/**
 * Weight clustering: every weight replaced by the nearest of K float16 centroids (per
 * tensor, or per slice along an axis), stored as its index (entropy coded in .mcz).
 *
 * Fitting is 1-D k-means on the sorted values with prefix sums, so each step costs
 * O(K log n) instead of O(n K): k-means++ initialisation (seeded, so deterministic),
 * then Lloyd iterations with the centroids rounded to float16 after each, keeping the
 * best set seen by the objective (sum of squared errors), so the result is never worse
 * than the initialisation even though float16 rounding can undo a step. A tensor that
 * holds exact zeros gets a fixed centroid at 0.0 (pruned weights stay exactly 0 and the
 * free centroids fit the surviving weights). Above 2^20 values a slice is fitted on an
 * evenly spaced sample of its sorted values (its quantiles), which bounds memory.
 * Non-finite values are refused unless allowed; then they are left out of the fit, NaN
 * takes the centroid nearest 0.0 and ±Infinity the end centroids.
 */
import { McError } from '../errors.js';
import { FLOAT16_MAX, decodeTable, toFloat16Bits } from '../model/float16.js';
import { decodeClusters, groupLayout } from './codes.js';
import type { ClusterCodebook, EncodeStats, Encoded, WeightTensor } from './types.js';
import { withLazyDecoded } from './types.js';

/** The codebook type (defined beside Encoding). */
export type { ClusterCodebook } from './types.js';

/** Options of the cluster codec. */
export interface ClusterOptions {
  /** Centroids per set, 1..256. */
  k: number;
  /** One set per slice along `axis` (which must then be given) instead of one per tensor. */
  perChannel: boolean;
  /** The per-channel axis (the output-channel axis; negative counts from the end). */
  axis: number | null;
  /** Seed of the k-means++ draws. */
  seed: number;
  /** Encode NaN/Infinity instead of failing. */
  allowNonfinite?: boolean;
}

/** Largest slice fitted on all its values; larger ones on this many of their sorted values. */
const FIT_SAMPLE = 1 << 20;
/** Lloyd iterations at most (1-D k-means settles in far fewer on weight distributions). */
const MAX_ITERATIONS = 64;

/** mulberry32: a small seeded generator of uniform numbers in [0, 1). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** x rounded to the nearest float16 value (finite x within the float16 range). */
function f16(x: number): number {
  return decodeTable()[toFloat16Bits(x)] + 0;
}

/** The channel layout: `dim` sets of slices of `inner` consecutive elements, repeating. */
function layoutOf(t: WeightTensor, o: ClusterOptions): { axis: number | null; dim: number; inner: number } {
  const at = `tensor "${t.name}"`;
  if (!(Number.isInteger(o.k) && o.k >= 1 && o.k <= 256)) throw new McError('USAGE', `${at}: expected 1..256 clusters, found ${o.k}`);
  const count = t.shape.reduce((a, d) => a * d, 1);
  if (count !== t.values.length) throw new McError('SIZE_MISMATCH', `${at}: shape [${t.shape.join(', ')}] has ${count} elements, found ${t.values.length} values`);
  if (!o.perChannel) return { axis: null, dim: 1, inner: Math.max(1, count) };
  const rank = t.shape.length;
  const a = o.axis;
  if (a === null || !Number.isInteger(a) || a < -rank || a >= rank) throw new McError('USAGE', `${at}: per-channel clusters need an axis in [${-rank}, ${rank - 1}] for shape [${t.shape.join(', ')}], found ${a}`);
  const axis = a < 0 ? a + rank : a;
  let inner = 1;
  for (let d = axis + 1; d < rank; d++) inner *= t.shape[d];
  return { axis, dim: t.shape[axis], inner: Math.max(1, inner) };
}

/** The finite values of channel c (ascending), how many were exact zeros, and how many were not finite. */
function sliceOf(v: Float32Array, dim: number, inner: number, c: number, scratch: Float32Array): { sorted: Float32Array; zeros: number; nonfinite: number } {
  let n = 0;
  let zeros = 0;
  let nonfinite = 0;
  for (let start = c * inner; start < v.length; start += dim * inner) {
    for (let i = start; i < start + inner; i++) {
      const x = v[i];
      if (x - x !== 0) nonfinite++;
      else {
        scratch[n++] = x;
        zeros += +(x === 0);
      }
    }
  }
  const sorted = sortFloats(scratch.subarray(0, n));
  return { sorted, zeros, nonfinite };
}

/**
 * `v` (finite values) sorted ascending, in place: an LSD radix sort, three passes of 11
 * bits over keys that order like the values (sign bit flipped; negatives' bits inverted),
 * about 10x faster than the comparison sort on the millions of values of a large kernel.
 */
function sortFloats(v: Float32Array): Float32Array {
  const n = v.length;
  if (n < 512) return v.sort();
  let keys = new Uint32Array(n);
  const bits = new Uint32Array(v.buffer, v.byteOffset, n);
  for (let i = 0; i < n; i++) {
    const b = bits[i];
    keys[i] = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
  }
  let tmp = new Uint32Array(n);
  const count = new Uint32Array(2048);
  for (let shift = 0; shift < 32; shift += 11) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(keys[i] >>> shift) & 2047]++;
    for (let d = 0, sum = 0; d < 2048; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) tmp[count[(keys[i] >>> shift) & 2047]++] = keys[i];
    [keys, tmp] = [tmp, keys];
  }
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    bits[i] = k & 0x80000000 ? (k & 0x7fffffff) >>> 0 : ~k >>> 0;
  }
  return v;
}

/** Sorted values with prefix sums of x and x^2 (in double), for segment costs in O(1). */
class Sorted {
  readonly n: number;
  readonly x: Float64Array;
  private readonly s1: Float64Array;
  private readonly s2: Float64Array;

  constructor(sorted: Float32Array) {
    // A large slice is represented by its quantiles: an even sample of its sorted values.
    const n = Math.min(sorted.length, FIT_SAMPLE);
    const step = sorted.length / Math.max(1, n);
    this.n = n;
    this.x = new Float64Array(n);
    this.s1 = new Float64Array(n + 1);
    this.s2 = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) {
      const x = sorted[Math.floor(i * step)];
      this.x[i] = x;
      this.s1[i + 1] = this.s1[i] + x;
      this.s2[i + 1] = this.s2[i] + x * x;
    }
  }

  /** Sum of (x - c)^2 over sorted positions [a, b). */
  cost(a: number, b: number, c: number): number {
    if (b <= a) return 0;
    const s1 = this.s1[b] - this.s1[a];
    return Math.max(0, this.s2[b] - this.s2[a] - 2 * c * s1 + c * c * (b - a));
  }

  /** Mean of positions [a, b). */
  mean(a: number, b: number): number {
    return (this.s1[b] - this.s1[a]) / (b - a);
  }

  /** First position whose value is >= x (binary search). */
  lowerBound(x: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.x[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Segment boundaries of sorted centroids `c`: centroid j owns positions [b[j], b[j + 1]) (nearest; ties go to the higher). */
  bounds(c: Float64Array, m: number, out: Int32Array): void {
    out[0] = 0;
    for (let j = 1; j < m; j++) out[j] = this.lowerBound((c[j - 1] + c[j]) / 2);
    out[m] = this.n;
  }

  /** Sum of squared distances to the nearest of sorted centroids c[0, m). */
  objective(c: Float64Array, m: number, b: Int32Array): number {
    this.bounds(c, m, b);
    let total = 0;
    for (let j = 0; j < m; j++) total += this.cost(b[j], b[j + 1], c[j]);
    return total;
  }
}

/** Insert x into sorted c[0, m) (returns m + 1). */
function insertSorted(c: Float64Array, m: number, x: number): number {
  let j = m;
  while (j > 0 && c[j - 1] > x) {
    c[j] = c[j - 1];
    j--;
  }
  c[j] = x;
  return m + 1;
}

/**
 * k-means++ over sorted values: each new centroid drawn with probability proportional to
 * its squared distance to the nearest chosen one (drawn by segment, then by binary search
 * on the segment's prefix cost). Returns how many distinct centroids were found (fewer
 * than k when the values have fewer distinct values).
 */
function kmeansPlusPlus(s: Sorted, k: number, c: Float64Array, fixedZero: boolean, rand: () => number, b: Int32Array): number {
  let m = 0;
  if (fixedZero) m = insertSorted(c, m, 0);
  else m = insertSorted(c, m, s.x[Math.min(s.n - 1, Math.floor(rand() * s.n))]);
  const seg = new Float64Array(k + 1);
  while (m < k) {
    s.bounds(c, m, b);
    let total = 0;
    for (let j = 0; j < m; j++) total += seg[j] = s.cost(b[j], b[j + 1], c[j]);
    if (!(total > 0)) break;
    let u = rand() * total;
    let j = 0;
    while (j < m - 1 && u >= seg[j]) u -= seg[j++];
    // Smallest end e in (b[j], b[j+1]] whose prefix cost exceeds u: the point at e - 1.
    let lo = b[j] + 1;
    let hi = b[j + 1];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s.cost(b[j], mid, c[j]) > u) hi = mid;
      else lo = mid + 1;
    }
    const x = s.x[lo - 1];
    if (x === c[j]) break; // rounding left no point with a positive distance: all are covered
    m = insertSorted(c, m, x);
  }
  return m;
}

/** Round to float16, refusing magnitudes beyond its range. */
function toCentroid(x: number, name: string): number {
  if (!(Math.abs(x) < 65520)) throw new McError('BAD_VALUE', `tensor "${name}": value ${x} is beyond the float16 range (${FLOAT16_MAX}) that centroids are stored in; keep this tensor int8 or float32`);
  return Math.max(-FLOAT16_MAX, Math.min(FLOAT16_MAX, f16(x)));
}

/** Fit k centroids to one channel's sorted finite values; writes them (ascending, float16) to out[0, k). */
function fitSlice(sorted: Float32Array, zeros: number, k: number, seed: number, name: string, out: Float32Array, initOnly = false): void {
  if (sorted.length === 0) return void out.fill(0);
  const s = new Sorted(sorted);
  const fixedZero = zeros > 0;
  const rand = random(seed);
  const c = new Float64Array(k + 1);
  const b = new Int32Array(k + 2);
  let m = kmeansPlusPlus(s, k, c, fixedZero, rand, b);
  for (let j = 0; j < m; j++) c[j] = toCentroid(c[j], name);
  const best = c.slice(0, m);
  let bestCost = s.objective(c, m, b);
  for (let it = 0; it < (initOnly ? 0 : MAX_ITERATIONS); it++) {
    s.bounds(c, m, b);
    let moved = false;
    for (let j = 0; j < m; j++) {
      if (b[j + 1] <= b[j] || (fixedZero && c[j] === 0)) continue;
      const next = toCentroid(s.mean(b[j], b[j + 1]), name);
      if (next !== c[j]) moved = true;
      c[j] = next;
    }
    if (!moved) break;
    // 1-D Lloyd keeps the order, but float16 rounding can make neighbours equal: sort to be sure.
    c.subarray(0, m).sort();
    const cost = s.objective(c, m, b);
    if (cost < bestCost) {
      bestCost = cost;
      best.set(c.subarray(0, m));
    }
  }
  // Fewer distinct values than k: the spare centroids repeat the largest (never chosen).
  for (let j = 0; j < k; j++) out[j] = best[Math.min(j, m - 1)];
}

/**
 * Fit the codebook of `t`: k centroids per set (one set, or one per slice along the axis),
 * ascending within a set, float16 values, 0.0 among them when the set's values hold a 0.
 * Deterministic: the same values, options and seed give the same centroids.
 */
export function fitClusters(t: WeightTensor, o: ClusterOptions): ClusterCodebook {
  return fit(t, o, false);
}

/** The k-means++ initialisation fitClusters starts from (float16, ascending), for checking that fitting only improves on it. */
export function kmeansInit(t: WeightTensor, o: ClusterOptions): ClusterCodebook {
  return fit(t, o, true);
}

function fit(t: WeightTensor, o: ClusterOptions, initOnly: boolean): ClusterCodebook {
  const { axis, dim, inner } = layoutOf(t, o);
  checkFinite(t, o.allowNonfinite ?? false);
  const centroids = new Float32Array(dim * o.k);
  const scratch = new Float32Array(dim === 0 ? 0 : t.values.length / dim);
  for (let c = 0; c < dim; c++) {
    const { sorted, zeros } = sliceOf(t.values, dim, inner, c, scratch);
    // Each channel draws from its own stream, so a channel's centroids do not depend on the others.
    fitSlice(sorted, zeros, o.k, (o.seed + Math.imul(c, 0x9e3779b1)) >>> 0, t.name, centroids.subarray(c * o.k, (c + 1) * o.k), initOnly);
  }
  return { k: o.k, axis, centroids };
}

/** Count NaN/Infinity; throw BAD_VALUE unless allowed. */
function checkFinite(t: WeightTensor, allow: boolean): number {
  let count = 0;
  let first = -1;
  const v = t.values;
  for (let i = 0; i < v.length; i++) if (v[i] - v[i] !== 0 && count++ === 0) first = i;
  if (count > 0 && !allow) {
    throw new McError('BAD_VALUE', `tensor "${t.name}": expected finite values, found ${count} NaN/Infinity (first at index ${first}); pass --allow-nonfinite to keep them`);
  }
  return count;
}

/**
 * Encode `t` as indices into `centroids` (fitted by fitClusters when absent; given: each
 * value goes to the nearest, no fitting; they must be float16 values, k per set). Ties
 * between two centroids go to the higher. Symbols are the indices (a Uint8Array).
 */
export function encodeCluster(t: WeightTensor, o: ClusterOptions, centroids?: Float32Array): Encoded {
  const { axis, dim, inner } = layoutOf(t, o);
  const nf = checkFinite(t, o.allowNonfinite ?? false);
  const k = o.k;
  let book: ClusterCodebook;
  if (centroids) {
    if (centroids.length !== dim * k) throw new McError('USAGE', `tensor "${t.name}": expected ${dim * k} centroids (${k} per set, ${dim} set(s)), found ${centroids.length}`);
    const t16 = decodeTable();
    for (let j = 0; j < centroids.length; j++) {
      const x = centroids[j];
      if (!(Math.abs(x) <= FLOAT16_MAX) || t16[toFloat16Bits(x)] !== x) throw new McError('USAGE', `tensor "${t.name}": centroid ${j} is ${x}, expected a finite float16 value`);
    }
    book = { k, axis, centroids };
  } else {
    book = fitClusters(t, o);
  }
  const v = t.values;
  const idx = new Uint8Array(v.length);
  const cen = book.centroids;
  // Per set: the centroids sorted (with their stored index), and the midpoints between neighbours.
  const order = new Uint8Array(dim * k);
  const mids = new Float64Array(dim * k);
  for (let c = 0; c < dim; c++) {
    const base = c * k;
    const ids = Array.from({ length: k }, (_, j) => j).sort((a, b) => cen[base + a] - cen[base + b] || a - b);
    for (let j = 0; j < k; j++) order[base + j] = ids[j];
    for (let j = 0; j + 1 < k; j++) mids[base + j] = (cen[base + ids[j]] + cen[base + ids[j + 1]]) / 2;
  }
  let inputZeros = 0;
  let zeros = 0;
  let maxError = 0;
  let sumSq = 0;
  for (let i = 0, c = 0, inC = 0; i < v.length; i++) {
    const x = v[i];
    const base = c * k;
    // The sorted position: how many midpoints lie at or below x (NaN: the centroid nearest 0).
    const y = x === x ? x : 0;
    let lo = 0;
    let hi = k - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (mids[base + mid] <= y) lo = mid + 1;
      else hi = mid;
    }
    const id = order[base + lo];
    idx[i] = id;
    const d = cen[base + id];
    inputZeros += +(x === 0);
    zeros += +(d === 0);
    const e = Math.abs(d - x);
    if (e > maxError) maxError = e;
    sumSq += e * e;
    if (++inC === inner) {
      inC = 0;
      if (++c === dim) c = 0;
    }
  }
  const stats: EncodeStats = { inputZeros, zeros, maxError, sumSq };
  const warnings: string[] = [];
  if (nf > 0) warnings.push(`tensor "${t.name}": stored ${nf} NaN/Infinity value(s) as cluster indices (NaN as the centroid nearest 0.0, ±Infinity as the end centroids) (--allow-nonfinite)`);
  return withLazyDecoded({ encoding: { kind: 'cluster', ...book }, symbols: idx, warnings, stats }, () => clusterDecode(idx, t.shape, book));
}

/** The values a cluster encoding decodes to (as the .mcz reader and the loader compute them). */
export function clusterDecode(idx: Uint8Array, shape: readonly number[], book: ClusterCodebook): Float32Array {
  const out = new Float32Array(idx.length);
  decodeClusters(idx, groupLayout(shape, book.axis, Infinity), book.k, book.centroids, out);
  return out;
}
