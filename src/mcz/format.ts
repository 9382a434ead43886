/**
 * The framing of a .mcz file (format versions 1 to 3; docs/format.md is the specification):
 *
 *   header (16) | tensor sections | model section | zero padding | table | footer (24)
 *
 * Sections are back to back: the first tensor section starts at byte 16 and the footer
 * ends the file, so every byte is accounted for. The table (found through the footer)
 * locates and checksums each section. All integers are little-endian. Browser-safe.
 */
import { McError } from '../errors.js';
import { float16ToFloat32, toFloat16Bits } from '../model/float16.js';
import { groupLayout } from '../passes/codes.js';
import type { ClusterCodebook, IntNGrid } from '../passes/types.js';
import { decodeBody, readBody, writeBody } from './body.js';
import { ByteReader, type ByteWriter } from './bytes.js';
import { crc32 } from './crc32.js';

/** First 8 bytes of every .mcz file ("\x89MCZ\r\n\x1a\n", after PNG: catches text-mode mangling). */
export const MAGIC = Uint8Array.of(0x89, 0x4d, 0x43, 0x5a, 0x0d, 0x0a, 0x1a, 0x0a);
/** Last 8 bytes of every .mcz file: a truncated file lacks them. */
export const END_MAGIC = Uint8Array.of(0x89, 0x45, 0x4e, 0x44, 0x0d, 0x0a, 0x1a, 0x0a);
/** The newest format version this code reads and writes. */
export const FORMAT_VERSION = 3;
/** The first version with intN and cluster sections. */
export const LOW_BIT_VERSION = 3;

/**
 * The version a file is written in: the oldest whose readers read it whole. Version 2 is
 * version 1 plus the weights-only model section, version 3 adds the intN and cluster
 * section kinds (docs/format.md), so a model with a topology and without those is still
 * written as version 1, which every reader reads, and an older reader refuses a newer
 * file with "upgrade" instead of a puzzling error. `lowBit`: some section is intN or cluster.
 */
export function versionFor(format: string | undefined, lowBit = false): number {
  return lowBit ? LOW_BIT_VERSION : format === 'weights-only' ? 2 : 1;
}
/** Bytes of the header: magic, u32 version, u32 flags (0). */
export const HEADER_BYTES = 16;
/** Bytes of the footer: u64 table offset, u32 table length, u32 table CRC-32, end magic. */
export const FOOTER_BYTES = 24;
/** Bytes of the table before its per-tensor rows. */
export const TABLE_FIXED_BYTES = 36;
/** Bytes of one table row: u64 offset, u64 length, u32 CRC-32. */
export const TABLE_ROW_BYTES = 20;

/**
 * Readers refuse a file whose decoded weights (plus model JSON) exceed 1 MiB + 4096 x the
 * file's size, before allocating anything; writers pad a file that compresses beyond that
 * (only near-constant models do), so a small hostile file cannot demand a large allocation.
 */
export const BUDGET_FLOOR = 2 ** 20;
/** See BUDGET_FLOOR. */
export const BUDGET_RATIO = 4096;

/** Where a section is and its checksum. */
export interface SectionLoc {
  offset: number;
  length: number;
  crc: number;
}

/** What the table holds. */
export interface Table {
  tensors: SectionLoc[];
  model: SectionLoc & { rawLength: number };
  padding: number;
}

/** Header bytes for format `version` (see versionFor). */
export function headerBytes(version: number): Uint8Array {
  const h = new Uint8Array(HEADER_BYTES);
  h.set(MAGIC);
  new DataView(h.buffer).setUint32(8, version, true);
  return h;
}

/** Table then footer, for a table that starts at `tableOffset`. */
export function tableAndFooter(t: Table, tableOffset: number, w: ByteWriter): void {
  const start = w.length;
  w.u32(t.tensors.length);
  w.u64(t.padding);
  w.u64(t.model.offset);
  w.u64(t.model.length);
  w.u32(t.model.crc);
  w.u32(t.model.rawLength);
  for (const s of t.tensors) {
    w.u64(s.offset);
    w.u64(s.length);
    w.u32(s.crc);
  }
  const len = w.length - start;
  const crc = crc32(w.view(), start, w.length);
  w.u64(tableOffset);
  w.u32(len);
  w.u32(crc);
  w.bytes(END_MAGIC);
}

