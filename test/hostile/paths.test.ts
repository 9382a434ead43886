/**
 * Paths on both sides: inputs reached through symlinks (allowed when they stay inside the
 * model's folder), and outputs, which are written at the path given and nowhere else: a
 * symlink there is replaced (with --force), never written through; an input file is never
 * the output; a failed run removes the folders it created. Refusals are checked as in the
 * rest of the suite (exit 2, one line, nothing written).
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/load.js';
import { cli } from '../helpers/cli.js';
import { tempDir, writeModel } from '../helpers/synthetic.js';
import { snapshot } from '../helpers/tree.js';
import { DIGITS, editJson, expectRefusal, freshModel, patchWeights } from './helpers.js';

describe('inputs through symlinks', () => {
  it('a model folder reached through a symlink loads, and its shards stay inside its real folder', async () => {
    const { root, dir } = freshModel('synthetic');
    symlinkSync(dir, path.join(root, 'link'));
    const before = snapshot(dir);
    expect((await cli(['inspect', path.join(root, 'link')])).code).toBe(0);
    expect((await cli(['copy', path.join(root, 'link'), '-o', path.join(root, 'out')])).code).toBe(0);
    expect(snapshot(dir)).toEqual(before);
  });

  it('a shard whose name starts with two dots is inside the folder', async () => {
    const { dir, file } = freshModel('synthetic');
    renameSync(path.join(dir, 'group1-shard1of3.bin'), path.join(dir, '..shard1.bin'));
    editJson((j) => (j.weightsManifest[0].paths[0] = '..shard1.bin'))(dir, file);
    expect((await cli(['inspect', dir])).code).toBe(0);
  });

  it('a symlink inside the folder to another file inside it is followed', async () => {
    const { dir, file } = freshModel('synthetic');
    renameSync(path.join(dir, 'group1-shard2of3.bin'), path.join(dir, 'real2.bin'));
    symlinkSync('real2.bin', path.join(dir, 'group1-shard2of3.bin'));
    expect((await cli(['copy', file, '-o', path.join(dir, '..', 'out')])).code).toBe(0);
  });

  it('a model of 600 shards is read with a bounded number of open files', async () => {
    const fds = '/proc/self/fd';
    if (!existsSync(fds)) return; // Linux only: nothing to count elsewhere.
    const root = tempDir('mc-hostile-');
    const bytes = new Uint8Array(600 * 8).map((_, i) => i);
    writeModel(path.join(root, 'm'), [{ entry: { name: 'w', shape: [600 * 8], dtype: 'bool' }, bytes: bytes.map((b) => b & 1) }], { shardSize: 8 });
    const baseline = readdirSync(fds).length;
    const m = await loadModel(path.join(root, 'm'));
    let peak = 0;
    for (let i = 0; i < 3; i++) {
      await m.readValues(m.tensors[0]);
      peak = Math.max(peak, readdirSync(fds).length);
    }
    await m.close();
    expect(peak - baseline).toBeLessThanOrEqual(16 + 2);
  });
});

describe('outputs: written at the path given, never through it, never over an input', () => {
  it('-o naming a symlink to a folder: refused without --force; with --force the link is replaced and its folder untouched', async () => {
    const { root, dir } = freshModel('synthetic');
    const elsewhere = tempDir('mc-elsewhere-');
    writeFileSync(path.join(elsewhere, 'keep.txt'), 'keep');
    const kept = snapshot(elsewhere);
    symlinkSync(elsewhere, path.join(root, 'out'));
    await expectRefusal(root, ['copy', dir, '-o', path.join(root, 'out')], 'OUTPUT_EXISTS', /out: is a symbolic link; pass --force to replace the link itself/);
    expect((await cli(['copy', dir, '-o', path.join(root, 'out'), '--force'])).code).toBe(0);
    expect(lstatSync(path.join(root, 'out')).isDirectory()).toBe(true);
    expect(existsSync(path.join(root, 'out', 'model.json'))).toBe(true);
    expect(snapshot(elsewhere)).toEqual(kept);
  });

  it('-o naming a dangling symlink: refused without --force, replaced with it', async () => {
    const { root, dir } = freshModel('synthetic');
    symlinkSync(path.join(root, 'nowhere'), path.join(root, 'out.mcz'));
    await expectRefusal(root, ['pack', dir, '-o', path.join(root, 'out.mcz')], 'OUTPUT_EXISTS', /out\.mcz: is a symbolic link/);
    expect((await cli(['pack', dir, '-o', path.join(root, 'out.mcz'), '--force'])).code).toBe(0);
    expect(lstatSync(path.join(root, 'out.mcz')).isFile()).toBe(true);
    expect(existsSync(path.join(root, 'nowhere'))).toBe(false);
  });

  it('an input shard is never the output, even with --force, named directly or through a symlink', async () => {
    const { root, dir, file } = freshModel('synthetic');
    renameSync(path.join(dir, 'group1-shard1of3.bin'), path.join(dir, 'w.mcz'));
    editJson((j) => (j.weightsManifest[0].paths[0] = 'w.mcz'))(dir, file);
    symlinkSync(path.join(dir, 'w.mcz'), path.join(root, 'alias.mcz'));
    for (const out of [path.join(dir, 'w.mcz'), path.join(root, 'alias.mcz')]) {
      await expectRefusal(root, ['pack', dir, '-o', out, '--force'], 'OUTPUT_EXISTS', /refusing to write over the input .*w\.mcz; choose another output path/);
    }
  });

  it('report -o never replaces a model it reads', async () => {
    const { root, dir, file } = freshModel('digits');
    await expectRefusal(root, ['report', dir, '--samples', '2', '--backend', 'cpu', '--format', 'markdown', '-o', file], 'OUTPUT_EXISTS', /model\.json: refusing to write over the input .*model\.json/);
    await expectRefusal(root, ['report', DIGITS, dir, '--samples', '2', '--backend', 'cpu', '-o', path.join(dir, 'group1-shard1of1.bin')], 'OUTPUT_EXISTS', /group1-shard1of1\.bin: refusing to write over the input/);
  });

  it('-o below a file: one IO error, nothing written', async () => {
    const { root, dir } = freshModel('synthetic');
    writeFileSync(path.join(root, 'afile'), 'x');
    await expectRefusal(root, ['copy', dir, '-o', path.join(root, 'afile', 'out')], 'IO', /afile\/out: a file stands where a folder is needed \(EEXIST at .*afile\) while writing the output; nothing was written/);
    await expectRefusal(root, ['pack', dir, '-o', path.join(root, 'afile', 'out.mcz')], 'IO', /afile\/out\.mcz: a file stands where a folder is needed/);
  });

  it('a run that fails mid-write removes the parent folders it created', async () => {
    const { root, dir, file } = freshModel('synthetic');
    patchWeights(dir, file, 0, Uint8Array.from(Buffer.from(new Float32Array([NaN]).buffer)));
    await expectRefusal(root, ['quantize', dir, '--dtype', 'float16', '--min-elements', '0', '-o', path.join(root, 'new', 'deeper', 'out')], 'BAD_VALUE', /tensor "f32": expected finite values/);
    await expectRefusal(root, ['compress', dir, '--quantize', 'int8', '--min-elements', '0', '-o', path.join(root, 'new', 'deeper', 'out.mcz')], 'BAD_VALUE', /tensor "f32": expected finite values/);
  });

  it('a successful run adds the output and nothing else anywhere in its folder', async () => {
    const { root, dir } = freshModel('synthetic');
    mkdirSync(path.join(root, 'sibling'));
    const before = snapshot(root);
    expect((await cli(['copy', dir, '-o', path.join(root, 'a', 'out')])).code).toBe(0);
    expect((await cli(['pack', dir, '-o', path.join(root, 'b.mcz')])).code).toBe(0);
    const after = snapshot(root);
    const added = Object.keys(after).filter((k) => !(k in before));
    expect(added.every((k) => k === 'a' || k.startsWith(`a${path.sep}out`) || k === 'b.mcz')).toBe(true);
    for (const k of Object.keys(before)) expect(after[k], k).toBe(before[k]);
  });
});
