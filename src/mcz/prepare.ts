/**
 * What the writer needs of one input tensor: the manifest entry recorded for it, its
 * section head, and its stored-form bytes, checked against its shape. Stock stored
 * entries and float32 / float16 / affine encodings all become stock stored forms (the
 * entry's quantization says how to decode them); int8 keeps its own head and scales.
 */
import { McError } from '../errors.js';
import { DTYPE_BYTES, QUANT_BYTES, STRING_LENGTH_BYTES, elementCount, fixedByteLength, isDType, isQuantDType } from '../model/dtypes.js';
import type { ManifestEntry } from '../model/manifest.js';
import { decodeTable, toFloat16Bits } from '../model/float16.js';
import { codecName, decodeIntN, groupLayout } from '../passes/codes.js';
import type { Encoded } from '../passes/types.js';
import type { BodyInput } from './body.js';
import type { SectionHead } from './format.js';
import type { Channels } from './sparse.js';

/** One tensor to pack: a stock entry with its stored bytes (lossless), or an encoded tensor. */
export interface MczTensor {
  /** The source manifest entry (stored form), or for an encoded tensor its name, shape and dtype (float32). */
  entry: ManifestEntry;
  /** Stored bytes of a stock entry, exactly as in its shards. */
  stored?: Uint8Array;
  /** Output of a quantize pass, or the float32 values of a pruned-only tensor (encoding kind 'float32'). */
  encoded?: Encoded;
}

/** A tensor ready to encode. */
export interface Prepared {
  entry: ManifestEntry;
  head: SectionHead;
  body: BodyInput;
  /** The stored encoding in words. */
  encoding: string;
  /** Bytes a loader allocates for its decoded values. */
  decodedBytes: number;
}

const u8 = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The stored encoding of an entry and head, in words (as `inspect` and the summaries name them). */
export function encodingName(entry: ManifestEntry, head: SectionHead): string {
  if (head.kind === 'int8') return head.axis === null ? 'int8' : `int8 per channel (axis ${head.axis})`;
  if (head.kind === 'intn' || head.kind === 'cluster') return codecName(head);
  const q = entry.quantization;
  return q ? (q.dtype === 'float16' ? 'float16' : `${q.dtype} affine`) : entry.dtype;
}

/** How the elements of a tensor of `shape` map to the channels of `axis` (null: one channel), with their scales. */
export function channelsOf(shape: readonly number[], axis: number | null, scales: Float32Array): Channels {
  // One channel without an axis: floor(i / inner) mod 1 is 0 whatever inner is.
  const l = groupLayout(shape, axis, 1);
  return { dim: Math.max(1, l.dim), inner: Math.max(1, l.inner), scales };
}

/** Bytes per element of an entry's stored form (strings: 1, their bytes are one stream). */
export function storedWidth(entry: ManifestEntry): number {
  if (entry.quantization) return QUANT_BYTES[entry.quantization.dtype];
  return entry.dtype === 'string' ? 1 : DTYPE_BYTES[entry.dtype];
}

/** Check that `bytes` hold exactly `count` length-prefixed strings. */
function checkStrings(bytes: Uint8Array, count: number, at: string): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + STRING_LENGTH_BYTES > bytes.length) throw new McError('SIZE_MISMATCH', `${at}: string ${i} of ${count} starts past the ${bytes.length} stored bytes`);
    p += STRING_LENGTH_BYTES + dv.getUint32(p, true);
  }
  if (p !== bytes.length) throw new McError('SIZE_MISMATCH', `${at}: ${count} strings take ${p} bytes, ${bytes.length} were given`);
}

