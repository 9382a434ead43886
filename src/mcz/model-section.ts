/**
 * The model section: raw DEFLATE of the UTF-8 JSON {"model": <model.json without
 * weightsManifest>, "weights": [<manifest entry of each tensor, in table order>]}; for a
 * weights-only model (format version 2 only) "model" is {"format": "weights-only",
 * "manifestFile", "userDefinedMetadata"?}. Entries are validated by the same code that
 * validates a model.json, so a .mcz holds nothing a stock manifest could not. Browser-safe.
 */
import { deflateSync, inflateSync } from 'fflate';
import { McError, isMcError } from '../errors.js';
import {
  type ManifestEntry,
  type ModelFields,
  type ModelFormat,
  type ModelJson,
  MAX_MODEL_JSON_BYTES,
  checkJsonDepth,
  checkWeightsOnlyFields,
  parseModelJson,
} from '../model/manifest.js';
import { versionFor } from './format.js';

/** model.json content as a .mcz holds it: every field but weightsManifest. */
export type McZModelJson = ModelFields;

/** The model section's content, validated. */
export interface ModelSection {
  modelJson: McZModelJson;
  format: ModelFormat;
  entries: ManifestEntry[];
}

/**
 * Validate model fields and entries as a model.json (or weights-only manifest) would be;
 * errors name `where`. `version`: the file's format version, which must be the one its
 * model's form is written in (versionFor); omitted, either form is accepted.
 */
export function validateModelSection(model: unknown, entries: unknown, where: string, version?: number): ModelSection {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(model) || !Array.isArray(entries)) throw new McError('BAD_MANIFEST', `${where}: expected {"model": {...}, "weights": [...]}`);
  // Before the (recursive) JSON.stringify below can overflow the stack on hostile nesting.
  checkJsonDepth(model, where);
  checkJsonDepth(entries, where);
  const weightsOnly = model.format === 'weights-only';
  // Version 3 (intN and cluster sections) holds either form.
  if (version !== undefined && version < 3 && versionFor(model.format as string | undefined) !== version) {
    const form = weightsOnly ? 'a weights-only model' : 'a model with a topology';
    throw new McError('BAD_MANIFEST', `${where}: ${form} in a format version ${version} file, which holds ${version === 2 ? 'only weights-only models' : 'no weights-only model'} (corrupt header)`);
  }
  // A shard path stands in for the container, so the manifest checks apply unchanged.
  const group = { paths: ['model.mcz'], weights: entries };
  try {
    if (weightsOnly) {
      const fields = checkWeightsOnlyFields(model, where);
      const { json } = parseModelJson(JSON.stringify([group]), where);
      return { modelJson: fields, format: 'weights-only', entries: json.weightsManifest[0].weights };
    }
    const { json, format } = parseModelJson(JSON.stringify({ ...model, weightsManifest: [group] }), where);
    const { weightsManifest, ...modelJson } = json as ModelJson;
    return { modelJson: modelJson as McZModelJson, format, entries: weightsManifest[0].weights };
  } catch (e) {
    if (isMcError(e) && !e.message.startsWith(where)) throw new McError(e.code, `${where}: ${e.message}`);
    throw e;
  }
}

/** The section bytes and the JSON's UTF-8 length (deterministic: fixed level, key order as given). */
export function encodeModelSection(model: McZModelJson, entries: ManifestEntry[]): { bytes: Uint8Array; rawLength: number } {
  const raw = new TextEncoder().encode(JSON.stringify({ model, weights: entries }));
  if (raw.length > MAX_MODEL_JSON_BYTES) throw new McError('UNSUPPORTED', `model JSON of ${raw.length} bytes exceeds the ${MAX_MODEL_JSON_BYTES}-byte limit`);
  return { bytes: deflateSync(raw, { level: 9, mem: 8 }), rawLength: raw.length };
}

/** Inflate and validate the model section of a format `version` file; `rawLength` was checked against the budget already. */
export function decodeModelSection(section: Uint8Array, rawLength: number, expectTensors: number, source: string, version: number): ModelSection {
  const where = `${source}: model section`;
  if (rawLength > MAX_MODEL_JSON_BYTES) throw new McError('SIZE_MISMATCH', `${where}: declares ${rawLength} bytes of JSON, more than ${MAX_MODEL_JSON_BYTES}`);
  let text: string;
  try {
    // fflate never grows a given output buffer, so a deflate bomb cannot allocate more; one
    // byte of room past the declared length tells "longer than declared" apart.
    const out = inflateSync(section, { out: new Uint8Array(rawLength + 1) });
    if (out.length !== rawLength) throw new Error(`it inflates to ${out.length > rawLength ? `more than ${rawLength}` : out.length} bytes, ${rawLength} declared`);
    text = new TextDecoder('utf-8', { fatal: true }).decode(out);
  } catch (e) {
    throw new McError('BAD_MANIFEST', `${where}: cannot inflate (${(e as Error).message}); corrupt file`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new McError('BAD_JSON', `${where}: invalid JSON (${(e as Error).message})`);
  }
  const obj = (typeof raw === 'object' && raw !== null ? raw : {}) as { model?: unknown; weights?: unknown };
  const s = validateModelSection(obj.model, obj.weights, where, version);
  if (s.entries.length !== expectTensors) {
    throw new McError('SIZE_MISMATCH', `${where}: lists ${s.entries.length} tensors, the table has ${expectTensors} sections`);
  }
  return s;
}
