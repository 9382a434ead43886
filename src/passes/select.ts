/**
 * Selection primitives for pruning: the k-th smallest value of a Float32Array in O(n)
 * (in place), the exact k-th smallest magnitude over a stream of tensors (two passes,
 * none held), and top-n per strided group (N:M). Pruning needs exact counts, so every
 * function here is exact; none uses randomness, so the same input always gives the
 * same answer and the same rearrangement.
 */

/** Ranges this short are finished by insertion sort (cheaper than partitioning). */
const SMALL = 16;

/**
 * Work allowed (in elements partitioned, per element of the range) with median-of-three
 * pivots before switching to median-of-medians pivots. Median-of-three averages under
 * 3n; the cap keeps a pathological input (e.g. an organ pipe) linear, not quadratic.
 */
const WORK_PER_ELEMENT = 6;

/** Largest finite float32; larger magnitudes (Infinity) and NaN fail `a <= MAX_FLOAT32`. */
export const MAX_FLOAT32 = 3.4028234663852886e38;

/**
 * Rearranges a[lo, hi) in place and returns its k-th smallest value, k a 0-based index
 * with lo <= k < hi (the value `a[k]` would hold after sorting the range). Afterwards
 * a[lo, k) <= a[k] <= a(k, hi), which callers use to count values below the result
 * without another full scan. The range must not hold NaN (callers reject it first).
 * `work` caps the elements partitioned around median-of-three pivots before
 * median-of-medians pivots take over (tests pass 0 to run the fallback).
 */
export function selectKth(a: Float32Array, k: number, lo = 0, hi = a.length, work = WORK_PER_ELEMENT * (hi - lo)): number {
  if (!(Number.isInteger(k) && lo <= k && k < hi && hi <= a.length)) {
    throw new RangeError(`selectKth: index ${k} is outside [${lo}, ${hi})`);
  }
  while (hi - lo > SMALL) {
    work -= hi - lo;
    const p = work > 0 ? medianOfThree(a[lo], a[(lo + hi) >>> 1], a[hi - 1]) : medianOfMedians(a, lo, hi);
    // Three-way partition: [lo, lt) < p, [lt, gt) == p, [gt, hi) > p. Runs of equal
    // values (zeros, quantized weights) leave the range in one step instead of many.
    let lt = lo;
    let gt = hi;
    let i = lo;
    while (i < gt) {
      const x = a[i];
      if (x < p) {
        a[i++] = a[lt];
        a[lt++] = x;
      } else if (x > p) {
        a[i] = a[--gt];
        a[gt] = x;
      } else {
        i++;
      }
    }
    if (k < lt) hi = lt;
    else if (k >= gt) lo = gt;
    else return p;
  }
  insertionSort(a, lo, hi);
  return a[k];
}

/** The middle one of three values. */
function medianOfThree(x: number, y: number, z: number): number {
  if (x < y) return y < z ? y : x < z ? z : x;
  return x < z ? x : y < z ? z : y;
}

/**
 * A pivot guaranteed to have at least ~30 % of a[lo, hi) on each side: the median of
 * the medians of groups of five. Moves the group medians to the front of the range
 * (the range is being rearranged anyway) and selects among them.
 */
function medianOfMedians(a: Float32Array, lo: number, hi: number): number {
  let m = lo;
  for (let g = lo; g < hi; g += 5) {
    const e = Math.min(g + 5, hi);
    insertionSort(a, g, e);
    const med = g + ((e - g - 1) >>> 1);
    const x = a[med];
    a[med] = a[m];
    a[m++] = x;
  }
  return selectKth(a, lo + ((m - lo - 1) >>> 1), lo, m);
}

/** Sorts a[lo, hi) ascending in place. */
function insertionSort(a: Float32Array, lo: number, hi: number): void {
  for (let i = lo + 1; i < hi; i++) {
    const x = a[i];
    let j = i - 1;
    while (j >= lo && a[j] > x) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = x;
  }
}

/**
 * The bucket holding the k-th smallest item (k 1-based, 1 <= k <= sum of counts) of a
 * histogram whose bucket order is value order, and how many items lie in lower buckets.
 */
