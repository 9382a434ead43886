/**
 * The group layout of the intN codecs and the decoding of intN and cluster codes into
 * float32, shared by the passes (which encode), the .mcz reader and the browser loader
 * (which decode), so all three compute every value the same way. Browser-safe and small:
 * the loader bundles it.
 */

/** An intN or cluster encoding in words: "int4 g64 (axis 1)" (affine), "int3 g300 symmetric (axis 1)", "cluster16", "cluster16 (axis 1)" (per channel). */
export function codecName(e: { kind: 'intn'; bits: number; groupSize: number; symmetric: boolean; axis: number | null } | { kind: 'cluster'; k: number; axis: number | null }): string {
  return `${e.kind === 'cluster' ? `cluster${e.k}` : `int${e.bits} g${e.groupSize}${e.symmetric ? ' symmetric' : ''}`}${e.axis === null ? '' : ` (axis ${e.axis})`}`;
}

/** How a tensor's elements map to channels and groups (see IntNGrid in types.ts). */
export interface GroupLayout {
  /** Channels: shape[axis], or 1 without an axis. */
  dim: number;
  /** Product of the dims after the axis (1 without an axis). */
  inner: number;
  /** Weights per channel (count / dim): the length of the input index. */
  length: number;
  /** Weights per group, in [1, max(1, length)]. */
  groupSize: number;
  /** Groups per channel, ceil(length / groupSize). */
  groups: number;
}

/** The layout of a tensor of `shape` with channels along `axis` (null: one) in groups of `groupSize` (clamped to the channel's length). */
export function groupLayout(shape: readonly number[], axis: number | null, groupSize: number): GroupLayout {
  const count = shape.reduce((a, d) => a * d, 1);
  const dim = axis === null ? 1 : shape[axis];
  let inner = 1;
  if (axis !== null) for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  const length = dim === 0 ? 0 : count / dim;
  const g = Math.max(1, Math.min(groupSize, length));
  return { dim, inner, length, groupSize: g, groups: Math.ceil(length / g) };
}

/** The index in `scales` / `zeros` of the group holding input index `input` of channel `channel`. */
export function groupIndex(l: GroupLayout, channel: number, input: number): number {
  return channel * l.groups + Math.floor(input / l.groupSize);
}

/** The element index of input index `input` of channel `channel` (the inverse of the walk in IntNGrid). */
export function elementIndex(l: GroupLayout, channel: number, input: number): number {
  const o = Math.floor(input / l.inner);
  return (o * l.dim + channel) * l.inner + (input - o * l.inner);
}

/**
 * Call `run(start, end, group)` for every maximal run of consecutive elements that share
 * a group, in element order: the tensor walked as [outer, dim, inner], each channel's
 * run of `inner` elements split where the input index crosses a group boundary.
 */
export function forEachRun(l: GroupLayout, run: (start: number, end: number, group: number) => void): void {
  const { dim, inner, groupSize, groups } = l;
  const outer = inner === 0 ? 0 : l.length / inner;
  if (inner === 1) {
    // Channels on the last axis: every run is one element, row o holding input index o of each channel.
    for (let o = 0, i = 0; o < outer; o++) {
      const gj = Math.floor(o / groupSize);
      for (let c = 0, g = gj; c < dim; c++, i++, g += groups) run(i, i + 1, g);
    }
    return;
  }
  for (let o = 0, i = 0; o < outer; o++) {
    const j0 = o * inner;
    for (let c = 0; c < dim; c++) {
      let j = j0;
      const jEnd = j0 + inner;
      while (j < jEnd) {
        const gj = Math.floor(j / groupSize);
        const stop = Math.min(jEnd, (gj + 1) * groupSize);
        run(i, i + stop - j, c * groups + gj);
        i += stop - j;
        j = stop;
      }
    }
  }
}

/**
 * float32 values of code bytes, group by group (groups as `l` lays them out): q = (byte +
 * zero) mod 256, zero the group's entry of `zeros` or else `zero`; the value is
 * centroids[g * (hi + 1) + q] when centroids are given, else (q - zero) * scales[g].
 * Returns the index of the first byte whose q is outside [lo, hi] (a corrupt file), or -1.
 * One loop for intN, int8 and clusters keeps the loader small.
 */
export function decodeCodes(bytes: Uint8Array, l: GroupLayout, lo: number, hi: number, zero: number, zeros: Uint8Array | null, scales: Float32Array | null, centroids: Float32Array | null, out: Float32Array): number {
  let bad = -1;
  const { dim, inner, groupSize, groups } = l;
  // Counting through [outer, dim, inner]: input index j = j0 + k of channel c.
  for (let i = 0, k = 0, c = 0, j0 = 0; i < bytes.length; i++) {
    const g = c * groups + Math.floor((j0 + k) / groupSize);
    const z = zeros ? zeros[g] : zero;
    const q = (bytes[i] + z) & 255;
    out[i] = centroids ? centroids[g * (hi + 1) + q] : (q - z) * (scales as Float32Array)[g];
    if ((q < lo || q > hi) && bad < 0) bad = i;
    if (++k === inner) {
      k = 0;
      if (++c === dim) {
        c = 0;
        j0 += inner;
      }
    }
  }
  return bad;
}

/**
 * float32 values of intN bytes (see Encoded.symbols): (q - zero) * scale with q = (byte +
 * zero) mod 256, where a symmetric grid's zero is 128 (the byte is then q as a signed
 * int8); each product is exact in float32 (an 8-bit integer times a float16, or an int8
 * times a float32 scale). `bits` 0: plain int8, whose codes may be any signed byte.
 * Returns the index of the first byte whose code is outside the grid's range, or -1.
 */
export function decodeIntN(bytes: Uint8Array, l: GroupLayout, bits: number, scales: Float32Array, zeros: Uint8Array | null, out: Float32Array): number {
  // The range of q: [0, 2^bits - 1] (affine), 128 ± (2^(bits-1) - 1) (symmetric), any byte (bits 0).
  const half = (1 << (bits - 1)) - 1;
  return decodeCodes(bytes, l, !bits || zeros ? 0 : 128 - half, !bits ? 255 : zeros ? (1 << bits) - 1 : 128 + half, 128, zeros, scales, null, out);
}

/**
 * float32 values of cluster indices: centroids[c * k + index], c the element's channel
 * (`l` = groupLayout(shape, axis, Infinity): one group per channel, or one for the tensor).
 * Returns the index of the first element whose index is >= k (a corrupt file), or -1.
 */
export function decodeClusters(idx: Uint8Array, l: GroupLayout, k: number, centroids: Float32Array, out: Float32Array): number {
  return decodeCodes(idx, l, 0, k - 1, 0, null, null, centroids, out);
}