const sameBytes = (a: Uint8Array, at: number, b: Uint8Array): boolean => b.every((v, i) => a[at + i] === v);

/**
 * Random access to a container's bytes, for the framing checks: the whole file in memory
 * (`inMemory`), or a file read in place (mcz/file.ts), so that a file of any size is
 * framed without reading it whole. `bytes` returns exactly the range asked for, which
 * the callers keep inside [0, size).
 */
export interface FramingSource {
  size: number;
  bytes(offset: number, length: number): Uint8Array;
}

/** A FramingSource over bytes held in memory (views, no copies). */
export function inMemory(bytes: Uint8Array): FramingSource {
  return { size: bytes.length, bytes: (offset, length) => bytes.subarray(offset, offset + length) };
}

/** Largest padding chunk checked at once by a FramingSource. */
const PADDING_CHUNK = 1 << 20;

/** Check magic and version (returned); the version check comes first so that even a damaged newer file says so. */
function readHeader(src: FramingSource, source: string): number {
  const bytes = src.bytes(0, Math.min(src.size, HEADER_BYTES));
  const n = Math.min(bytes.length, MAGIC.length);
  if (n === 0 || !sameBytes(bytes, 0, MAGIC.subarray(0, n))) {
    throw new McError('BAD_MANIFEST', `${source}: not a .mcz file (it does not start with the .mcz magic bytes)`);
  }
  if (bytes.length < HEADER_BYTES) throw new McError('SIZE_MISMATCH', `${source}: truncated: ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const version = dv.getUint32(8, true);
  if (version > FORMAT_VERSION) {
    throw new McError('UNSUPPORTED', `${source}: written by format version ${version}; this maas-compress reads versions 1 to ${FORMAT_VERSION}; upgrade`);
  }
  if (version === 0) throw new McError('BAD_MANIFEST', `${source}: format version 0 does not exist (corrupt header)`);
  const flags = dv.getUint32(12, true);
  if (flags !== 0) throw new McError('BAD_MANIFEST', `${source}: unknown header flags ${flags} (corrupt header)`);
  return version;
}

/** Parse header, footer and table of a file held in memory, and check every section's place and checksum. */
export function readFraming(bytes: Uint8Array, source: string): Table {
  return readFramingFrom(inMemory(bytes), source).table;
}

/** Allocation bounds of a file reader (a FramingSource that copies): the longest table and model section it reads. */
export interface FramingLimits {
  table: number;
  model: number;
}

/**
 * Parse header, footer and table, and check every section's place, the padding and the
 * model section's checksum; returns the table, the model section's bytes and the format version (tensor
 * sections are checksummed by the reader, one at a time). `limits`: refuse a table or
 * model section longer than these before reading it (a file reader's allocation bound;
 * in memory both are views).
 */
export function readFramingFrom(
  src: FramingSource,
  source: string,
  limits: FramingLimits = { table: Infinity, model: Infinity },
): { table: Table; model: Uint8Array; version: number } {
  const version = readHeader(src, source);
  const size = src.size;
  const minimum = HEADER_BYTES + TABLE_FIXED_BYTES + FOOTER_BYTES;
  if (size < minimum || !sameBytes(src.bytes(size - END_MAGIC.length, END_MAGIC.length), 0, END_MAGIC)) {
    throw new McError('SIZE_MISMATCH', `${source}: truncated: the file (${size} bytes) does not end with the .mcz footer`);
  }
  const foot = new ByteReader(src.bytes(size - FOOTER_BYTES, FOOTER_BYTES), 0, FOOTER_BYTES, `${source}: footer`, size - FOOTER_BYTES);
  const tableOffset = foot.u64('table offset');
  const tableLength = foot.u32('table length');
  const tableCrc = foot.u32('table checksum');
  if (tableOffset + tableLength !== size - FOOTER_BYTES || tableLength < TABLE_FIXED_BYTES || (tableLength - TABLE_FIXED_BYTES) % TABLE_ROW_BYTES !== 0) {
    throw new McError('SIZE_MISMATCH', `${source}: footer: table of ${tableLength} bytes at byte ${tableOffset} does not end at the footer (byte ${size - FOOTER_BYTES}); truncated or corrupt`);
  }
  if (tableLength > limits.table) throw new McError('SIZE_MISMATCH', `${source}: footer: a table of ${tableLength} bytes, over this reader's limit of ${limits.table} (corrupt file)`);
  const tableBytes = src.bytes(tableOffset, tableLength);
  if (crc32(tableBytes) !== tableCrc) throw new McError('BAD_MANIFEST', `${source}: table: checksum mismatch (corrupt file)`);
  const r = new ByteReader(tableBytes, 0, tableLength, `${source}: table`, tableOffset);
  const count = r.u32('tensor count');
  const rows = (tableLength - TABLE_FIXED_BYTES) / TABLE_ROW_BYTES;
  if (count !== rows) throw new McError('SIZE_MISMATCH', `${source}: table: declares ${count} tensors but holds ${rows} rows`);
  const padding = r.u64('padding');
  const model = { offset: r.u64('model offset'), length: r.u64('model length'), crc: r.u32('model checksum'), rawLength: r.u32('model JSON length') };
  const tensors: SectionLoc[] = [];
  let at = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const s = { offset: r.u64('section offset'), length: r.u64('section length'), crc: r.u32('section checksum') };
    if (s.offset !== at || s.length > tableOffset - at) {
      throw new McError('SIZE_MISMATCH', `${source}: table: tensor section ${i} claims bytes ${s.offset}..${s.offset + s.length}, expected to start at ${at} and end by ${tableOffset}`);
    }
    tensors.push(s);
    at += s.length;
  }
  if (model.offset !== at || model.length < 1 || model.length > tableOffset - at || at + model.length + padding !== tableOffset) {
    throw new McError('SIZE_MISMATCH', `${source}: table: model section (${model.length} bytes at ${model.offset}) and ${padding} padding bytes do not fill bytes ${at}..${tableOffset}`);
  }
  for (let start = model.offset + model.length; start < tableOffset; start += PADDING_CHUNK) {
    const chunk = src.bytes(start, Math.min(PADDING_CHUNK, tableOffset - start));
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] !== 0) throw new McError('BAD_MANIFEST', `${source}: padding byte ${start + i} is not zero (corrupt file)`);
    }
  }
  if (model.length > limits.model) throw new McError('SIZE_MISMATCH', `${source}: table: a model section of ${model.length} bytes, over this reader's limit of ${limits.model} (corrupt file)`);
  const modelBytes = src.bytes(model.offset, model.length);
  if (crc32(modelBytes) !== model.crc) throw new McError('BAD_MANIFEST', `${source}: model section: checksum mismatch (corrupt file)`);
  return { table: { tensors, model, padding }, model: modelBytes, version };
}