export function rankInCounts(counts: ArrayLike<number>, k: number): { bucket: number; below: number } {
  let below = 0;
  for (let b = 0; b < counts.length; b++) {
    const c = counts[b];
    if (below + c >= k) return { bucket: b, below };
    below += c;
  }
  throw new RangeError(`rankInCounts: rank ${k} exceeds the ${below} items counted`);
}

/** Buckets are the top 16 bits of |w|'s float32 pattern (sign cleared): exponent plus 8 mantissa bits. */
const LOW_BITS = 15;
const EMPTY16 = new Uint16Array(0);
const EMPTY32 = new Uint32Array(0);
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** One tensor's part of the target bucket: weights below it, and its distinct low bits inside it with counts. */
export interface BucketShare {
  below: number;
  /** Ascending. */
  keys: Uint16Array;
  counts: Uint32Array;
}

/**
 * The exact k-th smallest |w| over tensors streamed twice, holding none of them. With
 * the sign cleared, a float32 bit pattern orders like the value, so a histogram of bit
 * prefixes stands in for a sort. Pass 1, count(): histogram of the top 16 bits. fix(k):
 * the bucket holding the k-th smallest. Pass 2, share(): per tensor, only the
 * magnitudes inside that bucket, as distinct low 15 bits with counts; low bits identify
 * a value within its bucket exactly, so resolve() is an exact counting selection.
 * Memory is bounded by the distinct values of one bucket per tensor: repeated values
 * (zeros, quantized levels) cost one entry, whatever their count.
 */
export class MagnitudeStream {
  private readonly buckets = new Float64Array(1 << 16);
  private total = 0;
  private bucket = -1;
  private rank = 0;
  private low = 0;
  private lowCounts = EMPTY32;
  private touched = EMPTY16;

  /** Pass 1: counts one tensor's magnitudes; returns its zeros. Throws fail(i) at the first NaN or ±Infinity. */
  count(values: Float32Array, fail: (i: number) => Error): number {
    const bits = bitsOf(values);
    const buckets = this.buckets;
    let zeros = 0;
    for (let i = 0; i < bits.length; i++) {
      const x = bits[i] & 0x7fffffff;
      if (x >= 0x7f800000) throw fail(i);
      zeros += (x - 1) >>> 31; // 1 exactly for x = 0, without a branch
      buckets[x >>> LOW_BITS]++;
    }
    this.total += values.length;
    return zeros;
  }

  /** Magnitudes counted in pass 1. */
  get counted(): number {
    return this.total;
  }

  /** Ends pass 1: the k-th smallest (1 <= k <= counted) is the target. */
  fix(k: number): void {
    const { bucket, below } = rankInCounts(this.buckets, k);
    this.bucket = bucket;
    this.rank = k - below;
    this.lowCounts = new Uint32Array(1 << LOW_BITS);
    this.touched = new Uint16Array(1 << LOW_BITS);
  }

  /** Pass 2: one tensor's part of the target bucket (tensors in any order, each once). */
  share(values: Float32Array): BucketShare {
    const b = this.bucket;
    if (b < 0) throw new Error('MagnitudeStream: share() before fix()');
    const bits = bitsOf(values);
    const { lowCounts, touched } = this;
    let below = 0;
    let distinct = 0;
    for (let i = 0; i < bits.length; i++) {
      const x = bits[i] & 0x7fffffff;
      const hb = x >>> LOW_BITS;
      below += (hb - b) >>> 31; // hb < b, without a branch (most weights fall either side at random)
      if (hb === b) {
        const low = x & 0x7fff;
        if (lowCounts[low]++ === 0) touched[distinct++] = low;
      }
    }
    if (distinct === 0) return { below, keys: EMPTY16, counts: EMPTY32 };
    const keys = touched.slice(0, distinct).sort();
    const counts = new Uint32Array(distinct);
    for (let j = 0; j < distinct; j++) {
      counts[j] = lowCounts[keys[j]];
      lowCounts[keys[j]] = 0;
    }
    return { below, keys, counts };
  }

