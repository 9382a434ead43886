/**
 * Writing a .mcz container (docs/format.md). Tensors are taken one at a time from an
 * (async) iterable, encoded, and streamed out as their sections are done, so the writer
 * holds one tensor's input and section plus the table, never the whole model; the model
 * section and the table come last, when every entry is known.
 */
import { McError } from '../errors.js';
import { checkOutput, writeFileAtomic } from '../model/atomic.js';
import type { ManifestEntry, ModelJson } from '../model/manifest.js';
import { type RecordStep, outputModelJson } from '../model/save.js';
import { planBody } from './body.js';
import { ByteWriter } from './bytes.js';
import { crc32 } from './crc32.js';
import { BUDGET_FLOOR, BUDGET_RATIO, FOOTER_BYTES, HEADER_BYTES, KIND, LOW_BIT_VERSION, type SectionLoc, TABLE_FIXED_BYTES, TABLE_ROW_BYTES, headerBytes, tableAndFooter, versionFor, writeHead } from './format.js';
import { encodeModelSection, validateModelSection } from './model-section.js';
import { type MczTensor, type Prepared, prepareTensor } from './prepare.js';

/** One tensor to pack (see prepare.ts). */
export type { MczTensor } from './prepare.js';

/** What was written for one tensor. */
export interface MczTensorStats {
  name: string;
  /** Stored encoding in words ("float32", "uint8 affine", "int8 per channel (axis 1)", ...). */
  encoding: string;
  /** True when stored in the sparse form. */
  sparse: boolean;
  /** Bytes of its section (head, scales and body). */
  bytes: number;
  /** Bytes of its coded symbols: the body (streams, frequency tables, positions), without the head and scales. */
  coded: number;
  /** Order-0 Shannon bound of its stored symbols, in bytes (see docs/format.md). */
  bound: number;
}

/** What writeMcz / encodeMcz wrote. */
export interface MczStats {
  /** Bytes of the whole file. */
  bytes: number;
  /** Sum of the tensors' coded bytes. */
  coded: number;
  /** Sum of the tensors' bounds, in bytes. */
  entropyBound: number;
  perTensor: MczTensorStats[];
}

/** Options of writeMcz / encodeMcz. */
export interface MczWriteOptions {
  /** Replace an existing output file. */
  force?: boolean;
  /** Paths that must never be overwritten (the input model's folder). */
  inputs?: string[];
  /** Step appended to userDefinedMetadata["maas-compress"].steps, as saveModel does; omitted: no record. */
  step?: RecordStep;
  /** Tool version written in the record. */
  version?: string;
  /**
   * True when some tensor may be intN or cluster encoded (format version 3). The header
   * goes out before the sections, so a streaming write must be told; a section that needs
   * version 3 in a file begun as an older version is refused (USAGE). encodeMcz, and
   * writeMcz given an array, work it out themselves.
   */
  lowBit?: boolean;
}

/** Coded bytes over the order-0 bound, for the whole model (1.0 = at the bound; 1 when there is nothing to code). */
export function entropyRatio(stats: Pick<MczStats, 'coded' | 'entropyBound'>): number {
  return stats.entropyBound > 0 ? stats.coded / stats.entropyBound : 1;
}

/** Encode one prepared tensor's section. */
function encodeSection(p: Prepared): { section: Uint8Array; stats: MczTensorStats } {
  const plan = planBody(p.body);
  // Sized from the plan (heads are small; rANS estimates round up by a few bytes a stream).
  const w = new ByteWriter(plan.bytes + 64 + (p.head.kind === 'int8' ? 8 * p.head.scales.length : 0) + 1024);
  writeHead(w, p.head);
  const headBytes = w.length;
  const r = plan.write(w);
  const section = w.view();
  const stats = { name: p.entry.name, encoding: p.encoding, sparse: r.sparse, bytes: section.length, coded: section.length - headBytes, bound: r.boundBits / 8 };
  return { section, stats };
}

/** Encode one tensor on its own: its stats (bytes, coded size, bound) without writing a file. */
export function measureTensor(t: MczTensor): MczTensorStats {
  return encodeSection(prepareTensor(t)).stats;
}

/** One tensor encoded into its section, ready to be placed in a file (see sectionChunks). */
export interface EncodedSection {
  /** The manifest entry recorded for it. */
  entry: ManifestEntry;
  section: Uint8Array;
  crc: number;
  stats: MczTensorStats;
  /** Bytes a loader allocates for its decoded values. */
  decodedBytes: number;
}

/**
 * Validate and encode one tensor into its section, with its checksum. Pure and
 * independent of the other tensors, so sections are encoded in worker threads too
 * (src/parallel), with byte-identical results.
 */
export function encodeTensorSection(t: MczTensor): EncodedSection {
  const p = prepareTensor(t);
  const { section, stats } = encodeSection(p);
  return { entry: p.entry, section, crc: crc32(section), stats, decodedBytes: p.decodedBytes };
}

/**
 * The file as chunks, produced lazily as the consumer pulls them; `stats` is filled in as
 * it goes and complete when the iteration ends.
 */
export function mczChunks(
  modelJson: ModelJson,
  tensors: AsyncIterable<MczTensor> | Iterable<MczTensor>,
  stats: MczStats,
  opts: Pick<MczWriteOptions, 'step' | 'version' | 'lowBit'> = {},
): AsyncGenerator<Uint8Array> {
  return sectionChunks(modelJson, encodeEach(tensors), stats, opts);
}