/** Validate one input tensor and turn it into what the section writer needs. */
export function prepareTensor(t: MczTensor): Prepared {
  const e = t.entry;
  const name = typeof e?.name === 'string' && e.name !== '' ? e.name : '';
  if (!name) throw new McError('BAD_MANIFEST', `tensor: expected a non-empty string name, found ${JSON.stringify(e?.name)}`);
  const at = `tensor "${name}"`;
  if (!Array.isArray(e.shape)) throw new McError('BAD_MANIFEST', `${at}: expected a shape list, found ${JSON.stringify(e.shape)}`);
  const count = elementCount(e.shape, at);
  if (!isDType(e.dtype)) throw new McError('BAD_DTYPE', `${at}: unknown dtype ${JSON.stringify(e.dtype)}`);
  if ((t.stored === undefined) === (t.encoded === undefined)) {
    throw new McError('USAGE', `${at}: expected exactly one of "stored" bytes or an "encoded" tensor`);
  }
  if (t.stored) {
    const q = e.quantization;
    if (q !== undefined && !isQuantDType(q.dtype)) throw new McError('BAD_DTYPE', `${at}: unknown quantization dtype ${JSON.stringify(q.dtype)}`);
    const fixed = fixedByteLength(count, e.dtype, q?.dtype);
    if (fixed === null) checkStrings(t.stored, count, at);
    else if (fixed !== t.stored.length) throw new McError('SIZE_MISMATCH', `${at}: shape and dtype take ${fixed} bytes, ${t.stored.length} were given`);
    const head: SectionHead = { kind: 'stored' };
    const decodedBytes = e.dtype === 'string' ? t.stored.length : count * DTYPE_BYTES[e.dtype];
    const body = { bytes: t.stored, count, width: storedWidth(e), strings: e.dtype === 'string' };
    return { entry: e, head, body, encoding: encodingName(e, head), decodedBytes };
  }
  return prepareEncoded(e, t.encoded as Encoded, count, at);
}

function prepareEncoded(e: ManifestEntry, enc: Encoded, count: number, at: string): Prepared {
  if (e.dtype !== 'float32') throw new McError('BAD_DTYPE', `${at}: an encoded tensor must have dtype float32, found ${e.dtype}`);
  const { quantization: _old, ...rest } = e;
  const k = enc.encoding;
  const s = enc.symbols;
  const want = (ok: boolean, what: string): void => {
    if (!ok) throw new McError('USAGE', `${at}: ${k.kind} encoding needs ${what} symbols`);
  };
  if (s.length !== count) throw new McError('SIZE_MISMATCH', `${at}: shape [${e.shape.join(', ')}] has ${count} elements, the encoding holds ${s.length} symbols`);
  let entry: ManifestEntry = { ...rest, dtype: 'float32' };
  let head: SectionHead = { kind: 'stored' };
  switch (k.kind) {
    case 'float32':
      want(s instanceof Float32Array, 'Float32Array');
      break;
    case 'float16':
      want(s instanceof Uint16Array, 'Uint16Array');
      entry = { ...entry, quantization: { dtype: 'float16' } };
      break;
    case 'affine':
      want(k.dtype === 'uint8' ? s instanceof Uint8Array : s instanceof Uint16Array, k.dtype === 'uint8' ? 'Uint8Array' : 'Uint16Array');
      if (!Number.isFinite(k.scale) || !Number.isFinite(k.min)) throw new McError('BAD_VALUE', `${at}: affine scale and min must be finite`);
      entry = { ...entry, quantization: { dtype: k.dtype, scale: k.scale, min: k.min } };
      break;
    case 'int8': {
      want(s instanceof Int8Array, 'Int8Array');
      const rank = e.shape.length;
      if (k.axis !== null && !(Number.isInteger(k.axis) && k.axis >= 0 && k.axis < rank)) throw new McError('USAGE', `${at}: int8 axis ${k.axis} is outside [0, ${rank})`);
      const n = k.axis === null ? 1 : e.shape[k.axis];
      if (k.scales.length !== n) throw new McError('SIZE_MISMATCH', `${at}: int8 needs ${n} scale(s), found ${k.scales.length}`);
      for (const v of k.scales) if (!(v > 0 && v < Infinity)) throw new McError('BAD_VALUE', `${at}: int8 scales must be finite and positive, found ${v}`);
      head = { kind: 'int8', axis: k.axis, scales: k.scales };
      break;
    }
    case 'intn':
    case 'cluster': {
      want(s instanceof Uint8Array, 'Uint8Array');
      // Nothing to decode: an empty tensor is stored as an empty float32 one, readable by every version.
      if (count === 0) return { entry, head, body: { bytes: new Uint8Array(0), count, width: 4, strings: false }, encoding: 'float32', decodedBytes: 0 };
      head = k.kind === 'intn' ? checkIntN(k, e.shape, at) : checkClusters(k, e.shape, at);
      break;
    }
  }
  const body = { bytes: u8(s), count, width: s.BYTES_PER_ELEMENT, strings: false, channels: head.kind === 'int8' ? channelsOf(e.shape, head.axis, head.scales) : undefined };
  if (head.kind === 'intn' || head.kind === 'cluster') checkCodes(head, e.shape, s as Uint8Array, at);
  return { entry, head, body, encoding: encodingName(entry, head), decodedBytes: 4 * count };
}

