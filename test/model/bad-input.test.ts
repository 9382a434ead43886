/**
 * Every bad input of the foundation gives a one-line error naming the file or tensor,
 * exit code 2, writes nothing, and leaves the input as it was.
 */
import { appendFileSync, existsSync, readFileSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { everyDtype, tempDir, writeModel } from '../helpers/synthetic.js';
import { snapshot } from '../helpers/tree.js';

type Edit = (dir: string, file: string) => void;

const editJson = (f: (j: any) => void): Edit => (_dir, file) => {
  const j = JSON.parse(readFileSync(file, 'utf8'));
  f(j);
  writeFileSync(file, JSON.stringify(j));
};
const entry = (j: any, name: string) => j.weightsManifest[0].weights.find((w: any) => w.name === name);

/** name, how to break a valid model, a fragment the message must contain. */
const CASES: [string, Edit, RegExp][] = [
  ['malformed JSON', (_d, f) => writeFileSync(f, '{"modelTopology": {'), /model\.json: expected valid JSON/],
  ['top level not an object', (_d, f) => writeFileSync(f, '42'), /expected a JSON object \(a model\.json\) or a list of weight groups/],
  ['missing modelTopology', editJson((j) => delete j.modelTopology), /"modelTopology"/],
  ['missing weightsManifest', editJson((j) => delete j.weightsManifest), /"weightsManifest"/],
  ['unknown format', editJson((j) => (j.format = 'keras')), /"format"/],
  ['entry without name', editJson((j) => delete j.weightsManifest[0].weights[0].name), /weights\[0\].*"name"/],
  ['entry without shape', editJson((j) => delete entry(j, 'i32').shape), /tensor "i32".*"shape"/],
  ['unknown dtype', editJson((j) => (entry(j, 'i32').dtype = 'int64')), /tensor "i32": expected dtype .* found "int64"/],
  ['unknown quantization dtype', editJson((j) => (entry(j, 'q8').quantization.dtype = 'int4')), /tensor "q8": expected quantization dtype/],
  ['affine without scale', editJson((j) => delete entry(j, 'q8').quantization.scale), /tensor "q8".*"scale"/],
  ['float16 on int32', editJson((j) => (entry(j, 'i32').quantization = { dtype: 'float16' })), /tensor "i32": float16 quantization needs dtype float32/],
  ['negative dim', editJson((j) => (entry(j, 'f32').shape = [-3, 20])), /tensor "f32".*non-negative integers/],
  ['fractional dim', editJson((j) => (entry(j, 'f32').shape = [1.5, 20])), /tensor "f32".*non-negative integers/],
  ['shape product overflow', editJson((j) => (entry(j, 'f32').shape = [2 ** 20, 2 ** 20, 2 ** 20])), /tensor "f32".*more than/],
  ['shape larger than the shards', editJson((j) => (entry(j, 'f32').shape = [4, 20])), /account for|tensor "/],
  ['shape smaller than the shards', editJson((j) => (entry(j, 'scalar').shape = [0])), /account for \d+ bytes, the shards hold \d+/],
  ['missing shard', (d) => unlinkSync(path.join(d, 'group1-shard2of3.bin')), /group1-shard2of3\.bin: expected the weights shard/],
  ['truncated shard', (d) => truncateSync(path.join(d, 'group1-shard3of3.bin'), 10), /expected bytes|account for/],
  ['extra bytes in a shard', (d) => appendFileSync(path.join(d, 'group1-shard3of3.bin'), 'xx'), /account for \d+ bytes, the shards hold \d+/],
  ['absolute shard path', editJson((j) => (j.weightsManifest[0].paths[0] = '/etc/passwd')), /expected a path relative to the model's folder, found "\/etc\/passwd"/],
  ['.. in a shard path', editJson((j) => (j.weightsManifest[0].paths[0] = '../outside.bin')), /found "\.\.\/outside\.bin"/],
  ['URL shard path', editJson((j) => (j.weightsManifest[0].paths[0] = 'https://example.com/w.bin')), /found "https:\/\/example\.com\/w\.bin"/],
  ['shard listed twice', editJson((j) => (j.weightsManifest[0].paths[1] = j.weightsManifest[0].paths[0])), /listed twice/],
  ['duplicate tensor name', editJson((j) => (entry(j, 'i32').name = 'f32')), /tensor "f32" is listed twice/],
  [
    'symlinked shard leaving the folder',
    (d) => {
      const outside = path.join(tempDir(), 'secret.bin');
      writeFileSync(outside, readFileSync(path.join(d, 'group1-shard1of3.bin')));
      unlinkSync(path.join(d, 'group1-shard1of3.bin'));
      symlinkSync(outside, path.join(d, 'group1-shard1of3.bin'));
    },
    /expected a file inside the model's folder/,
  ],
];

describe('bad inputs: one-line error, exit 2, nothing written, input untouched', () => {
  for (const [name, edit, message] of CASES) {
    for (const command of ['inspect', 'copy']) {
      it(`${name} (${command})`, async () => {
        const root = tempDir();
        const dir = path.join(root, 'model');
        const file = writeModel(dir, everyDtype(), { shardSize: 150 });
        expect(existsSync(path.join(dir, 'group1-shard3of3.bin'))).toBe(true);
        edit(dir, file);
        const before = snapshot(root);
        const out = path.join(root, 'out');
        const r = await cli(command === 'copy' ? ['copy', dir, '-o', out] : ['inspect', dir]);
        expect(r.code).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(/^maas-compress: error: /);
        expect(r.stderr).toMatch(message);
        expect(snapshot(root)).toEqual(before);
      });
    }
  }

  it('--json reports the error as JSON too', async () => {
    const r = await cli(['inspect', path.join(tempDir(), 'nothing-here'), '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'MISSING_FILE', message: expect.stringContaining('nothing-here') } });
  });

  it('bad usage exits 2 with one line', async () => {
    const r = await cli(['inspect', '--frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(["maas-compress: error: unknown option '--frobnicate'"]);
  });
});
