/** The size cache: a hit gives exactly the computed sizes; other content, or a broken cache, is computed again. */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BROTLI_BLOCK, fileSizes } from '../../src/size.js';
import { sizeCacheDir } from '../../src/size-cache.js';
import { tempDir } from '../helpers/synthetic.js';
import { seededFloats } from '../helpers/tfjs.js';

const before = process.env.MAAS_COMPRESS_CACHE;
afterEach(() => {
  process.env.MAAS_COMPRESS_CACHE = before;
});

describe('size cache', () => {
  it('where it lives, and off', () => {
    expect(sizeCacheDir({ MAAS_COMPRESS_CACHE: 'off' })).toBeNull();
    expect(sizeCacheDir({ MAAS_COMPRESS_CACHE: '0' })).toBeNull();
    expect(sizeCacheDir({ MAAS_COMPRESS_CACHE: '/x/y' })).toBe('/x/y');
    expect(sizeCacheDir({ XDG_CACHE_HOME: '/c' })).toBe(path.join('/c', 'maas-compress'));
  });

  it('a hit equals the computed sizes; other bytes of the same length are computed', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'w.bin');
    writeFileSync(file, new Uint8Array(seededFloats(100_000, 3).buffer));
    process.env.MAAS_COMPRESS_CACHE = 'off';
    const computed = await fileSizes(file);
    process.env.MAAS_COMPRESS_CACHE = path.join(dir, 'cache');
    expect(await fileSizes(file)).toEqual(computed);
    expect(readdirSync(path.join(dir, 'cache', 'sizes'))).toHaveLength(1);
    expect(await fileSizes(file)).toEqual(computed);
    // Same length, other content: a different entry, its own sizes.
    writeFileSync(file, new Uint8Array(400_000));
    const zeros = await fileSizes(file);
    expect(zeros.brotli).toBeLessThan(computed.brotli / 100);
    expect(readdirSync(path.join(dir, 'cache', 'sizes'))).toHaveLength(2);
  });

  it('a corrupt entry or an unwritable cache only costs the time to compute', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'w.bin');
    writeFileSync(file, new Uint8Array(seededFloats(50_000, 9).buffer));
    process.env.MAAS_COMPRESS_CACHE = 'off';
    const computed = await fileSizes(file);
    const cache = path.join(dir, 'cache');
    process.env.MAAS_COMPRESS_CACHE = cache;
    await fileSizes(file);
    const [entry] = readdirSync(path.join(cache, 'sizes'));
    writeFileSync(path.join(cache, 'sizes', entry), '{"settings": "gzip9+brotli11-block4MiB-v1", "gzip": "x"');
    expect(await fileSizes(file)).toEqual(computed);
    // A cache path that is a file: nothing can be written there.
    const blocked = path.join(dir, 'blocked');
    writeFileSync(blocked, '');
    process.env.MAAS_COMPRESS_CACHE = blocked;
    expect(await fileSizes(file)).toEqual(computed);
  });

  it('large files: brotli in 4 MiB blocks, the sum within 0.1 % of one stream over the file', async () => {
    const { brotliCompressSync, constants } = await import('node:zlib');
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'big.bin');
    // Weight-like bytes: float32 values of a narrow normal-ish distribution, one block and 256 KiB.
    const n = (BROTLI_BLOCK + 256 * 1024) / 4;
    const u = seededFloats(n * 2, 11);
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) w[i] = 0.05 * Math.sqrt(-2 * Math.log(u[2 * i] + 1e-12)) * Math.cos(2 * Math.PI * u[2 * i + 1]);
    const bytes = new Uint8Array(w.buffer);
    writeFileSync(file, bytes);
    process.env.MAAS_COMPRESS_CACHE = 'off';
    const s = await fileSizes(file);
    const whole = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }).length;
    expect(Math.abs(s.brotli / whole - 1)).toBeLessThan(0.001);
  }, 120_000);
});