/** Section kinds (the first byte of a tensor section); intn and cluster from version 3. */
export const KIND = { stored: 0, int8: 1, intn: 2, cluster: 3 } as const;

/** The head of a tensor section: the stored form as in a stock manifest, int8 with its scales, intN with its grid, or clusters with their centroids. */
export type SectionHead =
  | { kind: 'stored' }
  | { kind: 'int8'; axis: number | null; scales: Float32Array }
  | ({ kind: 'intn' } & IntNGrid)
  | ({ kind: 'cluster' } & ClusterCodebook);

/** float16 values (held as float32) as a body of their bits. */
function writeFloat16Body(w: ByteWriter, v: Float32Array): void {
  const bits = new Uint16Array(v.length);
  for (let i = 0; i < v.length; i++) bits[i] = toFloat16Bits(v[i]);
  writeBody(w, { bytes: new Uint8Array(bits.buffer), count: v.length, width: 2, strings: false });
}

/**
 * A body of `n` scales or centroids: float16 bits (width 2) or float32 (width 4), as
 * float32 values; each must be finite, and > 0 when `positive`.
 */
function readValues(r: ByteReader, n: number, width: 2 | 4, positive: boolean, what: string): Float32Array {
  const raw = decodeBody(readBody(r, n, width, false, 0, null), r.bytes, `${r.where} ${what}s`);
  const v = width === 4 ? new Float32Array(raw.buffer, 0, n) : float16ToFloat32(new Uint16Array(raw.buffer, 0, n));
  for (let i = 0; i < n; i++) {
    if (!((positive ? v[i] > 0 : v[i] > -Infinity) && v[i] < Infinity)) throw r.bad(`${what} ${i} is ${v[i]}, expected a finite${positive ? ' positive' : ''} number`);
  }
  return v;
}

