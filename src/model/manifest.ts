/**
 * The one place that knows the layout of `model.json` and of a weights-only manifest
 * (face-api's `*-weights_manifest.json`: a bare list of weight groups, no topology): their
 * types, how they are validated, and how a weights manifest is laid out over its group
 * byte streams.
 */
import { McError } from '../errors.js';
import { type DType, type QuantDType, elementCount, isDType, isQuantDType } from './dtypes.js';

/** `quantization` of a manifest entry: how the stored bytes map to the entry's dtype. */
export interface Quantization {
  /** Storage dtype: uint8 / uint16 (affine: value = q * scale + min) or float16. */
  dtype: QuantDType;
  /** Affine step; required for uint8 / uint16. */
  scale?: number;
  /** Affine offset (the value of q = 0); required for uint8 / uint16. */
  min?: number;
  /** Written by the Python converter; ignored by tfjs. */
  original_dtype?: string;
}

/** One tensor of a weights manifest group. */
export interface ManifestEntry {
  /** Tensor name (layers: `dense/kernel`; graph: the Const node name). */
  name: string;
  /** Dimensions; `[]` for a scalar. */
  shape: number[];
  /** The dtype the tensor has once decoded. */
  dtype: DType;
  /** Present when the stored bytes are quantized. */
  quantization?: Quantization;
  /** Any other field an entry carries is kept as it was. */
  [extra: string]: unknown;
}

/** A group: its files, concatenated in order, hold its entries back to back. */
export interface ManifestGroup {
  /** Shard files, relative to model.json's folder. */
  paths: string[];
  /** Entries, in byte order. */
  weights: ManifestEntry[];
}

/**
 * The two artifact formats of tfjs, and `weights-only`: a bare weights manifest (a JSON
 * list of groups) without a topology, which tfjs loads with `tf.io.loadWeights`.
 */
export type ModelFormat = 'layers-model' | 'graph-model' | 'weights-only';

/** Largest model JSON accepted, in a model.json or a .mcz model section (topologies are small; weights live elsewhere). */
export const MAX_MODEL_JSON_BYTES = 256 * 1024 * 1024;

/**
 * Every field of `model.json` but `weightsManifest` (what a .mcz model section holds). A
 * weights-only model has none of them but `format: "weights-only"`, `manifestFile` and,
 * in a .mcz, `userDefinedMetadata` (see WeightsOnlyFields).
 */
export interface ModelFields {
  format?: string;
  /** Present in every model.json; absent only for a weights-only model. */
  modelTopology?: unknown;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: unknown;
  userDefinedMetadata?: Record<string, unknown>;
  modelInitializer?: unknown;
  trainingConfig?: unknown;
  [extra: string]: unknown;
}

/** The content of `model.json`. Fields maas-compress does not use are kept as they were. */
export interface ModelJson extends ModelFields {
  weightsManifest: ManifestGroup[];
}

/**
 * How maas-compress holds a weights-only model: the file holds only the list of groups
 * (`weightsManifest`); `manifestFile` is its file name, under which outputs are written
 * again; `userDefinedMetadata` exists only in a .mcz (a bare list has no place for it).
 */
export interface WeightsOnlyFields extends ModelFields {
  format: 'weights-only';
  /** File name of the manifest (e.g. `tiny_face_detector_model-weights_manifest.json`). */
  manifestFile: string;
  userDefinedMetadata?: Record<string, unknown>;
}

/** True for the file names face-api and the tfjs Python writer give weights-only manifests (`*weights_manifest.json`). */
export function isWeightsManifestName(name: string): boolean {
  return /weights_manifest\.json$/.test(name);
}

/** Longest manifest file name accepted (most file systems allow 255 bytes). */
const MAX_FILE_NAME = 255;

/**
 * A weights-only manifest's file name, as written beside the shards: a plain name (no
 * folder, not hidden) ending in `.json`, so it can never name a shard (`.bin`) or leave
 * the output folder. Checked on every name a .mcz gives, since it becomes a path.
 */
export function checkManifestFile(name: unknown, where: string): asserts name is string {
  const ok =
    typeof name === 'string' &&
    name.length > '.json'.length &&
    new TextEncoder().encode(name).length <= MAX_FILE_NAME &&
    name.endsWith('.json') &&
    !name.startsWith('.') &&
    !/[\\/\0]/.test(name) &&
    !/^[a-zA-Z]:/.test(name);
  if (!ok) throw new McError('BAD_MANIFEST', `${where}: expected "manifestFile" to be a plain file name ending in .json, found ${describe(name)}`);
}

/** The last segment of a path, without Node's path module (this file is browser-safe). */
const baseName = (file: string): string => file.split(/[\\/]/).pop() ?? file;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parse and validate the text of a model.json or of a weights-only manifest (a JSON list
 * of groups: the content decides, not the name); `file` names it in errors, and its last
 * segment is a weights-only model's `manifestFile`.
 */
