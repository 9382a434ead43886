/**
 * Fuzzing the evaluation data readers: mutations of valid .csv, .json, .npy and .npz
 * files (byte flips, truncations, insertions, hostile integers; JSON-level edits; .npy
 * headers rewritten with hostile shapes and dtypes; .npz members damaged behind valid
 * CRCs, declared sizes rewritten, deflate bombs added) fed to readData. Allowed: a valid
 * Dataset (every array holds samples × its sample shape of values of its dtype, labels
 * one per sample, and its bytes within what the file justifies) or a McError, within
 * 5 s a case. CI runs a fixed seed; `npm run fuzz` many more cases.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { deflateSync, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { type Dataset, readData } from '../../src/eval/data.js';
import { npyBytes, zipBytes } from '../helpers/npy.js';
import { tempDir } from '../helpers/synthetic.js';
import { type ByteMutation, type JsonMutation, Tally, applyBytes, applyJson, byteMutations, jsonMutations, serialize, settings } from './mutate.js';

type Format = 'csv' | 'json' | 'npy' | 'npz';

/** A hostile .npy header: dtype, dims and order drawn from values that break readers. */
const header = fc.record({
  descr: fc.constantFrom('<f4', '>f4', '<f8', '<f2', '|u1', '|b1', '<i8', '>u8', '<u4', '<c8', '|O', '<U4', 'f4', '<f16', '<i0', ''),
  dims: fc.array(fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 7, 255, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53), fc.nat(64)), { maxLength: 5 }),
  fortran: fc.boolean(),
});

/** Where a case's damage goes. */
type Target =
  | { where: 'bytes'; ms: ByteMutation[] }
  | { where: 'json'; ms: JsonMutation[] }
  | { where: 'header'; pick: number; h: { descr: string; dims: number[]; fortran: boolean } }
  | { where: 'member'; pick: number; ms: ByteMutation[]; level: 0 | 6 }
  | { where: 'declared'; pick: number; field: 20 | 24; value: number }
  | { where: 'bomb'; declared: number };

const HOSTILE_SIZES = fc.constantFrom(0, 1, 100, 4096, 1 << 20, 0x7fffffff, 0xfffffffe, 0xffffffff);

function targetsFor(format: Format): fc.Arbitrary<Target> {
  const bytes = { arbitrary: fc.record({ where: fc.constant('bytes' as const), ms: byteMutations }), weight: 3 };
  if (format === 'csv') return fc.oneof(bytes);
  if (format === 'json') return fc.oneof(bytes, { arbitrary: fc.record({ where: fc.constant('json' as const), ms: jsonMutations }), weight: 3 });
  const head = { arbitrary: fc.record({ where: fc.constant('header' as const), pick: fc.nat(), h: header }), weight: 2 };
  if (format === 'npy') return fc.oneof(bytes, head);
  return fc.oneof(
    bytes,
    head,
    { arbitrary: fc.record({ where: fc.constant('member' as const), pick: fc.nat(), ms: byteMutations, level: fc.constantFrom(0 as const, 6 as const) }), weight: 3 },
    { arbitrary: fc.record({ where: fc.constant('declared' as const), pick: fc.nat(), field: fc.constantFrom(20 as const, 24 as const), value: HOSTILE_SIZES }), weight: 2 },
    fc.record({ where: fc.constant('bomb' as const), declared: HOSTILE_SIZES }),
  );
}

/** The .npy bytes of one array after its header is replaced (data bytes kept). */
function withHeader(npy: Uint8Array, h: { descr: string; dims: number[]; fortran: boolean }): Uint8Array {
  // A member an earlier target damaged may claim a header past its end: then it keeps no data.
  const dataAt = npy.length < 10 ? npy.length : Math.min(npy.length, 10 + new DataView(npy.buffer, npy.byteOffset).getUint16(8, true));
  const dims = h.dims.length === 1 ? `${h.dims[0]},` : h.dims.join(', ');
  const head = npyBytes('<f4', [], [], { header: `{'descr': '${h.descr}', 'fortran_order': ${h.fortran ? 'True' : 'False'}, 'shape': (${dims}), }` });
  const out = new Uint8Array(head.length + npy.length - dataAt);
  out.set(head);
  out.set(npy.subarray(dataAt), head.length);
  return out;
}

/** A valid file of each format, and for .npz its members. */
interface Base {
  name: string;
  format: Format;
  bytes: Uint8Array;
  members?: Record<string, Uint8Array>;
  json?: unknown;
}

const mnistRows = readFileSync('fixtures/mnist-mlp/test.csv', 'utf8').split('\n').slice(0, 12).join('\n');
const jsonDoc = { inputs: [[[0, 0.5], [1, 2]], [[3, 4], [5, 6.25]], [[7, 8], [9, 10]]], labels: [0, 2, 1] };
const npzMembers = {
  'x.npy': npyBytes('<f4', [6, 2, 3], Array.from({ length: 36 }, (_, i) => i / 7)),
  'ids.npy': npyBytes('<i8', [6], [1, 2, 3, 4, 5, 2 ** 31 - 1]),
  'mask.npy': npyBytes('|b1', [6, 2], [1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1]),
};
const BASES: Base[] = [
  { name: 'csv (12 MNIST rows, labels)', format: 'csv', bytes: new TextEncoder().encode(mnistRows) },
  { name: 'json (nested [2, 2] samples, labels)', format: 'json', bytes: new TextEncoder().encode(JSON.stringify(jsonDoc)), json: jsonDoc },
  { name: 'npy (<f4 [5, 4])', format: 'npy', bytes: npyBytes('<f4', [5, 4], Array.from({ length: 20 }, (_, i) => i - 3.5)) },
  { name: 'npy (>i8 [4, 2])', format: 'npy', bytes: npyBytes('>i8', [4, 2], [0, -1, 2, 3, 2 ** 31 - 1, -(2 ** 31), 7, 8]) },
  { name: 'npz stored (3 arrays)', format: 'npz', bytes: zipSync(npzMembers, { level: 0 }), members: npzMembers },
  { name: 'npz deflated (3 arrays)', format: 'npz', bytes: zipSync(npzMembers, { level: 6 }), members: npzMembers },
];