  /** After pass 2: the k-th smallest magnitude, from the shares of every tensor. */
  resolve(shares: readonly BucketShare[]): number {
    const merged = new Float64Array(1 << LOW_BITS);
    for (const s of shares) for (let j = 0; j < s.keys.length; j++) merged[s.keys[j]] += s.counts[j];
    this.low = rankInCounts(merged, this.rank).bucket;
    U32[0] = (this.bucket << LOW_BITS) | this.low;
    return F32[0];
  }

  /** After resolve(): how many of a share's magnitudes are below the target, and equal to it. */
  split(s: BucketShare): { below: number; equal: number } {
    let below = s.below;
    let equal = 0;
    for (let j = 0; j < s.keys.length && s.keys[j] <= this.low; j++) {
      if (s.keys[j] < this.low) below += s.counts[j];
      else equal = s.counts[j];
    }
    return { below, equal };
  }
}

/**
 * The k-th smallest |w| of one tensor (k 1-based, 1 <= k <= n) and how many magnitudes lie
 * strictly below it, by two counting passes over the float32 bit patterns (the top 16
 * bits, then the low 15 inside the bucket holding the k-th), as MagnitudeStream does for
 * many tensors: O(n), no copy, no rearranging. Throws fail(i) at the first NaN or ±Infinity.
 */
export function kthMagnitude(values: Float32Array, k: number, fail: (i: number) => Error): { value: number; below: number } {
  const bits = bitsOf(values);
  const high = new Uint32Array(1 << 16);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i] & 0x7fffffff;
    if (x >= 0x7f800000) throw fail(i);
    high[x >>> LOW_BITS]++;
  }
  const top = rankInCounts(high, k);
  const low = new Uint32Array(1 << LOW_BITS);
  const b = top.bucket;
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i] & 0x7fffffff;
    if (x >>> LOW_BITS === b) low[x & 0x7fff]++;
  }
  const r = rankInCounts(low, k - top.below);
  U32[0] = (b << LOW_BITS) | r.bucket;
  return { value: F32[0], below: top.below + r.below };
}

/** Throws fail(i) at the first NaN or ±Infinity of `values`. */
export function checkMagnitudes(values: Float32Array, fail: (i: number) => Error): void {
  const bits = bitsOf(values);
  for (let i = 0; i < bits.length; i++) if ((bits[i] & 0x7fffffff) >= 0x7f800000) throw fail(i);
}

/** The float32 bit patterns of `values`, as a view (no copy). */
function bitsOf(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/**
 * N:M selection in place: along an axis of length `len` whose consecutive elements lie
 * `inner` apart (row-major: inner is the product of the later dimensions), in every
 * group of `m` consecutive elements keeps the `n` largest magnitudes and writes +0 over
 * the rest. Ties keep the lower index first; zeros count as pruned, so a group keeps at
 * most n non-zeros. A tail group shorter than m keeps at most n as well. O(length) with
 * one m-long scratch; values must be finite.
 */
export function keepTopNPerGroup(a: Float32Array, len: number, inner: number, n: number, m: number): void {
  const scratch = new Float32Array(m);
  const block = len * inner;
  if (block === 0) return;
  for (let base = 0; base < a.length; base += block) {
    for (let i = base; i < base + inner; i++) {
      for (let g = 0; g < len; g += m) {
        const size = Math.min(m, len - g);
        const start = i + g * inner;
        for (let j = 0; j < size; j++) scratch[j] = Math.abs(a[start + j * inner]);
        // The n-th largest magnitude (cut) decides: above it kept, at it kept while slots
        // remain. selectKth leaves everything above the cut after it, so counting those
        // needs only the last n - 1 entries.
        let cut = 0;
        let slots = n;
        if (size > n) {
          cut = selectKth(scratch, size - n, 0, size);
          for (let j = size - n + 1; j < size; j++) if (scratch[j] > cut) slots--;
        }
        for (let j = 0; j < size; j++) {
          const at = start + j * inner;
          const x = Math.abs(a[at]);
          if (x > cut) continue;
          if (x === cut && x > 0 && slots > 0) slots--;
          else a[at] = 0;
        }
      }
    }
  }
}
