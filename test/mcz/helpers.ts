/** Shared helpers of the .mcz tests: packing fixtures, recipes on them, and re-framing files. */
import { deflateSync, inflateSync } from 'fflate';
import { loadModel, type Model } from '../../src/model/load.js';
import type { ModelJson } from '../../src/model/manifest.js';
import { outputChannelAxis } from '../../src/passes/axis.js';
import { applyPlan, isPruneTarget, planLayer } from '../../src/passes/prune.js';
import { quantizeInt8 } from '../../src/passes/quantize.js';
import { encodeIntN } from '../../src/passes/intn.js';
import { encodeCluster } from '../../src/passes/cluster.js';
import { ByteWriter } from '../../src/mcz/bytes.js';
import { crc32 } from '../../src/mcz/crc32.js';
import { FOOTER_BYTES, type Table, readFraming, tableAndFooter } from '../../src/mcz/format.js';
import { type MczTensor, encodeMcz } from '../../src/mcz/write.js';

/** Every tensor of a model with its stored bytes (the lossless pack input). */
export async function storedTensors(m: Model): Promise<MczTensor[]> {
  const out: MczTensor[] = [];
  for (const t of m.tensors) out.push({ entry: t.entry, stored: await m.readBytes(t) });
  return out;
}

/** Pack a fixture losslessly in memory. */
export async function packFixture(dir: string): Promise<{ bytes: Uint8Array; json: ModelJson; tensors: MczTensor[]; stats: Awaited<ReturnType<typeof encodeMcz>>['stats'] }> {
  const m = await loadModel(dir);
  try {
    const tensors = await storedTensors(m);
    const { bytes, stats } = await encodeMcz(m.json, tensors);
    return { bytes, json: m.json, tensors, stats };
  } finally {
    await m.close();
  }
}

/**
 * The recipe on a model, done with the passes directly: prune kernels (rank >= 2)
 * to `sparsity` per layer, then int8 per channel, both from 1024 elements on (the
 * defaults); smaller tensors are stored as they were.
 */
export async function pruneInt8Tensors(m: Model, sparsity: number, minElements = 1024): Promise<MczTensor[]> {
  const out: MczTensor[] = [];
  for (const t of m.tensors) {
    if (t.entry.dtype !== 'float32' || t.count < minElements) {
      out.push({ entry: t.entry, stored: await m.readBytes(t) });
      continue;
    }
    const v = (await m.readValues(t)) as Float32Array;
    const pruned = isPruneTarget(t.entry.dtype, t.entry.shape) ? applyPlan(v, planLayer(v, sparsity)) : v;
    const axis = outputChannelAxis(t.name, t.entry.shape, m.json.modelTopology, m.format);
    out.push({ entry: t.entry, encoded: quantizeInt8({ name: t.name, shape: t.entry.shape, values: pruned }, { axis }) });
  }
  return out;
}

/**
 * The sub-8-bit codecs on a model, with the passes directly: kernels (rank >= 2, from
 * `minElements` on) pruned to `sparsity`, then int4 affine in groups of 64 along the
 * output-channel axis, or 16 clusters per tensor; smaller tensors stored as they were.
 */
export async function lowBitTensors(m: Model, codec: 'int4' | 'cluster16', sparsity = 0, minElements = 1024): Promise<MczTensor[]> {
  const out: MczTensor[] = [];
  for (const t of m.tensors) {
    if (t.entry.dtype !== 'float32' || t.count < minElements) {
      out.push({ entry: t.entry, stored: await m.readBytes(t) });
      continue;
    }
    const v = (await m.readValues(t)) as Float32Array;
    const values = sparsity > 0 && isPruneTarget(t.entry.dtype, t.entry.shape) ? applyPlan(v, planLayer(v, sparsity)) : v;
    const w = { name: t.name, shape: t.entry.shape, values };
    const axis = outputChannelAxis(t.name, t.entry.shape, m.json.modelTopology, m.format);
    const encoded = codec === 'int4' ? encodeIntN(w, axis, { bits: 4, groupSize: 64, symmetric: false, allowNonfinite: false }) : encodeCluster(w, { k: 16, perChannel: false, axis: null, seed: 1 });
    out.push({ entry: t.entry, encoded });
  }
  return out;
}

