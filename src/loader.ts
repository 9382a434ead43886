/**
 * maas-compress/loader: a tfjs IOHandler for .mcz files, for Node and browsers.
 *
 *   const model = await tf.loadLayersModel(mczLoader('/models/m.mcz'));
 *   const graph = await tf.loadGraphModel(mczLoader(bytes));
 *
 * Browser-safe: no Node built-ins; it imports only fflate, the .mcz reader and tfjs types
 * (so it works with whichever tfjs the page has). Weights reach tfjs decoded (float32,
 * int32, bool, string, complex64), exactly as stock tfjs decodes the equivalent stock entry.
 * A weights-only container (no topology) has no tfjs model: mczWeights gives its tensors.
 *
 *   const { weightData, weightSpecs } = await mczWeights('/models/face.mcz');
 *   const weightMap = tf.io.decodeWeights(weightData, weightSpecs);   // face-api: net.loadFromWeightMap(weightMap)
 */
import type { io } from '@tensorflow/tfjs-core';
import { McError } from './errors.js';
import { noTopology, toArtifacts } from './model/artifacts.js';
import { type McZModel, parseMcz } from './mcz/read.js';

/** The error type every failure is (check `.code`). */
export { McError } from './errors.js';
/** The .mcz reader, for callers who want the tensors rather than a tfjs model. */
export { parseMcz, type McZModel, type McZTensorInfo, type StoredTensor, type McZModelJson } from './mcz/read.js';

/** Options of mczLoader. */
export interface MczLoaderOptions {
  /** fetch to use for a URL (default: the global fetch). */
  fetch?: typeof fetch;
  /** Name used in errors for bytes given directly (default "model.mcz"). */
  name?: string;
}

/** The bytes of `source`: as given, or fetched from its URL. */
async function bytesOf(source: string | URL | Uint8Array | ArrayBuffer, opts: MczLoaderOptions): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  const url = String(source);
  const f = opts.fetch ?? globalThis.fetch;
  if (typeof f !== 'function') throw new McError('UNSUPPORTED', `${url}: no fetch in this environment; pass { fetch } or the file's bytes`);
  let res: Response;
  try {
    res = await f(url);
  } catch (e) {
    throw new McError('IO', `${url}: fetch failed (${(e as Error).message})`);
  }
  if (!res.ok) throw new McError('MISSING_FILE', `${url}: expected a .mcz file, the server answered HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** The decoded weights of a parsed container (either form): specs and one buffer, as `tf.io.decodeWeights(weightData, weightSpecs)` takes them. */
export function weightsOf(m: McZModel): { weightData: ArrayBuffer; weightSpecs: io.WeightsManifestEntry[] } {
  const total = m.tensors.reduce((n, t) => n + t.decodedBytes, 0);
  const data = new Uint8Array(total);
  const weightSpecs: io.WeightsManifestEntry[] = [];
  let at = 0;
  m.tensors.forEach((_, i) => {
    const d = m.decodedEntry(i);
    weightSpecs.push(d.entry as io.WeightsManifestEntry);
    data.set(d.bytes, at);
    at += d.bytes.length;
  });
  return { weightData: data.buffer, weightSpecs };
}

/** tfjs ModelArtifacts of a parsed container: its model.json fields, decoded weight specs and one weight buffer (weights-only: UNSUPPORTED). */
export function mczArtifacts(m: McZModel): io.ModelArtifacts {
  if (m.format === 'weights-only') throw noTopology(m.source, 'read its tensors with mczWeights() and tf.io.decodeWeights');
  const { weightData, weightSpecs } = weightsOf(m);
  return toArtifacts(m.modelJson, m.format, weightSpecs, weightData);
}

/** The decoded weights of a .mcz (URL or bytes), for a weights-only model (face-api's loadFromWeightMap) or any other. */
export async function mczWeights(
  source: string | URL | Uint8Array | ArrayBuffer,
  opts: MczLoaderOptions = {},
): Promise<{ weightData: ArrayBuffer; weightSpecs: io.WeightsManifestEntry[] }> {
  return weightsOf(parseMcz(await bytesOf(source, opts), nameOf(source, opts)));
}

/** The name errors give `source`. */
const nameOf = (source: string | URL | Uint8Array | ArrayBuffer, opts: MczLoaderOptions): string =>
  typeof source === 'string' || source instanceof URL ? String(source) : (opts.name ?? 'model.mcz');

/** An IOHandler that loads a .mcz from a URL (fetched when tfjs calls load()) or from its bytes. */
export function mczLoader(source: string | URL | Uint8Array | ArrayBuffer, opts: MczLoaderOptions = {}): io.IOHandler {
  const name = nameOf(source, opts);
  return {
    load: async () => mczArtifacts(parseMcz(await bytesOf(source, opts), name)),
  };
}