/** The offset of central directory entry `pick` (modulo their count), or -1. */
function centralEntry(bytes: Uint8Array, pick: number): number {
  if (bytes.length < 22) return -1;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const e = bytes.length - 22;
  const count = dv.getUint16(e + 10, true);
  let o = dv.getUint32(e + 16, true);
  if (dv.getUint32(e, true) !== 0x06054b50 || count === 0) return -1;
  for (let i = 0; i < pick % count; i++) {
    if (o + 46 > bytes.length) return -1;
    o += 46 + dv.getUint16(o + 28, true) + dv.getUint16(o + 30, true) + dv.getUint16(o + 32, true);
  }
  return o + 46 <= bytes.length ? o : -1;
}

/** A mutant of `b` under `targets`, applied in turn. */
function mutate(b: Base, targets: Target[]): Uint8Array {
  let bytes = b.bytes;
  let members = b.members ? { ...b.members } : undefined;
  for (const t of targets) {
    if (t.where === 'bytes') bytes = applyBytes(bytes, t.ms);
    else if (t.where === 'json') bytes = new TextEncoder().encode(serialize(applyJson(b.json, t.ms, 'inputs')));
    else if (t.where === 'header' && !members) bytes = withHeader(b.bytes, t.h);
    else if (t.where === 'header' && members) {
      // One member's header rewritten (its data kept), zipped again.
      const names = Object.keys(members);
      const n = names[t.pick % names.length];
      members[n] = withHeader(members[n], t.h);
      bytes = zipSync(members, { level: 6 });
    } else if (t.where === 'member' && members) {
      // Damage one member, then zip again: the CRCs are right, the member is not.
      const names = Object.keys(members);
      const n = names[t.pick % names.length];
      members[n] = applyBytes(members[n], t.ms);
      bytes = zipSync(members, { level: t.level });
    } else if (t.where === 'declared') {
      const o = centralEntry(bytes, t.pick);
      if (o >= 0) {
        bytes = bytes.slice();
        new DataView(bytes.buffer).setUint32(o + t.field, t.value, true);
      }
    } else if (t.where === 'bomb' && members) {
      const zeros = deflateSync(new Uint8Array(1 << 20));
      const raw = Object.entries(members).map(([name, data]) => ({ name, data }));
      bytes = zipBytes([...raw, { name: 'bomb.npy', data: zeros, method: 8, size: t.declared, crc: 0 }]);
      members = undefined;
    }
  }
  return bytes;
}

/** Check a Dataset a reader accepted: consistent, and no larger than the file justifies. */
function checkDataset(d: Dataset, format: Format, fileBytes: number): void {
  expect(d.samples).toBeGreaterThan(0);
  expect(d.arrays.length).toBeGreaterThan(0);
  let bytes = 0;
  for (const a of d.arrays) {
    const per = a.shape.reduce((x, y) => x * y, 1);
    expect(a.shape.every((s) => Number.isInteger(s) && s >= 0)).toBe(true);
    expect(a.values.length).toBe(d.samples * per);
    expect(a.values).toBeInstanceOf(a.dtype === 'int32' ? Int32Array : Float32Array);
    bytes += a.values.byteLength;
  }
  if (d.labels) {
    expect(d.labels.length).toBe(d.samples);
    expect(d.labels.every((l) => l >= 0)).toBe(true);
    bytes += d.labels.byteLength;
  }
  // Text: one value per character at most, 4 bytes each (plus labels); npy: 1-byte dtypes widen to 4; npz: deflate's 1032:1 on top.
  const limit = format === 'npz' ? 4 * 1032 * fileBytes + 4096 : 8 * fileBytes;
  expect(bytes).toBeLessThanOrEqual(limit);
}

describe('fuzzing the evaluation data readers', () => {
  const tallies: Tally[] = [];
  afterAll(() => tallies.forEach((t) => t.report()));

  for (const b of BASES) {
    it(`${b.name}: readData gives a valid Dataset or a McError`, async () => {
      const tally = new Tally(`data readData: ${b.name}`);
      tallies.push(tally);
      const root = tempDir('mc-fuzz-data-');
      const file = path.join(root, `d.${b.format}`);
      await fc.assert(
        fc.asyncProperty(fc.array(targetsFor(b.format), { minLength: 1, maxLength: 2 }), async (targets) => {
          const bytes = mutate(b, targets);
          writeFileSync(file, bytes);
          const started = Date.now();
          await tally.run(async () => checkDataset(await readData(file), b.format, bytes.length));
          expect(Date.now() - started).toBeLessThan(5000);
        }),
        settings(500),
      );
    });
  }
});
