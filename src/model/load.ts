/**
 * Opening a tfjs model: read and validate model.json, open every shard of every group,
 * lay the entries out over the group byte streams, and check that the declared sizes
 * match the bytes present. Tensor bytes are read on demand, one tensor at a time.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { McError, ioError } from '../errors.js';
import { STRING_LENGTH_BYTES, elementCount, fixedByteLength } from './dtypes.js';
import { type TensorValues, decodeEntry } from './decode.js';
import { openMcz } from '../mcz/file.js';
import { type ManifestEntry, MAX_MODEL_JSON_BYTES, type ModelFormat, type ModelJson, isWeightsManifestName, parseModelJson } from './manifest.js';
import { GroupReader } from './shards.js';

/** Where one manifest entry lives. */
export interface TensorInfo {
  /** The manifest entry as read (all its fields). */
  entry: ManifestEntry;
  /** Shortcut for entry.name. */
  name: string;
  /** Number of elements. */
  count: number;
  /** Index of its manifest group. */
  group: number;
  /** Byte offset within the group's concatenated shards. */
  offset: number;
  /** Stored bytes. */
  byteLength: number;
}

/** An opened model. Call `close()` when done. */
export interface Model {
  /** Path of model.json (or of the weights-only manifest). */
  file: string;
  /** Folder of model.json (shard paths are relative to it). */
  dir: string;
  /** Every file the model is read from: model.json, then each shard (outputs may never replace one). */
  files: string[];
  /** `weights-only` for a bare weights manifest (no topology; `json` is then WeightsOnlyFields plus its groups). */
  format: ModelFormat;
  /** model.json as read. */
  json: ModelJson;
  /** Every entry of every group, in manifest order. */
  tensors: TensorInfo[];
  /** Stored bytes of a tensor (as in the shards), in a fresh array or into `into` (exactly its byte length). */
  readBytes(t: TensorInfo, into?: Uint8Array): Promise<Uint8Array>;
  /** Decoded values of a tensor, as stock tfjs would decode them. */
  readValues(t: TensorInfo): Promise<TensorValues>;
  /** Release open files. */
  close(): Promise<void>;
}

/** The files of every model this process has open: inputs, which no output may replace (see checkOutput). */
const openInputs = new Map<object, string[]>();

/** Files of the models open in this process (model.json and shards). */
export function openInputFiles(): string[] {
  return [...openInputs.values()].flat();
}

/**
 * Resolve a model argument: a model.json file (or a weights-only manifest), or a folder
 * holding a model.json, else exactly one `*weights_manifest.json`.
 */
