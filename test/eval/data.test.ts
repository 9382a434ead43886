/** The evaluation data readers: .npy dtypes and shapes, .npz (stored, deflated, NumPy-written, hostile), CSV and JSON bounds, labels. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseCsv, parseJsonData, readData } from '../../src/eval/data.js';
import { parseNpy } from '../../src/eval/npy.js';
import { parseNpz } from '../../src/eval/npz.js';
import { isMcError } from '../../src/errors.js';
import { crc32 } from '../../src/mcz/crc32.js';
import { npyBytes, zipBytes } from '../helpers/npy.js';
import { tempDir } from '../helpers/synthetic.js';

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** Write `bytes` to a fresh temp file named `name`; returns its path. */
function file(name: string, bytes: Uint8Array | string): string {
  const dir = tempDir('mc-data-');
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** The McError `f` throws: its code and message (fails when it throws anything else, or nothing). */
async function refusal(f: () => unknown): Promise<{ code: string; message: string }> {
  try {
    await f();
  } catch (e) {
    if (!isMcError(e)) throw e;
    expect(e.message).not.toContain('\n');
    return { code: e.code, message: e.message };
  }
  throw new Error('expected a McError, nothing was thrown');
}

/** Bytes of ArrayBuffers allocated while `f` runs and still held after it (refusals must hold none). */
async function heldBytes(f: () => unknown): Promise<number> {
  const before = process.memoryUsage().arrayBuffers;
  await refusal(f);
  return process.memoryUsage().arrayBuffers - before;
}

describe('.npy', () => {
  it('f4 is kept bit for bit as float32 (NaN payloads, -0, subnormals), either byte order', () => {
    const raw = new Float32Array([1.5, -0, 1e-40, NaN, 3.4e38, -1 / 3]);
    new Uint32Array(raw.buffer)[3] = 0x7fc01234; // a NaN with a payload
    for (const descr of ['<f4', '>f4']) {
      // The header alone, then the raw bits (DataView.setFloat32 could canonicalise the NaN).
      const header = npyBytes(descr, [3, 2], []);
      const full = new Uint8Array(header.length + 24);
      full.set(header);
      const fv = new DataView(full.buffer);
      new Uint32Array(raw.buffer).forEach((b, i) => fv.setUint32(header.length + 4 * i, b, descr === '<f4'));
      const a = parseNpy(full, 'x.npy');
      expect(a).toMatchObject({ shape: [3, 2], dtype: 'float32', descr });
      expect(a.values).toBeInstanceOf(Float32Array);
      expect(bits(a.values as Float32Array)).toEqual(bits(raw));
    }
  });

  it('f8 is rounded to float32, f2 widened; a finite f8 beyond float32 is an error', () => {
    expect(Array.from(parseNpy(npyBytes('<f8', [3], [0.1, -2.5, 1e-50]), 'x.npy').values)).toEqual([Math.fround(0.1), -2.5, 0]);
    expect(Array.from(parseNpy(npyBytes('>f8', [1], [0.1]), 'x.npy').values)).toEqual([Math.fround(0.1)]);
    expect(Array.from(parseNpy(npyBytes('<f2', [4], [0x3c00, 0xc000, 0x0001, 0x7bff]), 'x.npy').values)).toEqual([1, -2, 2 ** -24, 65504]);
    expect(() => parseNpy(npyBytes('<f8', [2], [1, 1e300]), 'big.npy')).toThrow(/big\.npy: value 1e\+300 at index 1 is outside the float32 range/);
  });

  const ints: Array<[string, Array<number | bigint>]> = [
    ['|i1', [-128, 0, 127]],
    ['|u1', [0, 200, 255]],
    ['|b1', [0, 1, 1]],
    ['<i2', [-32768, 5, 32767]],
    ['>u2', [0, 65535, 7]],
    ['<i4', [-(2 ** 31), 0, 2 ** 31 - 1]],
    ['>i4', [-(2 ** 31), 1, 2 ** 31 - 1]],
    ['<u4', [0, 1, 2 ** 31 - 1]],
    ['<i8', [-(2 ** 31), -1, 2 ** 31 - 1]],
    ['>i8', [-(2 ** 31), -1, 2 ** 31 - 1]],
    ['<u8', [0, 3, 2 ** 31 - 1]],
  ];
  for (const [descr, values] of ints) {
    it(`${descr} is read as int32, values exact`, () => {
      const a = parseNpy(npyBytes(descr, [3, 1], values), 'x.npy');
      expect(a.dtype).toBe('int32');
      expect(a.values).toBeInstanceOf(Int32Array);
      expect(Array.from(a.values)).toEqual(values.map(Number));
      expect(a.shape).toEqual([3, 1]);
    });
  }

  it('integers outside int32 are an error naming the file, the value and the index', () => {
    expect(() => parseNpy(npyBytes('<u4', [2], [1, 2 ** 31]), 'u.npy')).toThrow(/u\.npy: value 2147483648 at index 1 is outside the int32 range/);
    expect(() => parseNpy(npyBytes('<i8', [3], [0, 0, -(2 ** 31) - 1]), 'i.npy')).toThrow(/i\.npy: value -2147483649 at index 2/);
    expect(() => parseNpy(npyBytes('>u8', [1], [2n ** 63n]), 'j.npy')).toThrow(/j\.npy: value 9223372036854776000 at index 0/);
  });

  it('a 0-d array parses to one value; as data it is refused with what to write instead', async () => {
    const a = parseNpy(npyBytes('<f4', [], [2.5], { header: "{'descr': '<f4', 'fortran_order': False, 'shape': (), }" }), 'x.npy');
    expect(a).toMatchObject({ shape: [], values: new Float32Array([2.5]) });
    const p = file('s.npy', npyBytes('<f4', [], [2.5], { header: "{'descr': '<f4', 'fortran_order': False, 'shape': (), }" }));
    expect((await refusal(() => readData(p))).message).toMatch(/s\.npy: a 0-d array \(a scalar\); expected samples along the first axis \(a per-sample scalar input is an array of shape \[N\]\)/);
  });

  it('as data: sample shape is the file shape without its first axis; dtype kept; labels from another .npy', async () => {
    const x = file('x.npy', npyBytes('|u1', [4, 2, 3], Array.from({ length: 24 }, (_, i) => i)));
    const y = file('y.npy', npyBytes('<i8', [4], [3, 1, 0, 9]));
    const d = await readData(x, { labelsFile: y });
    expect(d.samples).toBe(4);
    expect(d.arrays).toHaveLength(1);
    expect(d.arrays[0]).toMatchObject({ name: null, shape: [2, 3], dtype: 'int32' });
    expect(d.arrays[0].values).toBeInstanceOf(Int32Array);
    expect(Array.from(d.labels!)).toEqual([3, 1, 0, 9]);
    expect(Array.from(d.arrays[0].values.subarray(0, 3))).toEqual([0, 1, 2]);
    // Float labels holding integers are fine; others are not.
    expect(Array.from((await readData(x, { labelsFile: file('f.npy', npyBytes('<f4', [4], [1, 2, 3, 4])) })).labels!)).toEqual([1, 2, 3, 4]);
    expect((await refusal(() => readData(x, { labelsFile: file('g.npy', npyBytes('<f4', [4], [1, 2.5, 3, 4])) }))).message).toMatch(/g\.npy: label 1 must be an integer/);
    expect((await refusal(() => readData(x, { labelsFile: file('h.npy', npyBytes('<i4', [3], [1, 2, 3])) }))).message).toMatch(/h\.npy: expected 4 labels \(one per sample\), found 3/);
    expect((await refusal(() => readData(x, { labelsFile: file('n.npy', npyBytes('<i4', [4], [1, -2, 3, 0])) }))).message).toMatch(/n\.npy: label 1 must be an integer from 0/);
  });

  const bad: Array<[string, () => Uint8Array, RegExp]> = [
    ['no magic', () => new TextEncoder().encode('hello world, not numpy'), /expected a NumPy \.npy array, found no \\x93NUMPY header/],
    ['version 4', () => npyBytes('<f4', [1], [1], { version: 4 }), /found format version 4\.0/],
    ['a header cut off', () => npyBytes('<f4', [2], [1, 2]).subarray(0, 40), /the header claims 118 bytes, 30 remain/],
    ['data cut off', () => npyBytes('<f4', [4], [1, 2, 3, 4]).subarray(0, 140), /shape \(4,\) of <f4 needs 16 bytes of data, found 12/],
    ['extra data', () => new Uint8Array([...npyBytes('<f4', [1], [1]), 0, 0, 0, 0]), /needs 4 bytes of data, found 8/],
    ['a complex dtype', () => npyBytes('<c8', [1], [], { header: "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }" }), /found dtype "<c8" \(supported: f2, f4, f8/],
    ['a structured dtype', () => npyBytes('<f4', [1], [1], { header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }" }), /without descr, fortran_order or shape/],
    ['Fortran order', () => npyBytes('<f4', [2, 2], [1, 2, 3, 4], { fortran: true }), /Fortran order; save it in C order/],
    ['a shape that is not integers', () => npyBytes('<f4', [1], [1], { header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1, -2), }" }), /expected a tuple of integers/],
    ['a dim over 2^31 - 1', () => npyBytes('<f4', [1], [1], { header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2147483648, 1), }" }), /a dim of 2147483648/],
    ['a huge shape', () => npyBytes('<f8', [1], [1], { header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647, 2147483647, 2147483647), }" }), /needs more than .* bytes of data, found 8/],
    ['not a dict', () => npyBytes('<f4', [1], [1], { header: "['descr', '<f4']" }), /a header that is not a Python dict/],
  ];
  for (const [name, make, message] of bad) {
    it(`refuses ${name} with one line naming the file, allocating nothing`, async () => {
      const bytes = make();
      const e = await refusal(() => parseNpy(bytes, 'bad.npy'));
      expect(e.message).toMatch(/^bad\.npy: /);
      expect(e.message).toMatch(message);
      expect(await heldBytes(() => parseNpy(bytes, 'bad.npy'))).toBeLessThan(1 << 20);
    });
  }
});

/** An .npz as np.savez writes it, through fflate: level 0 stores, level 6 deflates. */
const npz = (arrays: Record<string, Uint8Array>, level: 0 | 6) => zipSync(Object.fromEntries(Object.entries(arrays).map(([k, v]) => [`${k}.npy`, v])), { level });

describe('.npz', () => {
  const x = npyBytes('<f4', [5, 2, 2], Array.from({ length: 20 }, (_, i) => i / 8));
  const ids = npyBytes('<i8', [5, 3], Array.from({ length: 15 }, (_, i) => i * 1000));
  const mask = npyBytes('|b1', [5], [1, 0, 1, 1, 0]);
  for (const level of [0, 6] as const) {
    it(`${level ? 'deflated (savez_compressed)' : 'stored (savez)'}: every array, by key, in archive order, shapes and dtypes kept`, async () => {
      const d = await readData(file('d.npz', npz({ x, ids, mask }, level)));
      expect(d.samples).toBe(5);
      expect(d.arrays.map((a) => [a.name, a.shape, a.dtype])).toEqual([
        ['x', [2, 2], 'float32'],
        ['ids', [3], 'int32'],
        ['mask', [], 'int32'],
      ]);
      expect(Array.from(d.arrays[0].values)).toEqual(Array.from({ length: 20 }, (_, i) => i / 8));
      expect(d.arrays[1].values).toBeInstanceOf(Int32Array);
      expect(Array.from(d.arrays[1].values)).toEqual(Array.from({ length: 15 }, (_, i) => i * 1000));
      expect(Array.from(d.arrays[2].values)).toEqual([1, 0, 1, 1, 0]);
      expect(d.labels).toBeNull();
    });
  }

  // Written by NumPy 2.4: x = np.arange(6, dtype='<f4').reshape(3, 2) / 4, ids = np.array([[1, 2], [3, 4], [5, 6]]) ('<i8'),
  // np.savez(f, x=x, ids=ids) and np.savez_compressed(f, x=x, ids=ids): ZIP64 local headers, as NumPy always writes them.
  const SAVEZ =
    'UEsDBC0AAAAAAAAAIQCJv5wz//////////8FABQAeC5ucHkBABAAmAAAAAAAAACYAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJzxmNCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgzLCAyKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAAAAAAAAgD4AAAA/AABAPwAAgD8AAKA/UEsDBC0AAAAAAAAAIQDcvR34//////////8HABQAaWRzLm5weQEAEACwAAAAAAAAALAAAAAAAAAAk05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAAAAAAAAAIAAAAAAAAAAwAAAAAAAAAEAAAAAAAAAAUAAAAAAAAABgAAAAAAAABQSwECLQMtAAAAAAAAACEAib+cM5gAAACYAAAABQAAAAAAAAAAAAAAgAEAAAAAeC5ucHlQSwECLQMtAAAAAAAAACEA3L0d+LAAAACwAAAABwAAAAAAAAAAAAAAgAHPAAAAaWRzLm5weVBLBQYAAAAAAgACAGgAAAC4AQAAAAA=';
  const SAVEZ_COMPRESSED =
    'UEsDBC0AAAAIAAAAIQCJv5wz//////////8FABQAeC5ucHkBABAAmAAAAAAAAABWAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TZqKuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GsY6CkaaOgq1CmQDLgYwaLADEvYMDA5A3ADEC+wBUEsDBC0AAAAIAAAAIQDcvR34//////////8HABQAaWRzLm5weQEAEACwAAAAAAAAAFcAAAAAAAAAm+wX6hsQychQxlCtnpJanFykbqWgbpNpoa6joJ6WX1RSlJgXn1+UkgoSd0vMKU4FihdnJBakAvkaxjoKRpo6CrUKZAMuRgYIYILSzFCaBUqzQmk2KA0AUEsBAi0DLQAAAAgAAAAhAIm/nDNWAAAAmAAAAAUAAAAAAAAAAAAAAIABAAAAAHgubnB5UEsBAi0DLQAAAAgAAAAhANy9HfhXAAAAsAAAAAcAAAAAAAAAAAAAAIABjQAAAGlkcy5ucHlQSwUGAAAAAAIAAgBoAAAAHQEAAAAA';
  for (const [name, b64] of [['np.savez', SAVEZ], ['np.savez_compressed', SAVEZ_COMPRESSED]]) {
    it(`reads a file ${name} wrote`, async () => {
      const d = await readData(file('n.npz', Buffer.from(b64, 'base64')));
      expect(d.samples).toBe(3);
      expect(d.arrays.map((a) => [a.name, a.shape, a.dtype, Array.from(a.values)])).toEqual([
        ['x', [2], 'float32', [0, 0.25, 0.5, 0.75, 1, 1.25]],
        ['ids', [2], 'int32', [1, 2, 3, 4, 5, 6]],
      ]);
    });
  }

  it('reads ZIP64 central directory records and end records', () => {
    const arrays = parseNpz(zipBytes([{ name: 'a.npy', data: x }, { name: 'b.npy', data: ids }], { zip64Directory: true }), 'z.npz');
    expect(arrays.map((a) => [a.name, a.array.shape])).toEqual([['a', [5, 2, 2]], ['b', [5, 3]]]);
  });

  it('labels come from a separate .npy', async () => {
    const d = await readData(file('d.npz', npz({ x }, 6)), { labelsFile: file('y.npy', npyBytes('|u1', [5], [0, 1, 2, 3, 4])) });
    expect(Array.from(d.labels!)).toEqual([0, 1, 2, 3, 4]);
  });

  it('arrays with different first axes: one error naming every array and its first dim', async () => {
    const e = await refusal(() => readData(file('m.npz', npz({ x, y: npyBytes('<f4', [4], [1, 2, 3, 4]), z: mask }, 6))));
    expect(e).toEqual({ code: 'SIZE_MISMATCH', message: expect.stringMatching(/m\.npz: every array must hold the same number of samples \(its first axis\); found "x" 5, "y" 4, "z" 5$/) });
  });

  it('a 0-d array, an empty archive, a member that is not .npy, a bad array: one line naming the file and the array', async () => {
    const scalar = npyBytes('<f4', [], [1], { header: "{'descr': '<f4', 'fortran_order': False, 'shape': (), }" });
    expect((await refusal(() => readData(file('s.npz', npz({ x, s: scalar }, 0))))).message).toMatch(/s\.npz: array "s": a 0-d array \(a scalar\)/);
    expect((await refusal(() => readData(file('e.npz', zipSync({}))))).message).toMatch(/e\.npz: expected an \.npz holding at least one array, found an empty archive/);
    expect((await refusal(() => readData(file('t.npz', zipSync({ 'x.npy': x, 'notes.txt': new Uint8Array(3) }))))).message).toMatch(/t\.npz: member "notes\.txt" is not a \.npy array/);
    expect((await refusal(() => readData(file('b.npz', npz({ x: x.subarray(0, 100) }, 6))))).message).toMatch(/b\.npz: array "x": expected a NumPy \.npy array, the header claims/);
    expect((await refusal(() => readData(file('n.npz', 'not a zip at all'))))).toEqual({ code: 'BAD_VALUE', message: expect.stringMatching(/n\.npz: expected a zip archive \(\.npz\), found no end-of-central-directory record/) });
  });

  it('a deflate bomb declaring its size is refused before anything is inflated', async () => {
    // 1 MiB of zeros deflate to about 1 KiB; declare 4 GiB - 2 for the same bytes.
    const zeros = deflateSync(new Uint8Array(1 << 20), { level: 9 });
    const bomb = zipBytes([{ name: 'x.npy', data: x }, { name: 'big.npy', data: zeros, method: 8, size: 0xfffffffe, crc: 0 }]);
    const p = file('bomb.npz', bomb);
    const started = Date.now();
    const e = await refusal(() => readData(p));
    expect(e).toEqual({ code: 'SIZE_MISMATCH', message: expect.stringMatching(/bomb\.npz: member "big\.npy": declares 4294967294 bytes from \d+ compressed, more than deflate can produce/) });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await heldBytes(() => readData(p))).toBeLessThan(4 << 20);
  });

  it('a member that inflates past its declared size stops there; a short one, a CRC mismatch, overlap and duplicates are refused', () => {
    const big = new Uint8Array(1 << 20).fill(7);
    const lying = zipBytes([{ name: 'x.npy', data: deflateSync(big), method: 8, size: 1000, crc: crc32(big.subarray(0, 1000)) }]);
    expect(() => parseNpz(lying, 'l.npz')).toThrow(/l\.npz: member "x\.npy": inflates to more than its declared 1000 bytes/);
    const short = zipBytes([{ name: 'x.npy', data: deflateSync(x), method: 8, size: x.length + 10, crc: crc32(x) }]);
    expect(() => parseNpz(short, 's.npz')).toThrow(/s\.npz: member "x\.npy": inflates to \d+ bytes, declares \d+/);
    const crc = zipBytes([{ name: 'x.npy', data: x, crc: crc32(x) ^ 1 }]);
    expect(() => parseNpz(crc, 'c.npz')).toThrow(/c\.npz: member "x\.npy": CRC-32 mismatch/);
    const corrupt = deflateSync(x);
    corrupt[5] ^= 0xff;
    expect(() => parseNpz(zipBytes([{ name: 'x.npy', data: corrupt, method: 8, size: x.length, crc: crc32(x) }]), 'd.npz')).toThrow(/d\.npz: member "x\.npy": (corrupt deflate data|inflates|CRC-32)/);
    expect(() => parseNpz(zipBytes([{ name: 'x.npy', data: x, method: 12 }]), 'm.npz')).toThrow(/m\.npz: member "x\.npy": compression method 12 \(supported: stored, deflate\)/);
    expect(() => parseNpz(zipBytes([{ name: 'x.npy', data: x }, { name: 'x.npy', data: x }]), 'u.npz')).toThrow(/u\.npz: member "x\.npy" appears twice/);
    // Two directory entries pointing at the same member (an overlap bomb).
    const one = zipBytes([{ name: 'a.npy', data: x }, { name: 'b.npy', data: x }]);
    const dv = new DataView(one.buffer);
    const cd = dv.getUint32(one.length - 6, true);
    const second = cd + 46 + 5;
    dv.setUint32(second + 42, 0, true);
    expect(() => parseNpz(one, 'o.npz')).toThrow(/o\.npz: expected a zip archive \(\.npz\), found member "(a|b)\.npy" with no local header at 0, or overlapping another/);
  });

  it('truncated archives are refused at every length', () => {
    const whole = npz({ x, ids }, 6);
    for (let n = 0; n < whole.length; n += 7) {
      try {
        parseNpz(whole.subarray(0, n), 't.npz');
      } catch (e) {
        expect(isMcError(e), String(e)).toBe(true);
        continue;
      }
      throw new Error(`a ${n}-byte prefix of a ${whole.length}-byte archive was accepted`);
    }
  });
});

describe('CSV and JSON', () => {
  it('CSV: rows and widths are checked before anything is sized', async () => {
    // Row 1 claims 100,001 columns; 200,000 one-value rows follow: 80 GB if sized by row 1.
    const text = `${'0,'.repeat(100_000)}0\n${'1\n'.repeat(200_000)}`;
    const e = await refusal(() => parseCsv(text, 'wide.csv'));
    expect(e.message).toBe('wide.csv: row 2 has 1 columns, expected 100001 like row 1');
    expect(await heldBytes(() => parseCsv(text, 'wide.csv'))).toBeLessThan(1 << 20);
  });

  it('CSV: labels within int32, values within float32, shape [width]', () => {
    const d = parseCsv('0.5,1,2\n3,4,7\n', 'a.csv');
    expect(d.arrays).toEqual([{ name: null, shape: [2], dtype: 'float32', values: new Float32Array([0.5, 1, 3, 4]) }]);
    expect(Array.from(d.labels!)).toEqual([2, 7]);
    expect(() => parseCsv('1,2,3000000000\n', 'b.csv')).toThrow(/b\.csv: row 1: expected a class label \(an integer from 0 to 2\^31 - 1\)/);
    expect(() => parseCsv('1,1e39,3\n', 'c.csv')).toThrow(/c\.csv: row 1, column 2: 1e\+39 is outside the float32 range/);
    expect(() => parseCsv('1,,3\n', 'e.csv')).toThrow(/e\.csv: row 1, column 2: expected a number, found ""/);
  });

  it('JSON: the nested sample shape is kept; flat samples are [n], numbers []', () => {
    expect(parseJsonData('{"inputs": [[[1, 2], [3, 4]], [[5, 6], [7, 8]]], "labels": [0, 1]}', 'n.json').arrays[0]).toMatchObject({ shape: [2, 2], values: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]) });
    expect(parseJsonData('{"inputs": [[1, 2, 3]]}', 'f.json').arrays[0].shape).toEqual([3]);
    const s = parseJsonData('{"inputs": [1, 2, 3], "labels": [1, 0, 1]}', 's.json');
    expect([s.samples, s.arrays[0].shape, s.arrays[0].values.length]).toEqual([3, [], 3]);
  });

  it('JSON: ragged, too deep, too many values for the text, non-numbers: one line naming the sample', async () => {
    expect(() => parseJsonData('{"inputs": [[[1, 2], [3, 4]], [[5, 6], [7]]]}', 'r.json')).toThrow(/r\.json: inputs\[1\]: expected a list of 2 at depth 1 \(shape \[2, 2\], like inputs\[0\]\), found a list of 1/);
    expect(() => parseJsonData(`{"inputs": [${'['.repeat(17)}1${']'.repeat(17)}]}`, 'd.json')).toThrow(/d\.json: inputs\[0\]: nested deeper than 16 levels/);
    expect(() => parseJsonData('{"inputs": [[1, "2"]]}', 'x.json')).toThrow(/x\.json: inputs\[0\]: expected a number at depth 1, found "2"/);
    // Found by fuzzing: an error message once printed the offending value with JSON.stringify, which overflowed the stack on deep nesting.
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    expect(() => parseJsonData(`{"inputs": [[1]], "labels": [${deep}]}`, 'l.json')).toThrow(/l\.json: label 0 must be an integer from 0 to 2\^31 - 1, found a list of 1$/);
    expect(() => parseJsonData(`{"inputs": [1, ${deep}]}`, 'i.json')).toThrow(/i\.json: inputs\[1\]: expected a number at depth 0, found a list of 1$/);
    // inputs[0] of 100,000 values, then 100,000 empty samples: 40 GB if sized by inputs[0].
    const text = `{"inputs": [[${'0,'.repeat(99_999)}0]${',[]'.repeat(100_000)}]}`;
    const e = await refusal(() => parseJsonData(text, 'big.json'));
    expect(e.message).toMatch(/^big\.json: inputs\[1\]: expected a list of 100000 at depth 0/);
    expect(await heldBytes(() => parseJsonData(text, 'big.json'))).toBeLessThan(1 << 20);
  });
});

describe('readData', () => {
  it('dispatches on the extension; missing files, folders and other extensions are one-line errors', async () => {
    const dir = tempDir('mc-data-');
    mkdirSync(path.join(dir, 'd.csv'));
    expect(await refusal(() => readData(path.join(dir, 'none.npz')))).toEqual({ code: 'MISSING_FILE', message: `${path.join(dir, 'none.npz')}: expected an .npz archive, found no such file` });
    expect((await refusal(() => readData(path.join(dir, 'd.csv')))).message).toMatch(/d\.csv: expected a CSV data file, found a folder/);
    expect((await refusal(() => readData(file('x.txt', '1,2')))).code).toBe('USAGE');
    expect((await refusal(() => readData(file('x.csv', '1,2'), { labelsFile: 'y.npy' }))).message).toMatch(/--labels: only \.npy and \.npz inputs/);
  });
});
