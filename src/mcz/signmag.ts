/**
 * Sign-magnitude coding of the non-zero values of a sparse int8 section: a sign bit per
 * value, and |q| - 1 - m_c, where m_c + 1 is the smallest |q| kept in the value's channel.
 *
 * Why: magnitude pruning keeps |w| >= T, so channel c (scale s_c) keeps |q| >= about
 * T / s_c. Those floors differ across channels, which order-0 coding of q cannot see;
 * removing them aligns the channels' distributions. The floors themselves are stored
 * plainly, or, when cheaper, as residuals against round(T' / s_c) for one stored float32
 * T' (the pruning threshold, recovered by the writer), which are mostly 0.
 */
import type { ByteReader, ByteWriter } from './bytes.js';
import { type StreamPlan, type StreamRef, analyze, decodeStream, readStream, writeStream } from './stream.js';

/** How int8 elements map to channels (element i is in channel floor(i / inner) % dim), and their scales. */
export interface Channels {
  dim: number;
  inner: number;
  scales: Float32Array;
}

/** Floor codings. */
const FLOORS = { plain: 0, predicted: 1 } as const;

interface Stream {
  data: Uint8Array;
  plan: StreamPlan;
}

/** A sign-magnitude plan: floors (plain or predicted), signs, magnitudes. */
export interface SignMagPlan {
  mode: number;
  threshold: number;
  streams: Stream[];
  bytes: number;
}

const stream = (data: Uint8Array): Stream => ({ data, plan: analyze(data, 0, 1, data.length) });

/** round(t / s) as a byte: the predicted floor + 1 (NaN and overflow wrap; only a hostile file has them). */
const predict = (t: number, s: number): number => Math.round(t / s) & 255;

/**
 * The float32 T' that predicts the most floors exactly: channel c is right when T' lies in
 * [(m_c + 0.5) s_c, (m_c + 1.5) s_c); a sweep over the interval ends finds the deepest overlap.
 */
function bestThreshold(floors: Uint8Array, used: Uint8Array, scales: Float32Array): number {
  const ends: Array<[number, number]> = [];
  for (let c = 0; c < floors.length; c++) {
    if (!used[c]) continue;
    ends.push([(floors[c] + 0.5) * scales[c], 1], [(floors[c] + 1.5) * scales[c], -1]);
  }
  ends.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let depth = 0;
  let best = -1;
  let at = 0;
  for (let k = 0; k < ends.length; k++) {
    depth += ends[k][1];
    if (depth > best && k + 1 < ends.length) {
      best = depth;
      at = (ends[k][0] + ends[k + 1][0]) / 2;
    }
  }
  return Math.fround(at);
}

/** Plan sign-magnitude coding of `values` (int8 bytes, none 0); chan[k] is value k's channel. */
export function planSignMagnitude(values: Uint8Array, chan: Int32Array, ch: Channels): SignMagPlan {
  const nnz = values.length;
  const floors = new Uint8Array(ch.dim).fill(255);
  const used = new Uint8Array(ch.dim);
  const mags = new Uint8Array(nnz);
  const signs = new Uint8Array((nnz + 7) >>> 3);
  for (let k = 0; k < nnz; k++) {
    const v = values[k];
    // Signs lie at random: no branch on them. |q| of the byte's int8 value, by its sign mask.
    const neg = v >>> 7;
    const x = (v << 24) >> 24;
    const m = ((x ^ (x >> 31)) - (x >> 31)) - 1;
    mags[k] = m;
    signs[k >>> 3] |= neg << (k & 7);
    const c = chan[k];
    if (m < floors[c]) floors[c] = m;
    used[c] = 1;
  }
  for (let c = 0; c < ch.dim; c++) if (!used[c]) floors[c] = 0;
  for (let k = 0; k < nnz; k++) mags[k] -= floors[chan[k]];
  const threshold = bestThreshold(floors, used, ch.scales);
  // Channels with no value have no floor to store: residual 0.
  const residuals = floors.map((m, c) => (used[c] ? (m + 1 - predict(threshold, ch.scales[c])) & 255 : 0));
  const plain = stream(floors);
  const predicted = stream(residuals);
  const usePredicted = predicted.plan.bytes + 4 < plain.plan.bytes;
  const streams = [usePredicted ? predicted : plain, stream(signs), stream(mags)];
  const bytes = 1 + (usePredicted ? 4 : 0) + streams.reduce((a, s) => a + s.plan.bytes, 0);
  return { mode: usePredicted ? FLOORS.predicted : FLOORS.plain, threshold, streams, bytes };
}

/** Write a sign-magnitude plan: u8 floor coding, [f32 T'], floors, signs, magnitudes. */
export function writeSignMagnitude(w: ByteWriter, p: SignMagPlan): void {
  w.u8(p.mode);
  if (p.mode === FLOORS.predicted) w.f32(p.threshold);
  for (const s of p.streams) writeStream(w, s.data, 0, 1, s.data.length, s.plan);
}

/** A validated sign-magnitude header. */
export interface SignMagRef {
  mode: number;
  threshold: number;
  streams: StreamRef[];
}

/** Read a sign-magnitude header for `nnz` values over `ch.dim` channels. */
export function readSignMagnitude(r: ByteReader, nnz: number, ch: Channels): SignMagRef {
  const mode = r.u8('floor coding');
  if (mode !== FLOORS.plain && mode !== FLOORS.predicted) throw r.bad(`unknown floor coding ${mode}`);
  const threshold = mode === FLOORS.predicted ? r.f32('threshold') : 0;
  if (!(threshold >= 0 && threshold < Infinity)) throw r.bad(`threshold ${threshold} is not a finite non-negative number`);
  const streams = [readStream(r, ch.dim, 'channel floors'), readStream(r, (nnz + 7) >>> 3, 'signs'), readStream(r, nnz, 'magnitudes')];
  return { mode, threshold, streams };
}

/** Decode floors (per channel), sign bits and magnitudes. */
export function decodeSignMagnitude(ref: SignMagRef, file: Uint8Array, ch: Channels, where: string): { floors: Uint8Array; signs: Uint8Array; mags: Uint8Array } {
  const [floors, signs, mags] = ref.streams.map((s) => {
    const a = new Uint8Array(s.n);
    decodeStream(s, file, a, 0, 1, `${where} values`);
    return a;
  });
  if (ref.mode === FLOORS.predicted) for (let c = 0; c < ch.dim; c++) floors[c] = (floors[c] + predict(ref.threshold, ch.scales[c]) - 1) & 255;
  return { floors, signs, mags };
}
