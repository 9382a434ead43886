/**
 * Reading a .mcz file in place (Node): the same checks as parseMcz, in the same order,
 * with positional reads instead of one buffer, so a file of any size (over 2 GiB too) is
 * read with memory bounded by its largest section. Opening reads the framing, the model
 * section and then every tensor section once, one at a time (checksum, heads, stream
 * lengths, budget), keeping only their parsed headers; decoding a tensor reads its section
 * again and checks its checksum again, so a file changed in between is caught, not misread.
 */
import { readSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { McError } from '../errors.js';
import type { TensorValues } from '../model/decode.js';
import type { ManifestEntry, ModelFormat } from '../model/manifest.js';
import { type FramingSource, type SectionLoc, readFramingFrom } from './format.js';
import { MAX_MODEL_JSON_BYTES } from '../model/manifest.js';
import { type McZModelJson, decodeModelSection } from './model-section.js';
import { type McZTensorInfo, type ParsedSection, type StoredTensor, budgetOf, decodeSection, decodedSection, parseSection, storedSection } from './read.js';
import { crc32 } from './crc32.js';

/** A .mcz file opened in place; every method reads what it needs. Call `close()` when done. */
export interface McZFile {
  /** The file's path (as used in errors). */
  source: string;
  /** Format version of the file: 1, 2 for a weights-only model, 3 with intN or cluster sections. */
  version: number;
  /** `weights-only`: no topology; `modelJson` is then WeightsOnlyFields. */
  format: ModelFormat;
  /** model.json content, without weightsManifest. */
  modelJson: McZModelJson;
  tensors: McZTensorInfo[];
  /** Bytes of the file. */
  size: number;
  /** Decoded values of tensor i, exactly as stock tfjs decodes the equivalent stock entry. */
  decodeTensor(i: number): Promise<TensorValues>;
  /** Tensor i as a stock manifest entry and stored bytes (per-channel int8 widened to float32). */
  storedEntry(i: number): Promise<StoredTensor>;
  /** Tensor i as a loader hands it to tfjs: an entry without quantization and its decoded bytes. */
  decodedEntry(i: number): Promise<{ entry: ManifestEntry; bytes: Uint8Array }>;
  /** Release the file. */
  close(): Promise<void>;
}

/**
 * Largest table a file reader accepts: 20 bytes a tensor, so 2^24 tensors (a real model
 * has thousands); a table is read whole, so this bounds what a corrupt footer can ask for.
 */
export const MAX_TABLE_BYTES = 36 + 20 * 2 ** 24;
/** Largest model section read: its JSON is at most 256 MiB, and deflate never doubles data. */
export const MAX_MODEL_SECTION_BYTES = 2 * MAX_MODEL_JSON_BYTES;

/** Synchronous positional reads of the framing (a few small reads, plus the model section). */
function fdSource(fd: number, size: number, file: string): FramingSource {
  return {
    size,
    bytes(offset, length) {
      const out = new Uint8Array(length);
      for (let done = 0; done < length; ) {
        const n = readSync(fd, out, done, Math.min(CHUNK, length - done), offset + done);
        if (n === 0) throw truncatedWhileOpen(file, offset + done);
        done += n;
      }
      return out;
    },
  };
}

const truncatedWhileOpen = (file: string, at: number): McError => new McError('SIZE_MISMATCH', `${file}: the file ended at byte ${at} (was it truncated while open?)`);

/** Open, frame and validate a .mcz file without reading it into memory. */
export async function openMcz(file: string): Promise<McZFile> {
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new McError('MISSING_FILE', `${file}: expected a .mcz file, found a folder or special file`);
  } catch (e) {
    if (e instanceof McError) throw e;
    throw new McError('MISSING_FILE', `${file}: expected a .mcz file, found nothing`);
  }
  const handle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const { table, model, version } = readFramingFrom(fdSource(handle.fd, size, file), file, { table: MAX_TABLE_BYTES, model: MAX_MODEL_SECTION_BYTES });
    const budget = budgetOf(size, table.model.rawLength, file);
    const section = decodeModelSection(model, table.model.rawLength, table.tensors.length, file, version);
    const parsed: ParsedSection[] = [];
    const tensors: McZTensorInfo[] = [];
    for (const [i, entry] of section.entries.entries()) {
      const loc = table.tensors[i];
      const bytes = await readSection(handle, loc, file);
      const r = parseSection(bytes, 0, loc, entry, i, budget, file, loc.offset, version);
      parsed.push(r.parsed);
      tensors.push(r.info);
    }
    const where = (i: number): string => `${file}: tensor "${parsed[i].entry.name}"`;
    /** Section i again, checksummed again: the file may have changed since it was opened. */
    const sectionOf = async (i: number): Promise<{ p: ParsedSection; bytes: Uint8Array }> => {
      if (!(Number.isInteger(i) && i >= 0 && i < parsed.length)) throw new McError('USAGE', `${file}: no tensor ${i}; it has ${parsed.length}`);
      const loc = table.tensors[i];
      const bytes = await readSection(handle, loc, file);
      if (crc32(bytes) !== loc.crc) throw new McError('BAD_MANIFEST', `${file}: tensor "${parsed[i].entry.name}" (section ${i}): checksum mismatch (the file changed while open?)`);
      return { p: parsed[i], bytes };
    };
    return {
      source: file,
      version,
      format: section.format,
      modelJson: section.modelJson,
      tensors,
      size,
      decodeTensor: async (i) => {
        const s = await sectionOf(i);
        return decodeSection(s.p, s.bytes, where(i));
      },
      storedEntry: async (i) => {
        const s = await sectionOf(i);
        return storedSection(s.p, s.bytes, where(i));
      },
      decodedEntry: async (i) => {
        const s = await sectionOf(i);
        return decodedSection(s.p, s.bytes, where(i));
      },
      close: () => handle.close(),
    };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** Largest single read (reads over 2 GiB are refused by the OS API). */
const CHUNK = 64 * 1024 * 1024;

/** A section's bytes (its place was checked against the file's size by the framing). */
async function readSection(handle: import('node:fs/promises').FileHandle, loc: SectionLoc, file: string): Promise<Uint8Array> {
  const out = new Uint8Array(loc.length);
  for (let done = 0; done < out.length; ) {
    const { bytesRead } = await handle.read(out, done, Math.min(CHUNK, out.length - done), loc.offset + done);
    if (bytesRead === 0) throw truncatedWhileOpen(file, loc.offset + done);
    done += bytesRead;
  }
  return out;
}
