/**
 * The group layout of the intN codecs and the decoding of intN and cluster codes into
 * float32, shared by the passes (which encode), the .mcz reader and the browser loader
 * (which decode), so all three compute every value the same way. Browser-safe and small:
 * the loader bundles it.
 */

/** An intN or cluster encoding in words: "int4 g64 affine (axis 1)", "int3 per channel symmetric", "cluster16", "cluster16 per channel (axis 1)". */
export function codecName(e: { kind: 'intn'; bits: number; groupSize: number; symmetric: boolean; axis: number | null } | { kind: 'cluster'; k: number; axis: number | null }, perChannelGroups = false): string {
  const axis = e.axis === null ? '' : ` (axis ${e.axis})`;
  if (e.kind === 'cluster') return `cluster${e.k}${e.axis === null ? '' : ' per channel'}${axis}`;
  return `int${e.bits} ${perChannelGroups ? 'per channel' : `g${e.groupSize}`} ${e.symmetric ? 'symmetric' : 'affine'}${axis}`;
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
 * float32 values of intN bytes (see Encoded.symbols): (q - zero) * scale, q = (byte +
 * zero) mod 256 (affine) or the byte as a signed int8 (symmetric), each product exact in
 * float32 (an 8-bit integer times a float16). Returns the index of the first byte whose
 * code is outside the grid's range (a corrupt file), or -1 when all are inside.
 */
export function decodeIntN(bytes: Uint8Array, l: GroupLayout, bits: number, scales: Float32Array, zeros: Uint8Array | null, out: Float32Array): number {
  let bad = -1;
  const top = zeros ? (1 << bits) - 1 : (1 << (bits - 1)) - 1;
  // One element of a group: q from its byte, checked against the range, times the scale.
  const one = (i: number, g: number): void => {
    let q: number;
    let v: number;
    if (zeros) {
      const z = zeros[g];
      q = (bytes[i] + z) & 255;
      v = q - z;
    } else {
      q = (bytes[i] << 24) >> 24;
      v = q;
      if (q < 0) q = -q;
    }
    out[i] = v * scales[g];
    if (q > top && bad < 0) bad = i;
  };
  const { dim, groupSize, groups } = l;
  if (l.inner === 1) {
    // Channels on the last axis (Dense, Conv): row o holds input index o of every channel, so one group column per row.
    for (let o = 0, i = 0; i < bytes.length; o++) {
      const gj = Math.floor(o / groupSize);
      for (let c = 0, g = gj; c < dim; c++, i++, g += groups) one(i, g);
    }
  } else {
    forEachRun(l, (start, end, g) => {
      for (let i = start; i < end; i++) one(i, g);
    });
  }
  return bad;
}

/** The sets of a cluster codebook: `dim` channels of `inner` consecutive elements along `axis` (null: one set of every element). */
export function clusterChannels(shape: readonly number[], axis: number | null): { dim: number; inner: number } {
  const count = shape.reduce((a, d) => a * d, 1);
  if (axis === null) return { dim: 1, inner: Math.max(1, count) };
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return { dim: shape[axis], inner: Math.max(1, inner) };
}

/**
 * float32 values of cluster indices: centroids[c * k + index], c the element's channel
 * (dim channels of `inner` consecutive elements; dim 1: one set). Returns the index of
 * the first element whose index is >= k (a corrupt file), or -1.
 */
export function decodeClusters(idx: Uint8Array, dim: number, inner: number, k: number, centroids: Float32Array, out: Float32Array): number {
  let bad = -1;
  for (let i = 0, c = 0, inC = 0, base = 0; i < idx.length; i++) {
    const x = idx[i];
    if (x >= k && bad < 0) bad = i;
    out[i] = centroids[base + x];
    if (++inC === inner) {
      inC = 0;
      base += k;
      if (++c === dim) c = base = 0;
    }
  }
  return bad;
}
