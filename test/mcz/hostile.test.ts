/**
 * Corrupt, truncated and hostile files: each is a McError with a one-line message naming
 * the file (exit code 2), never another exception, a hang or a large allocation.
 */
import path from 'node:path';
import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { isMcError } from '../../src/errors.js';
import { loadModel } from '../../src/model/load.js';
import { parseMcz } from '../../src/mcz/read.js';
import { encodeMcz } from '../../src/mcz/write.js';
import { everyDtype, tempDir, writeModel } from '../helpers/synthetic.js';
import { seededFloats } from '../helpers/tfjs.js';
import { boundaries, packFixture, patchSection, pruneInt8Tensors, rewriteTable, storedTensors, withModelSection, withoutPadding } from './helpers.js';

/** Parse and decode everything; returns the McError thrown (fails the test on any other outcome). */
function failure(bytes: Uint8Array): { code: string; message: string; exitCode: number } {
  try {
    const m = parseMcz(bytes, 'bad.mcz');
    m.tensors.forEach((_, i) => m.storedEntry(i));
  } catch (e) {
    if (!isMcError(e)) throw new Error(`expected a McError, got ${String(e)}`, { cause: e });
    expect(e.message).not.toContain('\n');
    expect(e.message.startsWith('bad.mcz')).toBe(true);
    return { code: e.code, message: e.message, exitCode: e.exitCode };
  }
  throw new Error('expected the file to be refused');
}

/** Parse and decode everything; a McError or success are both fine, anything else fails. */
function survives(bytes: Uint8Array): void {
  try {
    const m = parseMcz(bytes, 'bad.mcz');
    m.tensors.forEach((_, i) => m.decodeTensor(i));
  } catch (e) {
    if (!isMcError(e)) throw new Error(`expected a McError, got ${String(e)}`, { cause: e });
  }
}

const STRUCTURAL = ['BAD_MANIFEST', 'SIZE_MISMATCH'];