export function parseModelJson(text: string, file: string): { json: ModelJson; format: ModelFormat } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new McError('BAD_JSON', `${file}: expected valid JSON, found a syntax error (${(e as Error).message})`);
  }
  if (Array.isArray(raw)) {
    checkJsonDepth(raw, file);
    checkGroups(raw, file, true);
    const json: WeightsOnlyFields & ModelJson = { format: 'weights-only', manifestFile: baseName(file), weightsManifest: raw as ManifestGroup[] };
    return { json, format: 'weights-only' };
  }
  if (!isObject(raw)) {
    throw new McError('BAD_MANIFEST', `${file}: expected a JSON object (a model.json) or a list of weight groups (a weights manifest) at the top level, found ${describe(raw)}`);
  }
  checkJsonDepth(raw, file);
  if (!('modelTopology' in raw) || raw.modelTopology == null) {
    throw new McError('BAD_MANIFEST', `${file}: expected a "modelTopology" field, found none`);
  }
  const format = detectFormat(raw, file);
  checkMetadata(raw.userDefinedMetadata, file);
  const manifest = raw.weightsManifest;
  if (!Array.isArray(manifest)) {
    throw new McError('BAD_MANIFEST', `${file}: expected "weightsManifest" to be a list of groups, found ${describe(manifest)}`);
  }
  checkGroups(manifest, file, false);
  return { json: raw as ModelJson, format };
}

/**
 * Validate a weights-only model's fields as a .mcz model section holds them: only
 * `format`, `manifestFile` and `userDefinedMetadata`, each as maas-compress writes it.
 */
export function checkWeightsOnlyFields(model: Record<string, unknown>, where: string): WeightsOnlyFields {
  const extra = Object.keys(model).find((k) => !['format', 'manifestFile', 'userDefinedMetadata'].includes(k));
  if (extra !== undefined) throw new McError('BAD_MANIFEST', `${where}: a weights-only model holds only "format", "manifestFile" and "userDefinedMetadata", found "${extra}"`);
  checkManifestFile(model.manifestFile, where);
  checkMetadata(model.userDefinedMetadata, where);
  return model as unknown as WeightsOnlyFields;
}

/**
 * The group and entry checks shared by model.json's `weightsManifest` and a weights-only
 * manifest's top-level list (`bare`: errors name groups `[i]` rather than `weightsManifest[i]`).
 */
function checkGroups(manifest: unknown[], file: string, bare: boolean): void {
  const names = new Set<string>();
  const allPaths = new Set<string>();
  manifest.forEach((g, gi) => {
    const where = `${file}: ${bare ? '' : 'weightsManifest'}[${gi}]`;
    if (!isObject(g)) throw new McError('BAD_MANIFEST', `${where}: expected an object with "paths" and "weights"`);
    if (!Array.isArray(g.paths) || !g.paths.every((p) => typeof p === 'string')) {
      throw new McError('BAD_MANIFEST', `${where}: expected "paths" to be a list of strings, found ${describe(g.paths)}`);
    }
    if (!Array.isArray(g.weights)) {
      throw new McError('BAD_MANIFEST', `${where}: expected "weights" to be a list, found ${describe(g.weights)}`);
    }
    for (const p of g.paths as string[]) {
      checkRelativePath(p, `${where}.paths`);
      // "w.bin", "./w.bin" and "a//w.bin" name one file (symlinks are compared when opened).
      const key = p
        .split(/[\\/]/)
        .filter((seg) => seg !== '' && seg !== '.')
        .join('/');
      if (allPaths.has(key)) throw new McError('BAD_MANIFEST', `${where}.paths: shard "${p}" is listed twice`);
      allPaths.add(key);
    }
    // A group without paths holds no bytes: only tensors without elements fit (loadModel checks the sizes).
    g.weights.forEach((e, ei) => {
      validateEntry(e, `${where}.weights[${ei}]`);
      const name = (e as ManifestEntry).name;
      if (names.has(name)) throw new McError('BAD_MANIFEST', `${file}: tensor "${name}" is listed twice in ${bare ? 'the manifest' : 'weightsManifest'}`);
      names.add(name);
    });
  });
}

/**
 * Deepest nesting of objects and lists accepted in model.json. Real topologies nest a few
 * dozen levels; a deeper document would overflow the stack of the recursive JSON.stringify
 * (and tfjs's deserializer) when the model is written or loaded, so it is refused up front.
 */
export const MAX_JSON_DEPTH = 512;

