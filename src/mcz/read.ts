/**
 * Reading a .mcz container (docs/format.md). parseMcz checks everything it can without
 * decoding symbols: framing, checksums of every section, the model JSON and its entries,
 * every section's heads and stream lengths against the shapes and the bytes present, and
 * the total the weights will take against the file's size, all before allocating any
 * tensor. Decoding happens per tensor, on request. Browser-safe: no Node built-ins.
 */
import { McError } from '../errors.js';
import { DTYPE_BYTES, elementCount } from '../model/dtypes.js';
import { type TensorValues, checkStrings, decodeEntry } from '../model/decode.js';
import type { ManifestEntry, ModelFormat } from '../model/manifest.js';
import { type BodyRef, decodeBody, readBody } from './body.js';
import { ByteReader } from './bytes.js';
import { crc32 } from './crc32.js';
import { BUDGET_FLOOR, BUDGET_RATIO, FORMAT_VERSION, type SectionHead, type SectionLoc, inMemory, readFramingFrom, readHead } from './format.js';
import { type McZModelJson, decodeModelSection } from './model-section.js';
import { channelsOf, encodingName, storedWidth } from './prepare.js';
import { decodeCodes, groupLayout } from '../passes/codes.js';

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
  /** True when the stock manifest could not hold the encoding (per-channel int8, intN, clusters) and it was decoded to float32. */
  widened: boolean;
}

/** A parsed, validated container. */
export interface McZModel {
  /** The name used in errors (file path or URL). */
  source: string;
  /** Format version of the file: 1, 2 for a weights-only model, 3 with intN or cluster sections. */
  version: number;
  /** `weights-only`: no topology, so no tfjs model; `modelJson` is then WeightsOnlyFields. */
  format: ModelFormat;
  /** model.json content, without weightsManifest. */
  modelJson: McZModelJson;
  tensors: McZTensorInfo[];
  /** Decoded values of tensor i, exactly as stock tfjs decodes the equivalent stock entry. */
  decodeTensor(i: number): TensorValues;
  /** Tensor i as a stock manifest entry and stored bytes (per-channel int8, intN and clusters widened to float32). */
  storedEntry(i: number): StoredTensor;
  /** Tensor i as a loader hands it to tfjs: an entry without quantization and its decoded bytes. */
  decodedEntry(i: number): { entry: ManifestEntry; bytes: Uint8Array };
}

/** A validated tensor section: its entry, head and body (stream positions in the bytes it was parsed from). */
export interface ParsedSection {
  entry: ManifestEntry;
  head: SectionHead;
  body: BodyRef;
}

/** What may still be allocated (see docs/format.md, Budget); sections are charged as they are parsed. */
export interface Budget {
  left: number;
  /** The file's size, for the error message. */
  fileSize: number;
}

/** Budget of a file of `size` bytes whose model JSON is `rawLength` bytes. */
export function budgetOf(size: number, rawLength: number, source: string): Budget {
  const b = { left: BUDGET_FLOOR + BUDGET_RATIO * size - rawLength, fileSize: size };
  if (b.left < 0) throw overBudget(source, size);
  return b;
}

/** The error for a tensor section named in messages as `where`. */
const sectionWhere = (source: string, entry: ManifestEntry, i: number): string => `${source}: tensor "${entry.name}" (section ${i})`;

/**
 * Check a tensor section's checksum, then parse its head and body headers from
 * `bytes[start, start + loc.length)`, charging `budget` (before anything is sized by the
 * shape) and checking every length against the bytes present. `base`: where bytes[0]
 * lies in the file (messages give file offsets); `version`: the file's format version.
 */
export function parseSection(
  bytes: Uint8Array,
  start: number,
  loc: SectionLoc,
  entry: ManifestEntry,
  i: number,
  budget: Budget,
  source: string,
  base = 0,
  version = FORMAT_VERSION,
): { parsed: ParsedSection; info: McZTensorInfo } {
  const where = sectionWhere(source, entry, i);
  if (crc32(bytes, start, start + loc.length) !== loc.crc) throw new McError('BAD_MANIFEST', `${where}: checksum mismatch (corrupt file)`);
  const r = new ByteReader(bytes, start, start + loc.length, where, base);
  const count = elementCount(entry.shape, where);
  const strings = entry.dtype === 'string';
  const charge = (n: number): void => {
    budget.left -= n;
    if (budget.left < 0) throw overBudget(source, budget.fileSize);
  };
  // Fixed-size tensors are charged before anything is read; strings once their length is known.
  const fixedBytes = strings ? 0 : count * DTYPE_BYTES[entry.dtype as Exclude<typeof entry.dtype, 'string'>];
  charge(fixedBytes);
  const head = readHead(r, entry.shape, version, charge);
  if (head.kind !== 'stored' && (entry.dtype !== 'float32' || entry.quantization)) throw r.bad(`${head.kind} needs a float32 entry without quantization`);
  const width = head.kind === 'stored' ? storedWidth(entry) : 1;
  const body = readBody(r, count, width, strings, budget.left, head.kind === 'int8' ? channelsOf(entry.shape, head.axis, head.scales) : null);
  if (r.left !== 0) throw new McError('SIZE_MISMATCH', `${where}: ${r.left} bytes left over after the body (corrupt file)`);
  const decodedBytes = strings ? body.byteLength : fixedBytes;
  if (strings) budget.left -= decodedBytes;
  const widened = head.kind === 'intn' || head.kind === 'cluster' || (head.kind === 'int8' && head.axis !== null);
  const storedBytes = widened ? 4 * count : body.byteLength;
  const info = { name: entry.name, shape: entry.shape, dtype: entry.dtype, encoding: encodingName(entry, head), sparse: body.sparse !== null, count, bytes: loc.length, storedBytes, decodedBytes };
  return { parsed: { entry, head, body }, info };
}

