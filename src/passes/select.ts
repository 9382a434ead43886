/**
 * Selection primitives for pruning: the k-th smallest value of a Float32Array in O(n)
 * (in place, deterministic), rank lookup in a count histogram, and float32 bit views.
 * Pruning needs exact counts, so every function here is exact; none uses randomness,
 * so the same input always gives the same answer and the same rearrangement.
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
 */
export function selectKth(a: Float32Array, k: number, lo = 0, hi = a.length): number {
  if (!(Number.isInteger(k) && lo <= k && k < hi)) {
    throw new RangeError(`selectKth: index ${k} is outside [${lo}, ${hi})`);
  }
  let work = WORK_PER_ELEMENT * (hi - lo);
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

/**
 * The float32 bit patterns of `values`, as a view (no copy). With the sign bit cleared
 * the pattern of a non-negative float orders exactly like its value, which is what
 * lets a histogram of bit prefixes stand in for a sort of magnitudes.
 */
export function bitsOf(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** The float32 value whose bit pattern is `bits`. */
export function floatFromBits(bits: number): number {
  U32[0] = bits;
  return F32[0];
}
