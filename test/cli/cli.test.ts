/** The CLI surface: config fallback, global options, exit codes. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { everyDtype, tempDir, writeModel } from '../helpers/synthetic.js';

describe('model argument fallback', () => {
  it('uses the config file "model", relative to the config', async () => {
    const root = tempDir();
    writeModel(path.join(root, 'models', 'a'), everyDtype());
    writeFileSync(path.join(root, 'maas-compress.config.json'), JSON.stringify({ model: 'models/a' }));
    const r = await cli(['inspect', '--json'], { cwd: root });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).file).toBe(path.join(root, 'models', 'a', 'model.json'));
  });

  it('uses the "maas-compress" key of package.json', async () => {
    const root = tempDir();
    writeModel(path.join(root, 'm'), everyDtype());
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'x', 'maas-compress': { model: 'm/model.json' } }));
    const r = await cli(['inspect', '--json'], { cwd: root });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).totals.tensors).toBe(everyDtype().length);
  });

  it('falls back to ./model.json', async () => {
    const root = tempDir();
    writeModel(root, everyDtype());
    const r = await cli(['inspect', '--json'], { cwd: root });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).file).toBe(path.join(root, 'model.json'));
  });

  it('says what to do when there is no model', async () => {
    const r = await cli(['inspect'], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no model given: pass a path to model.json, set "model" in maas-compress.config.json/);
  });

  it('rejects unknown config keys and bad values', async () => {
    const root = tempDir();
    writeModel(root, everyDtype());
    const cfg = path.join(root, 'maas-compress.config.json');
    writeFileSync(cfg, JSON.stringify({ modle: 'x' }));
    let r = await cli(['inspect'], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/maas-compress.config.json: unknown key "modle"/);
    writeFileSync(cfg, JSON.stringify({ model: 3 }));
    r = await cli(['inspect'], { cwd: root });
    expect(r.stderr).toMatch(/"model" must be a path/);
    writeFileSync(cfg, '{oops');
    r = await cli(['inspect'], { cwd: root });
    expect(r.stderr).toMatch(/maas-compress.config.json: expected valid JSON/);
  });
});

describe('inspect output', () => {
  it('lists every tensor with encoding, bytes and stats in JSON', async () => {
    const root = tempDir();
    writeModel(root, everyDtype());
    const r = await cli(['inspect', root, '--json']);
    const doc = JSON.parse(r.stdout);
    expect(doc.format).toBe('layers-model');
    const byName = Object.fromEntries(doc.tensors.map((t: any) => [t.name, t]));
    expect(byName.q8).toMatchObject({ dtype: 'float32', encoding: 'uint8 affine', bytes: 16, quantization: { dtype: 'uint8' } });
    expect(byName.h).toMatchObject({ encoding: 'float16', bytes: 16 });
    expect(byName.s).toMatchObject({ dtype: 'string', stats: null, sparsity: null });
    expect(byName.i32.stats).toMatchObject({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    expect(byName.b.sparsity).toBe(0.5);
    expect(doc.totals.tensors).toBe(everyDtype().length);
    expect(doc.totals.bytes).toBe(everyDtype().reduce((n, e) => n + e.bytes.length, 0));
  });

  it('lists every tensor of the graph fixture, its int32 tensor included', async () => {
    const r = await cli(['inspect', 'fixtures/mnist-graph/model.json', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.format).toBe('graph-model');
    expect(doc.tensors.map((t: any) => [t.name, t.dtype])).toEqual([
      ['reshape/shape', 'int32'],
      ['dense1/kernel', 'float32'],
      ['dense1/bias', 'float32'],
      ['dense2/kernel', 'float32'],
      ['dense2/bias', 'float32'],
      ['dense3/kernel', 'float32'],
      ['dense3/bias', 'float32'],
    ]);
    expect(doc.tensors[0].stats).toMatchObject({ min: -1, max: 784 });
    expect(doc.totals).toEqual({ tensors: 7, parameters: 266612, bytes: 1066448 });
  });

  it('prints a table without colour when NO_COLOR is set or with --no-color', async () => {
    const root = tempDir();
    writeModel(root, everyDtype());
    for (const [args, env] of [
      [['inspect', root], { NO_COLOR: '1' }],
      [['inspect', root, '--no-color'], {}],
    ] as const) {
      const r = await cli([...args], { env, tty: true });
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/\x1b\[/);
      expect(r.stdout).toMatch(/q8\s+\[4,4\]\s+float32\s+uint8 affine/);
    }
    const coloured = await cli(['inspect', root], { tty: true });
    expect(coloured.stdout).toMatch(/\x1b\[/);
  });

  it('--quiet keeps only the result line', async () => {
    const root = tempDir();
    writeModel(root, everyDtype());
    const r = await cli(['inspect', root, '-q']);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/^11 tensors, /);
  });

  it('prints the version and help with exit 0', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    const v = await cli(['-V']);
    expect(v).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    const h = await cli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/inspect \[options\] \[model\]|inspect \[model\]/);
  });
});