/** Decoded values of a parsed section whose stream positions refer to `bytes`. */
export function decodeSection(p: ParsedSection, bytes: Uint8Array, where: string): TensorValues {
  const stored = decodeBody(p.body, bytes, where);
  const h = p.head;
  const shape = p.entry.shape;
  if (h.kind === 'stored') return decodeEntry(p.entry, stored);
  const out = new Float32Array(stored.length);
  let bad: number;
  if (h.kind === 'cluster') {
    // One group per channel (or one for the tensor); index q < k picks centroids[g * k + q].
    bad = decodeCodes(stored, groupLayout(shape, h.axis, Infinity), 0, h.k - 1, 0, null, null, h.centroids, out);
  } else if (h.kind === 'intn') {
    // Read heads always hold zero codes (a symmetric grid's are 2^(bits-1) - 1): q in [0, 2^bits - 1].
    bad = decodeCodes(stored, groupLayout(shape, h.axis, h.groupSize), 0, (1 << h.bits) - 1, 0, h.zeros, h.scales, null, out);
  } else {
    // int8: one group per channel (or one for the tensor), any signed byte; q * s equals what stock tfjs decodes from the uint8 form, (q + 128) * s - 128 * s (both exact).
    bad = decodeCodes(stored, groupLayout(shape, h.axis, Infinity), 0, 255, 128, null, h.scales, null, out);
  }
  if (bad >= 0) throw new McError('BAD_MANIFEST', `${where}: element ${bad}: code out of range (corrupt file)`);
  return out;
}

/** Stored bytes of a section, string tensors checked to hold exactly their count of strings (so neither tfjs nor unpack gets more or fewer). */
function storedStrings(p: ParsedSection, b: Uint8Array, where: string): Uint8Array {
  if (p.entry.dtype === 'string') checkStrings(p.entry, b, where);
  return b;
}

/** A parsed section as a stock manifest entry and stored bytes (per-channel int8 widened to float32). */
export function storedSection(p: ParsedSection, bytes: Uint8Array, where: string): StoredTensor {
  const h = p.head;
  if (h.kind === 'stored') return { entry: p.entry, bytes: storedStrings(p, decodeBody(p.body, bytes, where), where), widened: false };
  if (h.kind !== 'int8' || h.axis !== null) {
    const v = decodeSection(p, bytes, where) as Float32Array;
    return { entry: p.entry, bytes: new Uint8Array(v.buffer, v.byteOffset, v.byteLength), widened: true };
  }
  // Per-tensor int8 in the stock uint8 form: q + 128 with min = -128 * scale decodes to q * scale.
  const q = decodeBody(p.body, bytes, where);
  // q + 128 (mod 256): bit 7 of every byte (a plain loop: the word-at-a-time flipSignBits of the passes would grow the loader).
  for (let k = 0; k < q.length; k++) q[k] ^= 0x80;
  const scale = h.scales[0];
  return { entry: { ...p.entry, quantization: { dtype: 'uint8', scale, min: -128 * scale } }, bytes: q, widened: false };
}

/** A parsed section as a loader hands it to tfjs: an entry without quantization and its decoded bytes. */
export function decodedSection(p: ParsedSection, bytes: Uint8Array, where: string): { entry: ManifestEntry; bytes: Uint8Array } {
  const entry: ManifestEntry = { name: p.entry.name, shape: p.entry.shape, dtype: p.entry.dtype };
  // Strings go to tfjs in their stored form (tfjs parses the length prefixes itself).
  if (p.entry.dtype === 'string') return { entry, bytes: storedStrings(p, decodeBody(p.body, bytes, where), where) };
  const v = decodeSection(p, bytes, where) as Float32Array | Int32Array | Uint8Array;
  return { entry, bytes: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) };
}

/** Parse and validate a .mcz file held in memory; `source` names it in errors. */
export function parseMcz(bytes: Uint8Array, source: string): McZModel {
  const { table, model: modelBytes, version } = readFramingFrom(inMemory(bytes), source);
  const budget = budgetOf(bytes.length, table.model.rawLength, source);
  const section = decodeModelSection(modelBytes, table.model.rawLength, table.tensors.length, source, version);
  const parsed: ParsedSection[] = [];
  const infos: McZTensorInfo[] = [];
  section.entries.forEach((entry, i) => {
    const loc = table.tensors[i];
    const r = parseSection(bytes, loc.offset, loc, entry, i, budget, source, 0, version);
    parsed.push(r.parsed);
    infos.push(r.info);
  });
  const where = (i: number): string => `${source}: tensor "${parsed[i].entry.name}"`;
  const check = (i: number): ParsedSection => {
    if (!(Number.isInteger(i) && i >= 0 && i < parsed.length)) throw new McError('USAGE', `${source}: no tensor ${i}; it has ${parsed.length}`);
    return parsed[i];
  };
  return {
    source,
    version,
    format: section.format,
    modelJson: section.modelJson,
    tensors: infos,
    decodeTensor: (i) => decodeSection(check(i), bytes, where(i)),
    storedEntry: (i) => storedSection(check(i), bytes, where(i)),
    decodedEntry: (i) => decodedSection(check(i), bytes, where(i)),
  };
}

function overBudget(source: string, size: number): McError {
  return new McError(
    'SIZE_MISMATCH',
    `${source}: declares more weight bytes than ${BUDGET_FLOOR} + ${BUDGET_RATIO} x its ${size} bytes; refusing a corrupt or hostile file`,
  );
}