/** Refuse a JSON value nested deeper than MAX_JSON_DEPTH (checked without recursion). */
export function checkJsonDepth(value: unknown, where: string): void {
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 1 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop() as { v: unknown; depth: number };
    if (typeof v !== 'object' || v === null) continue;
    if (depth > MAX_JSON_DEPTH) {
      throw new McError('BAD_MANIFEST', `${where}: expected JSON nested at most ${MAX_JSON_DEPTH} levels deep, found deeper nesting`);
    }
    for (const c of Array.isArray(v) ? v : Object.values(v)) if (typeof c === 'object' && c !== null) stack.push({ v: c, depth: depth + 1 });
  }
}

/**
 * `userDefinedMetadata`, when present, is an object (as tfjs declares it), and the record
 * maas-compress keeps in it has a list of steps, since writers append to it.
 */
function checkMetadata(meta: unknown, file: string): void {
  if (meta === undefined) return;
  if (!isObject(meta)) throw new McError('BAD_MANIFEST', `${file}: expected "userDefinedMetadata" to be an object, found ${describe(meta)}`);
  if (!Object.hasOwn(meta, 'maas-compress')) return;
  const record = meta['maas-compress'];
  const found = !isObject(record) ? describe(record) : record.steps !== undefined && !Array.isArray(record.steps) ? `"steps": ${describe(record.steps)}` : null;
  if (found !== null) {
    throw new McError('BAD_MANIFEST', `${file}: expected userDefinedMetadata["maas-compress"] to be the record maas-compress writes ({"version", "steps": [...]}), found ${found}`);
  }
}

function detectFormat(raw: Record<string, unknown>, file: string): ModelFormat {
  const f = raw.format;
  if (f === 'layers-model' || f === 'graph-model') return f;
  if (f !== undefined) {
    throw new McError('BAD_MANIFEST', `${file}: expected "format" to be "layers-model" or "graph-model", found ${JSON.stringify(f)}`);
  }
  const topo = raw.modelTopology;
  if (isObject(topo)) {
    if ('node' in topo) return 'graph-model';
    if ('model_config' in topo || 'class_name' in topo) return 'layers-model';
  }
  throw new McError('BAD_MANIFEST', `${file}: no "format" field, and "modelTopology" has neither "node" (graph model) nor "model_config"/"class_name" (layers model)`);
}

function validateEntry(e: unknown, where: string): asserts e is ManifestEntry {
  if (!isObject(e)) throw new McError('BAD_MANIFEST', `${where}: expected an object, found ${describe(e)}`);
  if (typeof e.name !== 'string' || e.name === '') {
    throw new McError('BAD_MANIFEST', `${where}: expected a non-empty string "name", found ${describe(e.name)}`);
  }
  const at = `tensor "${e.name}"`;
  if (!Array.isArray(e.shape)) throw new McError('BAD_MANIFEST', `${at}: expected "shape" to be a list of dims, found ${describe(e.shape)}`);
  elementCount(e.shape as number[], at);
  if (!isDType(e.dtype)) {
    throw new McError('BAD_DTYPE', `${at}: expected dtype float32, int32, bool, string or complex64, found ${JSON.stringify(e.dtype)}`);
  }
  if (e.quantization === undefined) return;
  const q = e.quantization;
  if (!isObject(q)) throw new McError('BAD_MANIFEST', `${at}: expected "quantization" to be an object, found ${describe(q)}`);
  if (!isQuantDType(q.dtype)) {
    throw new McError('BAD_DTYPE', `${at}: expected quantization dtype uint8, uint16 or float16, found ${JSON.stringify(q.dtype)}`);
  }
  if (q.dtype === 'float16') {
    if (e.dtype !== 'float32') throw new McError('BAD_DTYPE', `${at}: float16 quantization needs dtype float32, found ${e.dtype}`);
    return;
  }
  if (e.dtype !== 'float32' && e.dtype !== 'int32') {
    throw new McError('BAD_DTYPE', `${at}: ${q.dtype} quantization needs dtype float32 or int32, found ${e.dtype}`);
  }
  for (const k of ['scale', 'min'] as const) {
    if (typeof q[k] !== 'number' || !Number.isFinite(q[k])) {
      throw new McError('BAD_MANIFEST', `${at}: ${q.dtype} quantization needs a finite "${k}", found ${describe(q[k])}`);
    }
  }
}

/**
 * Refuse a shard path that could leave the model's folder: absolute paths, `..`
 * segments, URLs and drive letters. (Symlinks are checked when the file is opened.)
 */
export function checkRelativePath(p: string, where: string): void {
  const bad =
    p === '' ||
    p.startsWith('/') ||
    p.startsWith('\\') ||
    /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(p) ||
    p.includes('\0') ||
    p.split(/[\\/]/).some((seg) => seg === '..');
  if (bad) {
    throw new McError('BAD_PATH', `${where}: expected a path relative to the model's folder, found ${JSON.stringify(p)}`);
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}