export async function resolveModelPath(p: string): Promise<string> {
  const missing = (e: unknown) => ['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '');
  let st;
  try {
    st = await stat(p);
  } catch (e) {
    if (!missing(e)) throw ioError(e, p, 'looking for the model');
    throw new McError('MISSING_FILE', `${p}: expected a model.json file or a folder holding one, found nothing`);
  }
  if (!st.isDirectory()) return p;
  const inner = path.join(p, 'model.json');
  try {
    await stat(inner);
    return inner;
  } catch (e) {
    if (!missing(e)) throw ioError(e, inner, 'looking for the model');
  }
  // face-api keeps several models in one folder: only a single manifest is unambiguous.
  const names = await readdir(p).catch((e: unknown) => {
    throw ioError(e, p, 'looking for the model');
  });
  const manifests = names.filter(isWeightsManifestName).sort();
  if (manifests.length === 1) return path.join(p, manifests[0]);
  const found = manifests.length === 0 ? 'found neither' : `found no model.json and ${manifests.length} weights manifests (${manifests.slice(0, 3).join(', ')}${manifests.length > 3 ? ', ...' : ''}); name one`;
  throw new McError('MISSING_FILE', `${p}: expected a model.json or one *weights_manifest.json in this folder, ${found}`);
}

/** Open and validate a tfjs model (layers or graph) from model.json or its folder. */
export async function loadModel(p: string): Promise<Model> {
  const file = await resolveModelPath(p);
  const st = await stat(file).catch((e: unknown) => {
    throw ioError(e, file, 'reading model.json');
  });
  if (!st.isFile()) throw new McError('MISSING_FILE', `${file}: expected a file`);
  if (st.size > MAX_MODEL_JSON_BYTES) {
    throw new McError('BAD_MANIFEST', `${file}: expected at most ${MAX_MODEL_JSON_BYTES} bytes of JSON, found ${st.size}`);
  }
  const text = await readFile(file, 'utf8').catch((e: unknown) => {
    throw ioError(e, file, 'reading model.json');
  });
  const { json, format } = parseModelJson(text, file);
  const dir = path.dirname(file);
  const readers: GroupReader[] = [];
  const tensors: TensorInfo[] = [];
  const shards = new Map<string, string>();
  try {
    for (const [gi, g] of json.weightsManifest.entries()) {
      const reader = await GroupReader.open(dir, g.paths);
      readers.push(reader);
      for (const f of reader.files) {
        // Two names for one file (a symlink beside it, or the same path in two groups).
        const seen = shards.get(f.real);
        if (seen !== undefined) throw new McError('BAD_MANIFEST', `${f.path}: the shard ${seen} is listed again under this name; each shard may be listed once`);
        shards.set(f.real, f.path);
      }
      let offset = 0;
      for (const entry of g.weights) {
        const count = elementCount(entry.shape, `tensor "${entry.name}"`);
        const fixed = fixedByteLength(count, entry.dtype, entry.quantization?.dtype);
        const byteLength = fixed ?? (await stringBytes(reader, offset, count, entry.name));
        if (offset + byteLength > reader.size) {
          throw new McError(
            'SIZE_MISMATCH',
            `tensor "${entry.name}": expected bytes ${offset}..${offset + byteLength} of ${reader.describe()}, but the shards hold only ${reader.size} bytes (truncated or missing shard?)`,
          );
        }
        tensors.push({ entry, name: entry.name, count, group: gi, offset, byteLength });
        offset += byteLength;
      }
      if (offset !== reader.size) {
        throw new McError(
          'SIZE_MISMATCH',
          `${reader.describe()}: the manifest's shapes and dtypes account for ${offset} bytes, the shards hold ${reader.size}`,
        );
      }
    }
  } catch (e) {
    await Promise.all(readers.map((r) => r.close()));
    throw e;
  }
  const readBytes = (t: TensorInfo, into?: Uint8Array) => readers[t.group].read(t.offset, t.byteLength, into);
  const key = {};
  const files = [file, ...shards.values()];
  openInputs.set(key, files);
  return {
    file,
    dir,
    files,
    format,
    json,
    tensors,
    readBytes,
    readValues: async (t) => decodeEntry(t.entry, await readBytes(t)),
    close: async () => {
      openInputs.delete(key);
      await Promise.all(readers.map((r) => r.close()));
    },
  };
}

/** Byte length of a string entry at `offset`: walk its length prefixes in windows. */
async function stringBytes(reader: GroupReader, offset: number, count: number, name: string): Promise<number> {
  const WINDOW = 1 << 20;
  let at = offset;
  let win: Uint8Array = new Uint8Array(0);
  let winStart = offset;
  for (let i = 0; i < count; i++) {
    if (at + STRING_LENGTH_BYTES > reader.size) {
      throw new McError('SIZE_MISMATCH', `tensor "${name}": string ${i} of ${count} starts past the end of ${reader.describe()} (${reader.size} bytes)`);
    }
    if (at + STRING_LENGTH_BYTES > winStart + win.length || at < winStart) {
      winStart = at;
      win = await reader.read(at, Math.min(WINDOW, reader.size - at));
    }
    const rel = at - winStart;
    const len = new DataView(win.buffer, win.byteOffset + rel, STRING_LENGTH_BYTES).getUint32(0, true);
    at += STRING_LENGTH_BYTES + len;
  }
  return at - offset;
}

/**
 * The format of the model at `p`: a tfjs folder, model.json, weights-only manifest, or a
 * .mcz file (its model section). Validates it as loading does (bad input: a McError).
 */
export async function modelFormat(p: string): Promise<ModelFormat> {
  const m = p.toLowerCase().endsWith('.mcz') ? await openMcz(p) : await loadModel(p);
  try {
    return m.format;
  } finally {
    await m.close();
  }
}

/** True when the model at `p` (folder, manifest or .mcz) is a weights-only manifest: sizes can be compared, nothing can be run. */
export async function isWeightsOnly(p: string): Promise<boolean> {
  return (await modelFormat(p)) === 'weights-only';
}

/**
 * The files a model argument is read from: model.json and its shards, or a .mcz file
 * itself (outputs may never replace one). A model that does not load gives its path alone.
 */
export async function inputFiles(p: string): Promise<string[]> {
  if (p.toLowerCase().endsWith('.mcz')) return [p];
  try {
    const m = await loadModel(p);
    await m.close();
    return [p, ...m.files];
  } catch {
    return [p];
  }
}
