/**
 * Test models written by hand (independently of saveModel): every dtype and stored
 * encoding, split over shards at chosen sizes so tensors straddle shard boundaries.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** One synthetic entry: its manifest fields and its stored bytes. */
export interface RawEntry {
  entry: Record<string, unknown>;
  bytes: Uint8Array;
}

/** A fresh temporary folder. */
export function tempDir(prefix = 'mc-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

const u8 = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function strings(xs: string[]): Uint8Array {
  const parts = xs.map((s) => new TextEncoder().encode(s));
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const dv = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    dv.setUint32(at, p.length, true);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

/** One entry of every dtype and stored encoding tfjs knows. */
export function everyDtype(): RawEntry[] {
  const f = new Float32Array(60).map((_, i) => Math.sin(i) * 3 - 0.5);
  return [
    { entry: { name: 'f32', shape: [3, 20], dtype: 'float32' }, bytes: u8(f) },
    { entry: { name: 'i32', shape: [5], dtype: 'int32' }, bytes: u8(new Int32Array([-7, 0, 1, 2 ** 31 - 1, -(2 ** 31)])) },
    { entry: { name: 'b', shape: [2, 2], dtype: 'bool' }, bytes: new Uint8Array([1, 0, 0, 1]) },
    { entry: { name: 's', shape: [3], dtype: 'string' }, bytes: strings(['', 'héllo', 'a much longer string ✓']) },
    { entry: { name: 'c64', shape: [2], dtype: 'complex64' }, bytes: u8(new Float32Array([1, -2, 3.5, 4])) },
    {
      entry: { name: 'q8', shape: [4, 4], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.0123, min: -0.7 } },
      bytes: new Uint8Array(16).map((_, i) => i * 17),
    },
    {
      entry: { name: 'q8i', shape: [3], dtype: 'int32', quantization: { dtype: 'uint8', scale: 0.5, min: -3 } },
      bytes: new Uint8Array([0, 3, 255]),
    },
    {
      entry: { name: 'q16', shape: [5], dtype: 'float32', quantization: { dtype: 'uint16', scale: 1.5e-5, min: -0.3, original_dtype: 'float32' } },
      bytes: u8(new Uint16Array([0, 1, 300, 40000, 65535])),
    },
    {
      entry: { name: 'h', shape: [8], dtype: 'float32', quantization: { dtype: 'float16' } },
      bytes: u8(new Uint16Array([0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x7c00])),
    },
    { entry: { name: 'scalar', shape: [], dtype: 'float32' }, bytes: u8(new Float32Array([42.5])) },
    { entry: { name: 'empty', shape: [0, 3], dtype: 'float32' }, bytes: new Uint8Array(0) },
  ];
}

/** Options of writeModel. */
export interface WriteOpts {
  /** Bytes per shard (default: one shard). */
  shardSize?: number;
  /** Extra or replaced top-level model.json fields. */
  json?: Record<string, unknown>;
  /** Edit the manifest group before writing. */
  editGroup?: (g: { paths: string[]; weights: Record<string, unknown>[] }) => void;
}

/** Write a layers-model style folder with `entries`; returns the model.json path. */
export function writeModel(dir: string, entries: RawEntry[], opts: WriteOpts = {}): string {
  mkdirSync(dir, { recursive: true });
  const total = entries.reduce((n, e) => n + e.bytes.length, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const e of entries) {
    all.set(e.bytes, at);
    at += e.bytes.length;
  }
  const size = opts.shardSize ?? Math.max(total, 1);
  const n = Math.max(1, Math.ceil(total / size));
  const paths: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `group1-shard${i + 1}of${n}.bin`;
    writeFileSync(path.join(dir, name), all.subarray(i * size, Math.min(total, (i + 1) * size)));
    paths.push(name);
  }
  const group = { paths, weights: entries.map((e) => e.entry) };
  opts.editGroup?.(group);
  const json = {
    modelTopology: { class_name: 'Sequential', config: { name: 'synthetic', layers: [] } },
    format: 'layers-model',
    generatedBy: 'test',
    convertedBy: null,
    weightsManifest: [group],
    ...opts.json,
  };
  const file = path.join(dir, 'model.json');
  writeFileSync(file, JSON.stringify(json));
  return file;
}
