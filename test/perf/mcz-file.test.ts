/**
 * openMcz (the file read in place, section by section) agrees with parseMcz (the whole
 * file in memory): the same tensors and values for good files, and the same error, code
 * and message, for corrupt ones, so reading in place weakens no check.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isMcError } from '../../src/errors.js';
import { openMcz } from '../../src/mcz/file.js';
import { parseMcz } from '../../src/mcz/read.js';
import { encodeMcz } from '../../src/mcz/write.js';
import { loadModel } from '../../src/model/load.js';
import { tempDir } from '../helpers/synthetic.js';
import { seededFloats } from '../helpers/tfjs.js';
import { boundaries, packFixture, pruneInt8Tensors } from '../mcz/helpers.js';

/** A tensor's entry and bytes, with the bytes as text (deep equality of big arrays is slow). */
const flat = (t: { entry: unknown; bytes: Uint8Array }) => ({ entry: t.entry, bytes: Buffer.from(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength).toString('base64') });

/** What reading every tensor of `bytes` gives in memory: values, or the error. */
function inMemory(bytes: Uint8Array): unknown {
  try {
    const m = parseMcz(bytes, 'f.mcz');
    return { tensors: m.tensors, stored: m.tensors.map((_, i) => flat(m.storedEntry(i))), decoded: m.tensors.map((_, i) => flat(m.decodedEntry(i))) };
  } catch (e) {
    if (!isMcError(e)) throw e;
    return { code: e.code, message: e.message };
  }
}

/** The same through a file read in place (named f.mcz in messages, like the above). */
async function inPlace(dir: string, bytes: Uint8Array): Promise<unknown> {
  const file = path.join(dir, 'f.mcz');
  writeFileSync(file, bytes);
  let m;
  try {
    m = await openMcz(file);
    const stored = [];
    const decoded = [];
    for (let i = 0; i < m.tensors.length; i++) stored.push(flat(await m.storedEntry(i)));
    for (let i = 0; i < m.tensors.length; i++) decoded.push(flat(await m.decodedEntry(i)));
    return { tensors: m.tensors, stored, decoded };
  } catch (e) {
    if (!isMcError(e)) throw e;
    return { code: e.code, message: e.message.split(file).join('f.mcz') };
  } finally {
    await m?.close();
  }
}

describe('openMcz', async () => {
  const dir = tempDir('mc-mcz-file-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const small = (await packFixture('fixtures/digits-cnn')).bytes;
  const mm = await loadModel('fixtures/mnist-mlp');
  const pruned = (await encodeMcz(mm.json, await pruneInt8Tensors(mm, 0.75))).bytes;
  await mm.close();

  it('reads what parseMcz reads, tensor for tensor', async () => {
    for (const bytes of [small, pruned]) expect(await inPlace(dir, bytes)).toEqual(inMemory(bytes));
  });

  it('refuses what parseMcz refuses, with the same error: truncations at and beside every boundary', async () => {
    for (const bytes of [small, pruned]) {
      const cuts = new Set<number>([0, 1, 7, 15, 16, 17]);
      for (const b of boundaries(bytes)) for (const d of [-1, 0, 1]) if (b + d >= 0 && b + d < bytes.length) cuts.add(b + d);
      for (const cut of cuts) {
        const bad = bytes.slice(0, cut);
        expect(await inPlace(dir, bad)).toEqual(inMemory(bad));
      }
    }
  });

  it('refuses what parseMcz refuses, with the same error: flipped bytes', async () => {
    const points = new Set<number>([...boundaries(small), ...seededFloats(150, 99).map((u) => Math.floor(u * small.length))]);
    for (const i of points) {
      if (i >= small.length) continue;
      const bad = small.slice();
      bad[i] ^= 0x41;
      expect(await inPlace(dir, bad)).toEqual(inMemory(bad));
    }
  });

  it('notices a file changed after it was opened', async () => {
    const file = path.join(dir, 'changing.mcz');
    writeFileSync(file, small);
    const m = await openMcz(file);
    try {
      const bad = small.slice();
      bad[16 + 3] ^= 1; // inside section 0, which starts after the 16-byte header
      writeFileSync(file, bad);
      await expect(m.storedEntry(0)).rejects.toThrow(/checksum mismatch/);
    } finally {
      await m.close();
    }
  });
});
