/** The writer: stock layout, atomic replacement, refusals, and nothing left behind on failure. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/load.js';
import { saveModel, shardNames } from '../../src/model/save.js';
import { cli } from '../helpers/cli.js';
import { everyDtype, tempDir, writeModel } from '../helpers/synthetic.js';
import { snapshot } from '../helpers/tree.js';

const json = { modelTopology: { class_name: 'Sequential', config: { layers: [] } }, format: 'layers-model', weightsManifest: [] };

describe('saveModel', () => {
  it('names shards as the converter does', () => {
    expect(shardNames(10, 4)).toEqual(['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin']);
    expect(shardNames(8, 4)).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin']);
    expect(shardNames(0, 4)).toEqual([]);
  });

  it('splits tensors across shards at exactly shardSize bytes', async () => {
    const out = path.join(tempDir(), 'o');
    const bytes = new Uint8Array(10).map((_, i) => i);
    const t = { name: 'w', byteLength: 10, produce: () => ({ entry: { name: 'w', shape: [10], dtype: 'bool' as const }, bytes }) };
    const r = await saveModel(out, json, [t], { shardSize: 4 });
    expect(r.files.map((f) => [f.name, f.bytes])).toEqual([
      ['model.json', readFileSync(path.join(out, 'model.json')).length],
      ['group1-shard1of3.bin', 4],
      ['group1-shard2of3.bin', 4],
      ['group1-shard3of3.bin', 2],
    ]);
    const m = await loadModel(out);
    expect(Array.from(await m.readBytes(m.tensors[0]))).toEqual(Array.from(bytes));
    await m.close();
  });

  it('leaves no output and no temporary files when a tensor fails mid-write', async () => {
    const root = tempDir();
    const out = path.join(root, 'o');
    const ok = { name: 'a', byteLength: 4, produce: () => ({ entry: { name: 'a', shape: [4], dtype: 'bool' as const }, bytes: new Uint8Array(4) }) };
    const bad = {
      name: 'b',
      byteLength: 4,
      produce: () => {
        throw new Error('disk on fire');
      },
    };
    await expect(saveModel(out, json, [ok, bad], { shardSize: 2 })).rejects.toThrow('disk on fire');
    expect(readdirSync(root)).toEqual([]);
  });

  it('keeps the previous output intact when a replacement fails', async () => {
    const root = tempDir();
    const out = path.join(root, 'o');
    mkdirSync(out);
    writeFileSync(path.join(out, 'keep.txt'), 'previous');
    const before = snapshot(root);
    const wrong = { name: 'a', byteLength: 8, produce: () => ({ entry: { name: 'a', shape: [4], dtype: 'bool' as const }, bytes: new Uint8Array(4) }) };
    await expect(saveModel(out, json, [wrong], { force: true })).rejects.toThrow(/expected 8 bytes to write, produced 4/);
    expect(snapshot(root)).toEqual(before);
  });
});

describe('copy refusals', () => {
  const setup = () => {
    const root = tempDir();
    const dir = path.join(root, 'in');
    writeModel(dir, everyDtype());
    return { root, dir };
  };

  it('refuses a non-empty output folder without --force, replaces it with --force', async () => {
    const { root, dir } = setup();
    const out = path.join(root, 'out');
    mkdirSync(out);
    writeFileSync(path.join(out, 'old.txt'), 'x');
    const before = snapshot(root);
    const r = await cli(['copy', dir, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/out: the output folder exists and is not empty; pass --force/);
    expect(snapshot(root)).toEqual(before);
    const f = await cli(['copy', dir, '-o', out, '--force']);
    expect(f.code).toBe(0);
    expect(existsSync(path.join(out, 'old.txt'))).toBe(false);
    expect(existsSync(path.join(out, 'model.json'))).toBe(true);
  });

  it('writes into an existing empty folder', async () => {
    const { root, dir } = setup();
    const out = path.join(root, 'empty');
    mkdirSync(out);
    expect((await cli(['copy', dir, '-o', out])).code).toBe(0);
    expect(existsSync(path.join(out, 'model.json'))).toBe(true);
  });

  it('never overwrites the input, even with --force', async () => {
    const { root, dir } = setup();
    const before = snapshot(root);
    for (const target of [dir, root]) {
      const r = await cli(['copy', dir, '-o', target, '--force']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/refusing to write over the input/);
    }
    expect(snapshot(root)).toEqual(before);
  });

  it('rejects a bad --shard-size before reading anything', async () => {
    const { root, dir } = setup();
    const r = await cli(['copy', dir, '-o', path.join(root, 'o'), '--shard-size', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--shard-size: expected a positive size/);
    expect(existsSync(path.join(root, 'o'))).toBe(false);
  });

  it('accepts --shard-size with units', async () => {
    const { root, dir } = setup();
    const r = await cli(['copy', dir, '-o', path.join(root, 'o'), '--shard-size', '0.1kB', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.files.filter((f: { name: string }) => f.name.endsWith('.bin')).map((f: { bytes: number }) => f.bytes).slice(0, 1)).toEqual([100]);
  });
});
