/**
 * Writing the stock tfjs layout: model.json plus `group1-shard{i}of{n}.bin`, every field
 * of the source model.json kept, the weights manifest replaced, and a record of what
 * maas-compress did in `userDefinedMetadata["maas-compress"]`. A weights-only model is
 * written as its bare list of groups under its own file name, without a record (a list
 * has no place for one). Tensors are produced and written one at a time, so memory holds
 * one tensor, not the model.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { McError } from '../errors.js';
import { checkOutput, writeAll, writeFolderAtomic } from './atomic.js';
import { type ManifestEntry, type ModelJson, checkManifestFile } from './manifest.js';

/** Default shard size, as the tfjs converter uses. */
export const DEFAULT_SHARD_SIZE = 4 * 1024 * 1024;

/** Key under `userDefinedMetadata` where maas-compress records its steps. */
export const RECORD_KEY = 'maas-compress';

/**
 * A tensor to write: its name, its stored byte length (known before its bytes, so the
 * shard count is too), and a producer of its manifest entry and bytes. Producers run
 * one at a time, in order, so only one tensor is in memory.
 */
export interface SaveTensor {
  name: string;
  byteLength: number;
  produce(): Promise<ProducedTensor> | ProducedTensor;
}

/** What a SaveTensor producer gives: the entry (its quantization may only be known now) and the bytes. */
export interface ProducedTensor {
  entry: ManifestEntry;
  bytes: Uint8Array;
  /** Called once the bytes are written (the producer may reuse their buffer then). */
  release?: () => void;
}

/** One step in the record of what maas-compress did. */
export interface RecordStep {
  command: string;
  [detail: string]: unknown;
}

/** Options of `saveModel`. */
export interface SaveOptions {
  /** Bytes per shard file (default 4194304). */
  shardSize?: number;
  /** Replace a non-empty output folder. */
  force?: boolean;
  /** Paths that must never be overwritten (the input model's folder). */
  inputs?: string[];
  /** Step to append to the record in userDefinedMetadata; omitted: no record is added. */
  step?: RecordStep;
  /** Tool version written in the record. */
  version?: string;
}

/** What `saveModel` wrote. */
export interface SaveResult {
  dir: string;
  files: { name: string; bytes: number }[];
}

/** Shard file names for `total` bytes at `shardSize` bytes each. */
export function shardNames(total: number, shardSize: number): string[] {
  const n = total === 0 ? 0 : Math.ceil(total / shardSize);
  return Array.from({ length: n }, (_, i) => `group1-shard${i + 1}of${n}.bin`);
}

/** model.json content for the written model: the source's fields, new manifest, record appended. */
export function outputModelJson(src: ModelJson, entries: ManifestEntry[], paths: string[], opts: SaveOptions): ModelJson {
  const out: ModelJson = { ...src, weightsManifest: [{ paths, weights: entries }] };
  if (opts.step) {
    const meta = { ...(src.userDefinedMetadata ?? {}) };
    const prev = meta[RECORD_KEY] as { steps?: RecordStep[] } | undefined;
    meta[RECORD_KEY] = { version: opts.version ?? 'unknown', steps: [...(prev?.steps ?? []), opts.step] };
    out.userDefinedMetadata = meta;
  }
  return out;
}

/** The manifest file of the written model, its name and its bytes: model.json, or a weights-only model's bare list. */
function manifestBytes(src: ModelJson, entries: ManifestEntry[], paths: string[], opts: SaveOptions): { name: string; bytes: Uint8Array } {
  const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  if (src.format !== 'weights-only') return { name: 'model.json', bytes: encode(outputModelJson(src, entries, paths, opts)) };
  return { name: src.manifestFile as string, bytes: encode([{ paths, weights: entries }]) };
}

/** Write a stock tfjs model folder atomically. */
export async function saveModel(outDir: string, src: ModelJson, tensors: SaveTensor[], opts: SaveOptions = {}): Promise<SaveResult> {
  const shardSize = opts.shardSize ?? DEFAULT_SHARD_SIZE;
  if (!Number.isInteger(shardSize) || shardSize < 1) {
    throw new McError('USAGE', `--shard-size: expected a positive integer number of bytes, found ${shardSize}`);
  }
  // Before anything is written (a name from a .mcz was checked when read; this guards library callers).
  if (src.format === 'weights-only') checkManifestFile(src.manifestFile, 'weights-only model');
  await checkOutput(outDir, { force: opts.force, inputs: opts.inputs, kind: 'folder' });
  const total = tensors.reduce((s, t) => s + t.byteLength, 0);
  const names = shardNames(total, shardSize);
  const dir = path.resolve(outDir);
  let manifest: { name: string; bytes: Uint8Array } = { name: '', bytes: new Uint8Array(0) };
  await writeFolderAtomic(dir, async (tmp) => {
    const entries = await writeShards(tmp, names, shardSize, tensors);
    manifest = manifestBytes(src, entries, names, opts);
    const h = await open(path.join(tmp, manifest.name), 'wx');
    try {
      await writeAll(h, manifest.bytes, 0);
      await h.sync();
    } finally {
      await h.close();
    }
  });
  const files = names.map((name, i) => ({ name, bytes: i < names.length - 1 ? shardSize : total - shardSize * (names.length - 1) }));
  return { dir, files: [{ name: manifest.name, bytes: manifest.bytes.length }, ...files] };
}

/** Shards being synced in the background at most (each holds an open file). */
const MAX_SYNCING = 8;

/** Stream the tensors' bytes, back to back, across the shard files; returns their entries. */
async function writeShards(dir: string, names: string[], shardSize: number, tensors: SaveTensor[]): Promise<ManifestEntry[]> {
  const entries: ManifestEntry[] = [];
  let shard = -1;
  let h: import('node:fs/promises').FileHandle | undefined;
  let inShard = shardSize;
  // Full shards are synced and closed in the background while the next ones are written (a
  // few at a time: one fsync after another would leave the writer idle for most of a large
  // model); all are awaited before the folder is renamed into place.
  const syncing: Promise<void>[] = [];
  const finish = (done: import('node:fs/promises').FileHandle): void => {
    const p = done.sync().finally(() => done.close());
    p.catch(() => undefined); // awaited below; failures surface there
    syncing.push(p);
  };
  const nextShard = async () => {
    if (h) {
      const done = h;
      h = undefined;
      finish(done);
      if (syncing.length >= MAX_SYNCING) await syncing.shift();
    }
    shard++;
    h = await open(path.join(dir, names[shard]), 'wx');
    inShard = 0;
  };
  try {
    for (const t of tensors) {
      const { entry, bytes, release } = await t.produce();
      if (bytes.length !== t.byteLength) {
        throw new McError('SIZE_MISMATCH', `tensor "${t.name}": expected ${t.byteLength} bytes to write, produced ${bytes.length}`);
      }
      entries.push(entry);
      let done = 0;
      while (done < bytes.length) {
        if (inShard === shardSize) await nextShard();
        const n = Math.min(bytes.length - done, shardSize - inShard);
        await writeAll(h!, bytes.subarray(done, done + n), inShard);
        inShard += n;
        done += n;
      }
      release?.();
    }
  } catch (e) {
    // A failed write (a full disk, say) closes its file without syncing; the caller removes the folder.
    await h?.close().catch(() => undefined);
    await Promise.allSettled(syncing);
    throw e;
  }
  if (h) finish(h);
  const failed = (await Promise.allSettled(syncing)).find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return entries;
}