async function* encodeEach(tensors: AsyncIterable<MczTensor> | Iterable<MczTensor>): AsyncGenerator<EncodedSection> {
  for await (const t of tensors) yield encodeTensorSection(t);
}

/**
 * The file as chunks from sections already encoded (in order): the header, each section
 * as it comes (only its table row and entry are kept), the model section, padding, the
 * table and the footer.
 */
export async function* sectionChunks(
  modelJson: ModelJson,
  sections: AsyncIterable<EncodedSection> | Iterable<EncodedSection>,
  stats: MczStats,
  opts: Pick<MczWriteOptions, 'step' | 'version' | 'lowBit'> = {},
): AsyncGenerator<Uint8Array> {
  const { weightsManifest: _ignored, ...model } = outputModelJson(modelJson, [], [], opts);
  const version = versionFor(model.format, opts.lowBit);
  yield headerBytes(version);
  let offset = HEADER_BYTES;
  let decoded = 0;
  const locs: SectionLoc[] = [];
  const entries: ManifestEntry[] = [];
  const names = new Set<string>();
  for await (const e of sections) {
    if (names.has(e.entry.name)) throw new McError('BAD_MANIFEST', `tensor "${e.entry.name}" is given twice`);
    names.add(e.entry.name);
    if (isLowBit(e) && version < LOW_BIT_VERSION) {
      throw new McError('USAGE', `tensor "${e.entry.name}": ${e.stats.encoding} needs .mcz format version ${LOW_BIT_VERSION}, but the file was begun as version ${version}; pass lowBit: true to the writer`);
    }
    locs.push({ offset, length: e.section.length, crc: e.crc });
    entries.push(e.entry);
    stats.perTensor.push(e.stats);
    stats.coded += e.stats.coded;
    stats.entropyBound += e.stats.bound;
    offset += e.section.length;
    decoded += e.decodedBytes;
    yield e.section;
  }
  // The reader's own checks, so that nothing is written that it would refuse.
  validateModelSection(model, entries, 'model to pack');
  const m = encodeModelSection(model, entries);
  const modelLoc = { offset, length: m.bytes.length, crc: crc32(m.bytes), rawLength: m.rawLength };
  yield m.bytes;
  offset += m.bytes.length;
  const unpadded = offset + TABLE_FIXED_BYTES + TABLE_ROW_BYTES * locs.length + FOOTER_BYTES;
  const padding = Math.max(0, Math.ceil((decoded + m.rawLength - BUDGET_FLOOR) / BUDGET_RATIO) - unpadded);
  for (let left = padding; left > 0; left -= 1 << 20) yield new Uint8Array(Math.min(left, 1 << 20));
  offset += padding;
  const w = new ByteWriter(TABLE_FIXED_BYTES + TABLE_ROW_BYTES * locs.length + FOOTER_BYTES);
  tableAndFooter({ tensors: locs, model: modelLoc, padding }, offset, w);
  stats.bytes = offset + w.length;
  yield w.view();
}

/** True when a section is intN or cluster encoded (its first byte is its kind). */
const isLowBit = (e: EncodedSection): boolean => e.section[0] === KIND.intn || e.section[0] === KIND.cluster;

const emptyStats = (): MczStats => ({ bytes: 0, coded: 0, entropyBound: 0, perTensor: [] });

/** Encode a model to .mcz bytes in memory. */
export async function encodeMcz(
  modelJson: ModelJson,
  tensors: AsyncIterable<MczTensor> | Iterable<MczTensor>,
  opts: Pick<MczWriteOptions, 'step' | 'version' | 'lowBit'> = {},
): Promise<{ bytes: Uint8Array; stats: MczStats }> {
  const stats = emptyStats();
  const parts: Uint8Array[] = [];
  // In memory, every section is at hand before the header is written: its version is known.
  const sections: EncodedSection[] = [];
  for await (const t of tensors) sections.push(encodeTensorSection(t));
  for await (const c of sectionChunks(modelJson, sections, stats, { ...opts, lowBit: sections.some(isLowBit) })) parts.push(c.slice());
  const bytes = new Uint8Array(stats.bytes);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, stats };
}

/** Write sections already encoded (encodeTensorSection, in order) to a .mcz file atomically. */
export async function writeMczSections(
  target: string,
  modelJson: ModelJson,
  sections: AsyncIterable<EncodedSection> | Iterable<EncodedSection>,
  opts: MczWriteOptions = {},
): Promise<MczStats> {
  await checkOutput(target, { force: opts.force, inputs: opts.inputs, kind: 'file' });
  const stats = emptyStats();
  await writeFileAtomic(target, sectionChunks(modelJson, sections, stats, opts));
  return stats;
}

/** Write a model to a .mcz file atomically (nothing is left at `target` on failure). */
export async function writeMcz(
  target: string,
  modelJson: ModelJson,
  tensors: AsyncIterable<MczTensor> | Iterable<MczTensor>,
  opts: MczWriteOptions = {},
): Promise<MczStats> {
  const lowBit = opts.lowBit ?? (Array.isArray(tensors) && tensors.some((t: MczTensor) => t.encoded?.encoding.kind === 'intn' || t.encoded?.encoding.kind === 'cluster'));
  return writeMczSections(target, modelJson, encodeEach(tensors), { ...opts, lowBit });
}
