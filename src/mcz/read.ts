/**
 * Reading a .mcz container (docs/format.md). parseMcz checks everything it can without
 * decoding symbols: framing, checksums of every section, the model JSON and its entries,
 * every section's heads and stream lengths against the shapes and the bytes present, and
 * the total the weights will take against the file's size, all before allocating any
 * tensor. Decoding happens per tensor, on request. Browser-safe: no Node built-ins.
 */
import { McError } from '../errors.js';
import { DTYPE_BYTES, elementCount } from '../model/dtypes.js';
import { type TensorValues, decodeEntry } from '../model/decode.js';
import type { ManifestEntry, ModelFormat } from '../model/manifest.js';
import { type BodyRef, decodeBody, readBody } from './body.js';
import { ByteReader } from './bytes.js';
import { crc32 } from './crc32.js';
import { BUDGET_FLOOR, BUDGET_RATIO, FORMAT_VERSION, type SectionHead, readFraming, readHead } from './format.js';
import { type McZModelJson, decodeModelSection } from './model-section.js';
import { channelsOf, encodingName, storedWidth } from './prepare.js';

/** model.json content as a .mcz holds it (see model-section.ts). */
export type { McZModelJson } from './model-section.js';

/** One tensor of a parsed container. */
export interface McZTensorInfo {
  name: string;
  shape: number[];
  dtype: ManifestEntry['dtype'];
  /** Stored encoding in words ("float32", "uint8 affine", "int8 per channel (axis 1)", ...). */
  encoding: string;
  sparse: boolean;
  /** Number of elements. */
  count: number;
  /** Bytes of its section in the file. */
  bytes: number;
  /** Bytes of storedEntry(i).bytes. */
  storedBytes: number;
  /** Bytes of its decoded values (what a loader allocates). */
  decodedBytes: number;
}

/** A tensor in stock form: an entry a stock manifest can hold and its stored bytes. */
export interface StoredTensor {
  entry: ManifestEntry;
  bytes: Uint8Array;
  /** True when the stock manifest could not hold the encoding (per-channel int8) and it was decoded to float32. */
  widened: boolean;
}

/** A parsed, validated container. */
export interface McZModel {
  /** The name used in errors (file path or URL). */
  source: string;
  version: number;
  format: ModelFormat;
  /** model.json content, without weightsManifest. */
  modelJson: McZModelJson;
  tensors: McZTensorInfo[];
  /** Decoded values of tensor i, exactly as stock tfjs decodes the equivalent stock entry. */
  decodeTensor(i: number): TensorValues;
  /** Tensor i as a stock manifest entry and stored bytes (per-channel int8 widened to float32). */
  storedEntry(i: number): StoredTensor;
  /** Tensor i as a loader hands it to tfjs: an entry without quantization and its decoded bytes. */
  decodedEntry(i: number): { entry: ManifestEntry; bytes: Uint8Array };
}

interface Parsed {
  entry: ManifestEntry;
  head: SectionHead;
  body: BodyRef;
}

