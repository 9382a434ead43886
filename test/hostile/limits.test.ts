/**
 * The documented limits, at and past their edges (docs/safety.md): model.json at most
 * 256 MiB and nested at most 512 levels; at most 2^31 - 1 elements per tensor and per dim;
 * and what a hostile file may cost: sizes are checked against the bytes present before
 * anything is allocated, so a few bytes that declare gigabytes allocate nothing of the kind.
 */
import { readdirSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/load.js';
import { MAX_MODEL_JSON_BYTES } from '../../src/model/manifest.js';
import { MAX_JSON_DEPTH } from '../../src/model/manifest.js';
import { cli } from '../helpers/cli.js';
import { tempDir, writeModel } from '../helpers/synthetic.js';
import { editJson, entry, expectRefusal, freshModel, patchWeights } from './helpers.js';

/** `depth` levels of nested lists. */
const nested = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);

describe('limits', () => {
  it(`model.json over ${MAX_MODEL_JSON_BYTES} bytes is refused before it is read`, async () => {
    const { root, dir, file } = freshModel('synthetic');
    truncateSync(file, MAX_MODEL_JSON_BYTES + 1); // sparse: no disk, and no time to hash
    const before = process.memoryUsage().arrayBuffers;
    const r = await cli(['copy', dir, '-o', path.join(root, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/model\.json: expected at most 268435456 bytes of JSON, found 268435457\n$/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
    expect(statSync(file).size).toBe(MAX_MODEL_JSON_BYTES + 1);
    expect(readdirSync(root)).toEqual(['model']);
  });

  it(`nesting: ${MAX_JSON_DEPTH} levels are read and written, one more is refused`, async () => {
    // model.json itself is level 1 and modelTopology level 2.
    const ok = freshModel('synthetic');
    editJson((j) => (j.modelTopology.config.deep = nested(MAX_JSON_DEPTH - 3)))(ok.dir, ok.file);
    for (const argv of [['copy', ok.dir, '-o', path.join(ok.root, 'out')], ['pack', ok.dir, '-o', path.join(ok.root, 'out.mcz')], ['unpack', path.join(ok.root, 'out.mcz'), '-o', path.join(ok.root, 'back')]]) {
      const r = await cli(argv);
      expect(r.code, r.stderr).toBe(0);
    }
    const bad = freshModel('synthetic');
    editJson((j) => (j.userDefinedMetadata = { deep: nested(MAX_JSON_DEPTH - 1) }))(bad.dir, bad.file);
    await expectRefusal(bad.root, ['inspect', bad.dir], 'BAD_MANIFEST', /model\.json: expected JSON nested at most 512 levels deep/);
  });

  it('2^31 - 1 elements (and dims) are accepted where the bytes are there; one more is refused', async () => {
    const { root, dir, file } = freshModel('synthetic');
    editJson((j) => (entry(j, 'empty').shape = [0, 2 ** 31 - 1, 2 ** 31 - 1]))(dir, file);
    const m = await loadModel(dir);
    expect(m.tensors.find((t) => t.name === 'empty')?.count).toBe(0);
    await m.close();
    editJson((j) => (entry(j, 'empty').shape = [0, 2 ** 31]))(dir, file);
    await expectRefusal(root, ['inspect', dir], 'BAD_MANIFEST', /tensor "empty": shape \[0,2147483648\] has a dim larger than 2147483647/);
  });

  it('a model of only empty tensors, without shard files, is read, copied, packed and unpacked into models that load', async () => {
    const root = tempDir('mc-hostile-');
    const dir = path.join(root, 'm');
    writeModel(dir, [{ entry: { name: 'e', shape: [0, 4], dtype: 'float32' }, bytes: new Uint8Array(0) }], { editGroup: (g) => (g.paths = []) });
    for (const argv of [['copy', dir, '-o', path.join(root, 'copy')], ['pack', dir, '-o', path.join(root, 'm.mcz')], ['unpack', path.join(root, 'm.mcz'), '-o', path.join(root, 'back')]]) {
      expect((await cli(argv)).code).toBe(0);
    }
    for (const out of ['copy', 'back']) {
      const m = await loadModel(path.join(root, out));
      expect(m.tensors.map((t) => [t.name, t.count])).toEqual([['e', 0]]);
      await m.close();
    }
  });

  it('declared sizes far beyond the file allocate nothing of the kind', async () => {
    const cases: Array<[string, (dir: string, file: string) => void, RegExp]> = [
      ['8 GiB of float32 over 371 bytes', editJson((j) => (entry(j, 'f32').shape = [2 ** 31 - 1])), /tensor "f32": expected bytes 0\.\.8589934588/],
      ['a 4 GiB string', (d, f) => patchWeights(d, f, 264, Uint8Array.of(0xff, 0xff, 0xff, 0xfe)), /tensor "s": string 1 of 3 starts past the end/],
      ['2^31 - 1 strings', editJson((j) => (entry(j, 's').shape = [2 ** 31 - 1])), /tensor "s": string \d+ of 2147483647 starts past the end/],
    ];
    for (const [name, edit, message] of cases) {
      const { root, dir, file } = freshModel('synthetic');
      edit(dir, file);
      const before = process.memoryUsage().arrayBuffers;
      await expectRefusal(root, ['inspect', dir], 'SIZE_MISMATCH', message);
      expect(process.memoryUsage().arrayBuffers - before, name).toBeLessThan(16 << 20);
    }
  });
});
