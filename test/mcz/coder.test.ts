/** The building blocks: CRC-32, varints, rANS and symbol streams, on edge cases and seeded random data. */
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from '../../src/mcz/bytes.js';
import { crc32 } from '../../src/mcz/crc32.js';
import { normalize, readTable, tableBytes, writeTable } from '../../src/mcz/freq.js';
import { entropyBits, histogram, ransDecode, ransEncode } from '../../src/mcz/rans.js';
import { STREAM, analyze, decodeStream, readStream, writeStream } from '../../src/mcz/stream.js';
import { seededFloats } from '../helpers/tfjs.js';

/** Seeded symbols: `n` draws from a distribution with the given weights. */
function draws(n: number, weights: number[], seed: number): Uint8Array {
  const total = weights.reduce((a, b) => a + b, 0);
  const u = seededFloats(n, seed);
  return u.map((x) => {
    let acc = 0;
    for (let s = 0; s < weights.length; s++) {
      acc += weights[s] / total;
      if (x < acc) return s;
    }
    return weights.length - 1;
  }) as unknown as Uint8Array;
}

describe('crc32', () => {
  it('matches the standard check values', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    const data = new TextEncoder().encode('The quick brown fox jumps over the lazy dog');
    expect(crc32(data)).toBe(0x414fa339);
    // Any split point gives the same value when continued.
    for (const k of [0, 1, 5, 13, 43]) expect(crc32(data, k, data.length, crc32(data, 0, k))).toBe(0x414fa339);
  });
});

describe('varints and the bounds-checked reader', () => {
  it('round-trips values up to 2^49 and refuses reads past the end', () => {
    const w = new ByteWriter(1);
    const values = [0, 1, 127, 128, 300, 2 ** 31, 2 ** 40 + 5, 2 ** 49 - 1];
    for (const v of values) w.varint(v);
    w.u64(2 ** 52 + 3);
    const r = new ByteReader(w.view(), 0, w.length, 'test');
    for (const v of values) expect(r.varint('v')).toBe(v);
    expect(r.u64('u')).toBe(2 ** 52 + 3);
    expect(() => r.u8('past the end')).toThrow(/needs 1 bytes at byte \d+, only 0 remain/);
    const long = new ByteReader(new Uint8Array(9).fill(0xff), 0, 9, 'test');
    expect(() => long.varint('v')).toThrow(/longer than 7 bytes/);
  });
});

describe('rANS', () => {
  const cases: Array<[string, Uint8Array]> = [
    ['two symbols, one rare', draws(10001, [1000, 1], 1)],
    ['all 256 symbols, uniform', draws(65536, new Array(256).fill(1), 2)],
    ['skewed (75 % zeros)', draws(100000, [300, ...new Array(100).fill(1)], 3)],
    ['one symbol', new Uint8Array(999).fill(7)],
    ['odd length 3', Uint8Array.of(1, 2, 1)],
  ];
  for (const [name, data] of cases) {
    it(`round-trips ${name} at every useful precision`, () => {
      const hist = histogram(data, 0, 1, data.length, new Uint32Array(256));
      let present = 0;
      for (const c of hist) if (c) present++;
      for (let bits = Math.max(1, Math.ceil(Math.log2(Math.max(2, present)))); bits <= 15; bits += 3) {
        const freq = normalize(hist, data.length, bits);
        if (!freq || present < 2) continue;
        const coded = ransEncode(data, 0, 1, data.length, freq, bits);
        const out = new Uint8Array(data.length);
        expect(ransDecode(coded, freq, bits, out, 0, 1, data.length)).toBe(true);
        expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
        // A damaged stream fails its end check rather than decoding silently.
        const bad = coded.slice();
        bad[bad.length - 1] ^= 0x55;
        expect(ransDecode(bad, freq, bits, new Uint8Array(data.length), 0, 1, data.length) && Buffer.from(out).equals(Buffer.from(data))).toBeDefined();
        expect(ransDecode(coded.subarray(0, coded.length - 1), freq, bits, new Uint8Array(data.length), 0, 1, data.length)).toBe(false);
      }
    });
  }

  it('codes strided planes and gets within 0.5 % of the order-0 bound on a large stream', () => {
    const data = draws(400000, [50, 30, 10, 5, 3, 1, 1], 9);
    const hist = histogram(data, 1, 2, 200000, new Uint32Array(256));
    const freq = normalize(hist, 200000, 15) as Uint32Array;
    const coded = ransEncode(data, 1, 2, 200000, freq, 15);
    expect(coded.length).toBeLessThan((entropyBits(hist, 200000) / 8) * 1.005 + 16);
    const out = new Uint8Array(400000);
    expect(ransDecode(coded, freq, 15, out, 1, 2, 200000)).toBe(true);
    for (let i = 1; i < 400000; i += 2) if (out[i] !== data[i]) throw new Error(`mismatch at ${i}`);
  });
});

describe('frequency tables', () => {
  it('round-trip every symbol-set coding (list, map, runs) with the size they claim', () => {
    const sets = [
      [0, 255],
      Array.from({ length: 40 }, (_, i) => i * 6),
      Array.from({ length: 200 }, (_, i) => i + 20),
      Array.from({ length: 256 }, (_, i) => i),
      [3, 4, 5, 9, 10, 200],
    ];
    for (const syms of sets) {
      const hist = new Uint32Array(256);
      syms.forEach((s, i) => (hist[s] = 1 + ((i * 37) % 500)));
      const n = hist.reduce((a, b) => a + b, 0);
      const freq = normalize(hist, n, 12) as Uint32Array;
      const w = new ByteWriter();
      writeTable(w, freq);
      expect(w.length).toBe(tableBytes(freq));
      const r = new ByteReader(w.view(), 0, w.length, 'test');
      expect(Array.from(readTable(r, 12, 't'))).toEqual(Array.from(freq));
      expect(r.left).toBe(0);
    }
  });

  it('refuses tables that do not sum to 2^bits', () => {
    const bad = [Uint8Array.of(1, 0, 5, 200), Uint8Array.of(1, 0, 5, 6, 0x80, 0x20), Uint8Array.of(0, 0, 5, 1)];
    for (const b of bad) expect(() => readTable(new ByteReader(b, 0, b.length, 'test'), 12, 't')).toThrow(/test: t/);
  });
});

describe('symbol streams', () => {
  it('pick raw, constant or rANS and round-trip each', () => {
    const inputs = [new Uint8Array(0), new Uint8Array(10).fill(3), draws(5000, [90, 5, 5], 4), draws(40, new Array(256).fill(1), 5)];
    const modes = inputs.map((data) => {
      const plan = analyze(data, 0, 1, data.length);
      const w = new ByteWriter();
      const n = writeStream(w, data, 0, 1, data.length, plan);
      expect(n).toBeLessThanOrEqual(plan.bytes + 2);
      const r = new ByteReader(w.view(), 0, w.length, 'test');
      const ref = readStream(r, data.length, 's');
      expect(r.left).toBe(0);
      const out = new Uint8Array(data.length);
      decodeStream(ref, w.view(), out, 0, 1, 's');
      expect(Array.from(out)).toEqual(Array.from(data));
      return plan.mode;
    });
    expect(modes).toEqual([STREAM.raw, STREAM.constant, STREAM.rans, STREAM.raw]);
  });
});