/** True when x is a finite float16 value (held as float32). */
const isFloat16 = (x: number): boolean => Number.isFinite(x) && decodeTable()[toFloat16Bits(x)] === x;

/** An intN encoding as a section head, checked as the reader will check it. */
function checkIntN(k: Extract<Encoded['encoding'], { kind: 'intn' }>, shape: readonly number[], at: string): SectionHead {
  const rank = shape.length;
  if (!(Number.isInteger(k.bits) && k.bits >= 2 && k.bits <= 8)) throw new McError('USAGE', `${at}: intN encoding with ${k.bits} bits, expected 2..8`);
  if (k.axis !== null && !(Number.isInteger(k.axis) && k.axis >= 0 && k.axis < rank)) throw new McError('USAGE', `${at}: intN axis ${k.axis} is outside [0, ${rank})`);
  const l = groupLayout(shape, k.axis, k.groupSize);
  if (!(Number.isInteger(k.groupSize) && k.groupSize === l.groupSize)) throw new McError('USAGE', `${at}: intN group size ${k.groupSize}, expected a whole number in [1, ${l.length}]`);
  const n = l.dim * l.groups;
  if (k.scales.length !== n) throw new McError('SIZE_MISMATCH', `${at}: int${k.bits} in groups of ${k.groupSize} needs ${n} scales, found ${k.scales.length}`);
  for (const v of k.scales) if (!(v > 0 && isFloat16(v))) throw new McError('BAD_VALUE', `${at}: intN scales must be positive float16 values, found ${v}`);
  if (k.symmetric !== (k.zeros === null) || (k.zeros && k.zeros.length !== n)) throw new McError('USAGE', `${at}: ${k.symmetric ? 'a symmetric grid has no zero codes' : `an affine grid needs ${n} zero codes`}`);
  if (k.zeros) for (const z of k.zeros) if (z >= 1 << k.bits) throw new McError('BAD_VALUE', `${at}: zero code ${z} is outside the int${k.bits} range`);
  return { kind: 'intn', bits: k.bits, symmetric: k.symmetric, axis: k.axis, groupSize: k.groupSize, scales: k.scales, zeros: k.zeros };
}

/** A cluster encoding as a section head, checked as the reader will check it. */
function checkClusters(k: Extract<Encoded['encoding'], { kind: 'cluster' }>, shape: readonly number[], at: string): SectionHead {
  const rank = shape.length;
  if (!(Number.isInteger(k.k) && k.k >= 1 && k.k <= 256)) throw new McError('USAGE', `${at}: ${k.k} clusters, expected 1..256`);
  if (k.axis !== null && !(Number.isInteger(k.axis) && k.axis >= 0 && k.axis < rank)) throw new McError('USAGE', `${at}: cluster axis ${k.axis} is outside [0, ${rank})`);
  const n = groupLayout(shape, k.axis, 1).dim * k.k;
  if (k.centroids.length !== n) throw new McError('SIZE_MISMATCH', `${at}: ${k.k} clusters per set need ${n} centroids, found ${k.centroids.length}`);
  for (const v of k.centroids) if (!isFloat16(v)) throw new McError('BAD_VALUE', `${at}: centroids must be finite float16 values, found ${v}`);
  return { kind: 'cluster', k: k.k, axis: k.axis, centroids: k.centroids };
}

/** Every code inside the grid's range (the reader refuses others as corrupt, so nothing is written that it would). */
function checkCodes(h: SectionHead, shape: readonly number[], s: Uint8Array, at: string): void {
  if (h.kind === 'cluster') {
    for (let i = 0; i < s.length; i++) if (s[i] >= h.k) throw new McError('BAD_VALUE', `${at}: element ${i} has cluster index ${s[i]}, expected < ${h.k}`);
    return;
  }
  if (h.kind !== 'intn') return;
  const out = new Float32Array(s.length);
  const bad = decodeIntN(s, groupLayout(shape, h.axis, h.groupSize), h.bits, h.scales, h.zeros, out);
  if (bad >= 0) throw new McError('BAD_VALUE', `${at}: element ${bad} has code byte ${s[bad]}, outside the int${h.bits} range of its group`);
}
