/**
 * Unpacking a .mcz into a stock tfjs folder: every tensor in its stock stored form
 * (lossless for everything a stock manifest can hold); per-channel int8, intN and cluster
 * tensors, which it cannot hold, are written as their decoded float32 values, and reported. A weights-only model is
 * written as a weights-only manifest again, under the file name it was packed from.
 */
import { readFile, stat } from 'node:fs/promises';
import { McError } from '../errors.js';
import { type RecordStep, type SaveResult, saveModel } from '../model/save.js';
import { openMcz } from './file.js';
import { type McZModel, parseMcz } from './read.js';

/** Options of unpackMcz. */
export interface UnpackOptions {
  /** Replace a non-empty output folder. */
  force?: boolean;
  /** Bytes per shard file (default 4194304). */
  shardSize?: number;
  /** Step appended to userDefinedMetadata["maas-compress"].steps; omitted: no record. */
  step?: RecordStep;
  /** Tool version written in the record. */
  version?: string;
}

/** What unpackMcz wrote. */
export interface UnpackResult extends SaveResult {
  /** Names of tensors written as float32 because the stock manifest cannot hold their encoding. */
  widened: string[];
}

/** Largest .mcz readMcz reads into memory (Node refuses to read a larger file in one buffer). */
export const MAX_MCZ_BYTES = 2 ** 31 - 1;

/**
 * Read a .mcz file into memory and parse it (for loading into tfjs, which holds every weight
 * anyway); files over 2 GiB are refused. openMcz reads a file of any size in place.
 */
export async function readMcz(file: string): Promise<McZModel> {
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new McError('MISSING_FILE', `${file}: expected a .mcz file, found a folder or special file`);
    size = st.size;
  } catch (e) {
    if (e instanceof McError) throw e;
    throw new McError('MISSING_FILE', `${file}: expected a .mcz file, found nothing`);
  }
  if (size > MAX_MCZ_BYTES) throw new McError('UNSUPPORTED', `${file}: ${size} bytes; .mcz files over 2 GiB are not supported by this version`);
  return parseMcz(new Uint8Array(await readFile(file)), file);
}

/**
 * Write the model in `file` as a stock tfjs folder `outDir` (atomically). The file is read
 * in place, one section at a time (openMcz), so its size is not limited by memory.
 */
export async function unpackMcz(file: string, outDir: string, opts: UnpackOptions = {}): Promise<UnpackResult> {
  const m = await openMcz(file);
  try {
    const widened: string[] = [];
    const save = await saveModel(
      outDir,
      { ...m.modelJson, weightsManifest: [] },
      m.tensors.map((t, i) => ({
        name: t.name,
        byteLength: t.storedBytes,
        produce: async () => {
          const s = await m.storedEntry(i);
          if (s.widened) widened.push(t.name);
          return { entry: s.entry, bytes: s.bytes };
        },
      })),
      { force: opts.force, shardSize: opts.shardSize, inputs: [file], step: opts.step, version: opts.version },
    );
    return { ...save, widened };
  } finally {
    await m.close();
  }
}