/** Parse and validate a .mcz file held in memory; `source` names it in errors. */
export function parseMcz(bytes: Uint8Array, source: string): McZModel {
  const table = readFraming(bytes, source);
  let budget = BUDGET_FLOOR + BUDGET_RATIO * bytes.length - table.model.rawLength;
  if (budget < 0) throw overBudget(source, bytes.length);
  const m = table.model;
  const section = decodeModelSection(bytes.subarray(m.offset, m.offset + m.length), m.rawLength, table.tensors.length, source);
  const parsed: Parsed[] = [];
  const infos: McZTensorInfo[] = [];
  section.entries.forEach((entry, i) => {
    const loc = table.tensors[i];
    const where = `${source}: tensor "${entry.name}" (section ${i})`;
    if (crc32(bytes, loc.offset, loc.offset + loc.length) !== loc.crc) throw new McError('BAD_MANIFEST', `${where}: checksum mismatch (corrupt file)`);
    const r = new ByteReader(bytes, loc.offset, loc.offset + loc.length, where);
    const count = elementCount(entry.shape, where);
    const strings = entry.dtype === 'string';
    // Fixed-size tensors are charged before anything is read; strings once their length is known.
    const fixedBytes = strings ? 0 : count * DTYPE_BYTES[entry.dtype as Exclude<typeof entry.dtype, 'string'>];
    budget -= fixedBytes;
    if (budget < 0) throw overBudget(source, bytes.length);
    const head = readHead(r, entry.shape);
    if (head.kind === 'int8' && (entry.dtype !== 'float32' || entry.quantization)) throw r.bad('int8 needs a float32 entry without quantization');
    const width = head.kind === 'int8' ? 1 : storedWidth(entry);
    const body = readBody(r, count, width, strings, budget, head.kind === 'int8' ? channelsOf(entry.shape, head.axis, head.scales) : null);
    if (r.left !== 0) throw new McError('SIZE_MISMATCH', `${where}: ${r.left} bytes left over after the body (corrupt file)`);
    const decodedBytes = strings ? body.byteLength : fixedBytes;
    if (strings) budget -= decodedBytes;
    const perChannel = head.kind === 'int8' && head.axis !== null;
    const storedBytes = perChannel ? 4 * count : body.byteLength;
    parsed.push({ entry, head, body });
    infos.push({ name: entry.name, shape: entry.shape, dtype: entry.dtype, encoding: encodingName(entry, head), sparse: body.sparse !== null, count, bytes: loc.length, storedBytes, decodedBytes });
  });
  const where = (i: number): string => `${source}: tensor "${parsed[i].entry.name}"`;
  const check = (i: number): Parsed => {
    if (!(Number.isInteger(i) && i >= 0 && i < parsed.length)) throw new McError('USAGE', `${source}: no tensor ${i}; it has ${parsed.length}`);
    return parsed[i];
  };
  const decodeTensor = (i: number): TensorValues => {
    const p = check(i);
    const stored = decodeBody(p.body, bytes, where(i));
    if (p.head.kind === 'stored') return decodeEntry(p.entry, stored);
    return int8Values(new Int8Array(stored.buffer, stored.byteOffset, stored.length), p.entry.shape, p.head.axis, p.head.scales);
  };
  return {
    source,
    version: FORMAT_VERSION,
    format: section.format,
    modelJson: section.modelJson,
    tensors: infos,
    decodeTensor,
    storedEntry: (i) => {
      const p = check(i);
      const h = p.head;
      if (h.kind === 'stored') return { entry: p.entry, bytes: decodeBody(p.body, bytes, where(i)), widened: false };
      if (h.axis !== null) {
        const v = decodeTensor(i) as Float32Array;
        return { entry: p.entry, bytes: new Uint8Array(v.buffer, v.byteOffset, v.byteLength), widened: true };
      }
      // Per-tensor int8 in the stock uint8 form: q + 128 with min = -128 * scale decodes to q * scale.
      const q = decodeBody(p.body, bytes, where(i));
      for (let k = 0; k < q.length; k++) q[k] = (q[k] + 128) & 255;
      const scale = h.scales[0];
      return { entry: { ...p.entry, quantization: { dtype: 'uint8', scale, min: -128 * scale } }, bytes: q, widened: false };
    },
    decodedEntry: (i) => {
      const p = check(i);
      const entry: ManifestEntry = { name: p.entry.name, shape: p.entry.shape, dtype: p.entry.dtype };
      // Strings go to tfjs in their stored form (tfjs parses the length prefixes itself).
      if (p.entry.dtype === 'string') return { entry, bytes: decodeBody(p.body, bytes, where(i)) };
      const v = decodeTensor(i) as Float32Array | Int32Array | Uint8Array;
      return { entry, bytes: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) };
    },
  };
}

function overBudget(source: string, size: number): McError {
  return new McError(
    'SIZE_MISMATCH',
    `${source}: declares more weight bytes than ${BUDGET_FLOOR} + ${BUDGET_RATIO} x its ${size} bytes, which no writer produces; refusing a corrupt or hostile file`,
  );
}

/**
 * int8 values as the pass decodes them: per tensor as stock tfjs decodes the uint8 form,
 * fround((q + 128) * s + (-128 * s)); per channel fround(q * s[c]), walking the tensor as
 * [outer, dim, inner] around the axis.
 */
export function int8Values(q: Int8Array, shape: readonly number[], axis: number | null, scales: Float32Array): Float32Array {
  const out = new Float32Array(q.length);
  if (axis === null) {
    const s = scales[0];
    const min = -128 * s;
    for (let i = 0; i < q.length; i++) out[i] = (q[i] + 128) * s + min;
    return out;
  }
  const dim = shape[axis];
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  if (inner === 1) {
    // Channel on the last axis (Dense and Conv kernels): count through the channels.
    for (let i = 0, c = 0; i < q.length; i++) {
      out[i] = q[i] * scales[c];
      if (++c === dim) c = 0;
    }
    return out;
  }
  const outer = dim * inner === 0 ? 0 : q.length / (dim * inner);
  for (let o = 0, i = 0; o < outer; o++) {
    for (let c = 0; c < dim; c++) {
      const s = scales[c];
      for (let k = 0; k < inner; k++, i++) out[i] = q[i] * s;
    }
  }
  return out;
}