/**
 * A copy of `bytes` with its table edited (and the table checksum and footer recomputed);
 * `body` replaces the bytes before the table (same length), for edits inside sections.
 */
export function rewriteTable(bytes: Uint8Array, edit: (t: Table) => void, opts: { count?: number; body?: Uint8Array } = {}): Uint8Array {
  const t = readFraming(bytes, 'test');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tableOffset = Number(dv.getBigUint64(bytes.length - FOOTER_BYTES, true));
  edit(t);
  const w = new ByteWriter();
  tableAndFooter(t, tableOffset, w);
  const tail = w.view().slice();
  if (opts.count !== undefined) {
    // Recompute the table checksum over the edited count, so only the count is wrong.
    new DataView(tail.buffer).setUint32(0, opts.count, true);
    const tableLength = tail.length - FOOTER_BYTES;
    new DataView(tail.buffer).setUint32(tableLength + 12, crc32(tail, 0, tableLength), true);
  }
  const out = new Uint8Array(tableOffset + tail.length);
  out.set((opts.body ?? bytes).subarray(0, tableOffset));
  out.set(tail, tableOffset);
  return out;
}

/** A copy of `bytes` with section `i` of the tensors (or the model section) edited and its checksum fixed. */
export function patchSection(bytes: Uint8Array, which: number | 'model', edit: (section: Uint8Array) => void): Uint8Array {
  const body = bytes.slice();
  const t = readFraming(bytes, 'test');
  const loc = which === 'model' ? t.model : t.tensors[which];
  edit(body.subarray(loc.offset, loc.offset + loc.length));
  const crc = crc32(body, loc.offset, loc.offset + loc.length);
  return rewriteTable(bytes, (tt) => ((which === 'model' ? tt.model : tt.tensors[which]).crc = crc), { body });
}

/** Section boundaries of a file: header end, each section's start, table start, footer start. */
export function boundaries(bytes: Uint8Array): number[] {
  const t = readFraming(bytes, 'test');
  const tableOffset = t.model.offset + t.model.length + t.padding;
  return [8, 12, 16, ...t.tensors.map((s) => s.offset), t.model.offset, tableOffset, bytes.length - FOOTER_BYTES, bytes.length - 8];
}

/**
 * A copy of `bytes` whose model section is replaced: `edit` changes the parsed JSON, or
 * `deflated` replaces the section bytes outright; `rawLength` overrides the declared JSON
 * length. Checksums are recomputed, so only the content is hostile.
 */
export function withModelSection(
  bytes: Uint8Array,
  opts: { edit?: (o: { model: Record<string, unknown>; weights: Array<Record<string, unknown>> }) => void; deflated?: Uint8Array; rawLength?: number },
): Uint8Array {
  const t = readFraming(bytes, 'test');
  const old = inflateSync(bytes.subarray(t.model.offset, t.model.offset + t.model.length));
  const obj = JSON.parse(new TextDecoder().decode(old));
  opts.edit?.(obj);
  const raw = new TextEncoder().encode(JSON.stringify(obj));
  const section = opts.deflated ?? deflateSync(raw);
  const head = bytes.subarray(0, t.model.offset);
  t.model = { offset: t.model.offset, length: section.length, crc: crc32(section), rawLength: opts.rawLength ?? raw.length };
  const tableOffset = t.model.offset + section.length + t.padding;
  const w = new ByteWriter();
  tableAndFooter(t, tableOffset, w);
  const out = new Uint8Array(tableOffset + w.length);
  out.set(head);
  out.set(section, t.model.offset);
  out.set(w.view(), tableOffset);
  return out;
}

/** A copy of `bytes` with its zero padding removed (and the table saying so). */
export function withoutPadding(bytes: Uint8Array): Uint8Array {
  const t = readFraming(bytes, 'test');
  const modelEnd = t.model.offset + t.model.length;
  t.padding = 0;
  const w = new ByteWriter();
  tableAndFooter(t, modelEnd, w);
  const out = new Uint8Array(modelEnd + w.length);
  out.set(bytes.subarray(0, modelEnd));
  out.set(w.view(), modelEnd);
  return out;
}