describe('hostile .mcz files', async () => {
  const small = (await packFixture('fixtures/digits-cnn')).bytes;
  const file = writeModel(path.join(tempDir(), 'every'), everyDtype());
  const em = await loadModel(file);
  const every = (await encodeMcz(em.json, await storedTensors(em))).bytes;
  await em.close();
  const mm = await loadModel('fixtures/mnist-mlp');
  const pruned = (await encodeMcz(mm.json, await pruneInt8Tensors(mm, 0.75))).bytes;
  await mm.close();

  it('truncated at every section boundary, next to it, and at seeded random points', () => {
    for (const bytes of [small, every, pruned]) {
      const cuts = new Set<number>([0, 1, 7]);
      for (const b of boundaries(bytes)) for (const d of [-1, 0, 1]) if (b + d >= 0 && b + d < bytes.length) cuts.add(b + d);
      for (const u of seededFloats(20, bytes.length)) cuts.add(Math.floor(u * bytes.length));
      for (const cut of cuts) {
        const f = failure(bytes.subarray(0, cut));
        expect(STRUCTURAL).toContain(f.code);
        expect(f.exitCode).toBe(2);
      }
    }
  });

  it('every single flipped byte of a small file is caught (checksums, framing, version)', () => {
    for (let i = 0; i < small.length; i++) {
      const bad = small.slice();
      bad[i] ^= i % 2 ? 0x01 : 0x80;
      const f = failure(bad);
      expect([...STRUCTURAL, 'UNSUPPORTED']).toContain(f.code);
      if (i >= 16 && i < small.length - 24) expect(f.message).toMatch(/checksum mismatch|table|padding/);
    }
  });

  it('wrong magic and other files', () => {
    for (const bytes of [new Uint8Array(0), new TextEncoder().encode('{"modelTopology": {}}'), Uint8Array.of(0x50, 0x4b, 3, 4)]) {
      const f = failure(bytes);
      expect(f.code).toBe('BAD_MANIFEST');
      expect(f.message).toMatch(/not a \.mcz file/);
    }
  });

  it('a newer format version', () => {
    const bad = small.slice();
    new DataView(bad.buffer).setUint32(8, 4, true);
    expect(failure(bad)).toMatchObject({ code: 'UNSUPPORTED', message: 'bad.mcz: written by format version 4; this maas-compress reads versions 1 to 3; upgrade', exitCode: 2 });
    // Even when the rest of the file is cut off.
    expect(failure(bad.subarray(0, 16)).code).toBe('UNSUPPORTED');
  });

  it('oversized declared lengths and counts', () => {
    const huge = 2 ** 40;
    const edits: Array<(t: Parameters<Parameters<typeof rewriteTable>[1]>[0]) => void> = [
      (t) => (t.tensors[0].length = huge),
      (t) => (t.tensors[t.tensors.length - 1].length = huge),
      (t) => (t.model.length = huge),
      (t) => (t.padding = huge),
      (t) => (t.tensors[1].offset = huge),
      (t) => (t.model.rawLength = 2 ** 32 - 1),
    ];
    for (const edit of edits) expect(STRUCTURAL).toContain(failure(rewriteTable(small, edit)).code);
    expect(failure(rewriteTable(small, () => {}, { count: 2 ** 31 }))).toMatchObject({ code: 'SIZE_MISMATCH' });
    const bad = small.slice();
    new DataView(bad.buffer).setUint32(bad.length - 24, 2 ** 31, true); // table offset in the footer
    expect(failure(bad).code).toBe('SIZE_MISMATCH');
  });

  it('a near-constant model without its padding is refused before any allocation', async () => {
    const json = { modelTopology: { node: [] }, format: 'graph-model', weightsManifest: [] };
    const { bytes } = await encodeMcz(json, [{ entry: { name: 'z', shape: [1 << 22], dtype: 'float32' as const }, stored: new Uint8Array(4 << 22) }]);
    expect(parseMcz(bytes, 'ok.mcz').tensors[0].decodedBytes).toBe(16 << 20);
    const f = failure(withoutPadding(bytes));
    expect(f).toMatchObject({ code: 'SIZE_MISMATCH', message: expect.stringMatching(/^bad\.mcz: declares more weight bytes than 1048576 \+ 4096 x its \d+ bytes/) });
  });

  it('checksummed but hostile content: huge shapes, bad entries, a deflate bomb', () => {
    const before = process.memoryUsage().arrayBuffers;
    const shapes: Array<[string, (o: { weights: Array<Record<string, unknown>> }) => void]> = [
      ['SIZE_MISMATCH', (o) => (o.weights[0].shape = [2 ** 31 - 1])],
      ['BAD_MANIFEST', (o) => (o.weights[0].shape = [65536, 32768])],
      ['BAD_MANIFEST', (o) => (o.weights[0].shape = [-1])],
      ['BAD_DTYPE', (o) => (o.weights[0].dtype = 'float64')],
      ['BAD_MANIFEST', (o) => (o.weights[1].name = o.weights[0].name)],
      ['SIZE_MISMATCH', (o) => o.weights.pop()],
    ];
    for (const [code, edit] of shapes) expect(failure(withModelSection(small, { edit })).code).toBe(code);
    // 16 MiB of zeros deflate to ~16 KB; declared as 100 bytes, they are never inflated past that.
    const bomb = withModelSection(small, { deflated: deflateSync(new Uint8Array(16 << 20), { level: 1 }), rawLength: 100 });
    expect(failure(bomb)).toMatchObject({ code: 'BAD_MANIFEST', message: expect.stringMatching(/inflates to more than 100 bytes/) });
    expect(failure(withModelSection(small, { deflated: new Uint8Array(300).fill(0xed) })).code).toBe('BAD_MANIFEST');
    expect(failure(withModelSection(small, { rawLength: 3 })).code).toBe('BAD_MANIFEST');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('seeded random damage inside sections, with checksums fixed, never escapes as another error', () => {
    const rand = seededFloats(3000, 42);
    let r = 0;
    for (const bytes of [small, every, pruned]) {
      const sections = boundaries(bytes).length - 7;
      for (let k = 0; k < 300; k++) {
        const which = Math.floor(rand[r++] * (sections + 1));
        const bad = patchSection(bytes, which === sections ? 'model' : which, (s) => {
          const at = Math.floor(rand[r++] * s.length);
          s[at] = Math.floor(rand[r++] * 256);
        });
        survives(bad);
      }
    }
  });
});