/**
 * Write a section head: u8 kind; int8: varint (axis + 1, 0 per tensor), then the float32
 * scales as a body of their own (byte planes compress the shared exponent bytes).
 */
export function writeHead(w: ByteWriter, h: SectionHead): void {
  if (h.kind === 'stored') return w.u8(KIND.stored);
  if (h.kind === 'intn') {
    // u8 bits, u8 flags (bit 0: symmetric), axis + 1, group size, float16 scales, affine: zero codes.
    w.u8(KIND.intn);
    w.u8(h.bits);
    w.u8(h.symmetric ? 1 : 0);
    w.varint(h.axis === null ? 0 : h.axis + 1);
    w.varint(h.groupSize);
    writeFloat16Body(w, h.scales);
    // A symmetric grid is written as affine with every zero code 2^(bits-1) - 1 (the same bytes decode to the same values, and readers need one formula); the stream is constant, a few bytes.
    const zeros = h.zeros ?? new Uint8Array(h.scales.length).fill((1 << (h.bits - 1)) - 1);
    writeBody(w, { bytes: zeros, count: zeros.length, width: 1, strings: false });
    return;
  }
  if (h.kind === 'cluster') {
    w.u8(KIND.cluster);
    w.varint(h.k);
    w.varint(h.axis === null ? 0 : h.axis + 1);
    return writeFloat16Body(w, h.centroids);
  }
  w.u8(KIND.int8);
  w.varint(h.axis === null ? 0 : h.axis + 1);
  const s = h.scales;
  writeBody(w, { bytes: new Uint8Array(s.buffer, s.byteOffset, s.byteLength), count: s.length, width: 4, strings: false });
}

/**
 * Read a section head for a tensor of `shape` (whose size the caller checked) in a file of
 * format `version`; scales must be finite and positive, centroids finite. `charge(bytes)`
 * is told what the intN and cluster heads will allocate before they allocate it (the budget).
 */
export function readHead(r: ByteReader, shape: readonly number[], version = FORMAT_VERSION, charge: (bytes: number) => void = () => {}): SectionHead {
  const kind = r.u8('section kind');
  if (kind === KIND.stored) return { kind: 'stored' };
  if (kind > KIND.cluster || (kind > KIND.int8 && version < LOW_BIT_VERSION)) throw r.bad(`unknown section kind ${kind} in format version ${version}`);
  // int8: axis, float32 scales. cluster: varint k, axis, float16 centroids. intN: u8 bits, u8 flags
  // (bit 0: symmetric), axis, group size, float16 scales, zero codes (symmetric too). One path keeps the loader small.
  const cluster = kind === KIND.cluster;
  const intn = kind === KIND.intn;
  const k = cluster ? r.varint('head') : 1;
  const bits = intn ? r.u8('head') : 8;
  const flags = intn ? r.u8('head') : 0;
  // The axis: 0 for none, else axis + 1 (at most the rank).
  const code = r.count('axis', shape.length);
  const axis = code ? code - 1 : null;
  const dim = axis === null ? 1 : shape[axis];
  // int8 scales are sized by a dim of the shape; with no elements, the values' charge does not bound that dim.
  if (kind === KIND.int8) {
    if (shape.includes(0)) charge(4 * dim);
    return { kind: 'int8', axis, scales: readValues(r, dim, 4, true, 'int8 scale') };
  }
  // A group size beyond the channel's length is one group per channel (groupLayout clamps it; writers write the clamped size).
  const groupSize = intn ? r.varint('head') : Infinity;
  if (k < 1 || k > 256 || bits < 2 || bits > 8 || flags > 1 || groupSize < 1) throw r.bad('head fields out of range');
  const l = groupLayout(shape, axis, groupSize);
  const n = l.dim * (cluster ? k : l.groups);
  charge(7 * n);
  const values = readValues(r, n, 2, intn, cluster ? 'centroid' : 'scale');
  if (cluster) return { kind: 'cluster', k, axis, centroids: values };
  // Zero codes need no check of their own: decoding checks every code q = (byte + zero) mod 256 against the range.
  const zeros = decodeBody(readBody(r, n, 1, false, 0, null), r.bytes, `${r.where} zero codes`);
  return { kind: 'intn', bits, symmetric: flags === 1, axis, groupSize: l.groupSize, scales: values, zeros };
}
