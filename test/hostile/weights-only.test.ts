/**
 * Hostile weights-only manifests (bare lists of groups) through every command that reads
 * a model but report (which a weights-only model only gives sizes), and hostile
 * weights-only .mcz files through unpack: each refused with exit 2, one stderr line
 * naming the file, nothing written and the input unchanged (helpers.ts).
 */
import { appendFileSync, readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { McErrorCode } from '../../src/errors.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/synthetic.js';
import { FACE_DIR } from '../helpers/weights-only.js';
import { writeWeightsOnly } from '../helpers/weights-only.js';
import { withModelSection } from '../mcz/helpers.js';
import { MODEL_COMMANDS, argvFor, expectRefusal, expectSuccess } from './helpers.js';

const MANIFEST = 'mixed_model-weights_manifest.json';
type Groups = Array<{ paths: unknown; weights: Array<Record<string, unknown>> }>;

/** Rewrite the manifest: `f` edits the parsed list, or gives the text outright. */
const edit = (f: (g: Groups) => unknown) => (dir: string): void => {
  const file = path.join(dir, MANIFEST);
  const r = f(JSON.parse(readFileSync(file, 'utf8')) as Groups);
  writeFileSync(file, typeof r === 'string' ? r : JSON.stringify(r));
};

interface Case {
  name: string;
  edit: (dir: string) => void;
  code: McErrorCode;
  message: RegExp;
}

const CASES: Case[] = [
  { name: 'invalid JSON', edit: edit(() => '[{"paths": ["mixed_model-shard1"], "weights": ['), code: 'BAD_JSON', message: /mixed_model-weights_manifest\.json: expected valid JSON/ },
  { name: 'a string at the top level', edit: edit(() => '"weights"'), code: 'BAD_MANIFEST', message: /weights_manifest\.json: expected a JSON object \(a model\.json\) or a list of weight groups \(a weights manifest\) at the top level, found "weights"/ },
  { name: 'a list of numbers', edit: edit(() => [1, 2]), code: 'BAD_MANIFEST', message: /weights_manifest\.json: \[0\]: expected an object with "paths" and "weights"/ },
  { name: 'a group without paths', edit: edit((g) => (delete g[1].paths, g)), code: 'BAD_MANIFEST', message: /weights_manifest\.json: \[1\]: expected "paths" to be a list of strings, found nothing/ },
  { name: 'paths that are not strings', edit: edit((g) => ((g[0].paths = [7]), g)), code: 'BAD_MANIFEST', message: /weights_manifest\.json: \[0\]: expected "paths" to be a list of strings, found a list/ },
  { name: 'weights that are not a list', edit: edit((g) => ((g[0].weights = {} as never), g)), code: 'BAD_MANIFEST', message: /weights_manifest\.json: \[0\]: expected "weights" to be a list, found an object/ },
  { name: 'an entry without a shape', edit: edit((g) => (delete g[1].weights[0].shape, g)), code: 'BAD_MANIFEST', message: /tensor "fc\/weights": expected "shape" to be a list of dims, found nothing/ },
  { name: 'an unknown dtype', edit: edit((g) => ((g[1].weights[2].dtype = 'int64'), g)), code: 'BAD_DTYPE', message: /tensor "fc\/steps": expected dtype float32, int32, bool, string or complex64, found "int64"/ },
  { name: 'uint8 quantization without a scale', edit: edit((g) => (delete (g[0].weights[0].quantization as Record<string, unknown>).scale, g)), code: 'BAD_MANIFEST', message: /tensor "conv0\/filters": uint8 quantization needs a finite "scale", found nothing/ },
  { name: 'a name listed in two groups', edit: edit((g) => ((g[1].weights[0].name = 'conv0/bias'), g)), code: 'BAD_MANIFEST', message: /weights_manifest\.json: tensor "conv0\/bias" is listed twice in the manifest/ },
  { name: 'one shard listed by two groups', edit: edit((g) => ((g[1].paths = ['./mixed_model-shard1']), g)), code: 'BAD_MANIFEST', message: /\[1\]\.paths: shard "\.\/mixed_model-shard1" is listed twice/ },
  { name: 'a shard path leaving the folder', edit: edit((g) => ((g[0].paths = ['../mixed_model-shard1']), g)), code: 'BAD_PATH', message: /weights_manifest\.json: \[0\]\.paths: expected a path relative to the model's folder, found "\.\.\/mixed_model-shard1"/ },
  { name: 'a missing shard', edit: (d) => unlinkSync(path.join(d, 'mixed_model-shard2')), code: 'MISSING_FILE', message: /mixed_model-shard2: expected the weights shard named in the manifest, found no such file/ },
  { name: 'a shard shorter than its shapes say', edit: (d) => truncateSync(path.join(d, 'mixed_model-shard2'), 100), code: 'SIZE_MISMATCH', message: /tensor "fc\/weights": expected bytes 0\.\.2048 of .*mixed_model-shard2, but the shards hold only 100 bytes/ },
  { name: 'a shard longer than its shapes say', edit: (d) => appendFileSync(path.join(d, 'mixed_model-shard1'), 'xx'), code: 'SIZE_MISMATCH', message: /mixed_model-shard1: the manifest's shapes and dtypes account for 296 bytes, the shards hold 298/ },
];

describe('hostile weights-only manifests, through every command', () => {
  const commands = MODEL_COMMANDS.filter((c) => c !== 'report');
  for (const c of CASES) {
    for (const command of commands) {
      it(`${c.name}: ${command} refuses (${c.code})`, async () => {
        const root = tempDir('mc-hostile-');
        const dir = path.join(root, 'model');
        writeWeightsOnly(dir);
        c.edit(dir);
        await expectRefusal(root, argvFor(command, dir, path.join(root, 'out')), c.code, c.message);
      });
    }
  }

  for (const command of commands) {
    it(`the unbroken manifest: ${command} succeeds (the cases above fail for their damage alone)`, async () => {
      const root = tempDir('mc-hostile-');
      const dir = path.join(root, 'model');
      writeWeightsOnly(dir);
      await expectSuccess(dir, argvFor(command, dir, path.join(root, 'out')));
    });
  }
});

type Section = Parameters<NonNullable<Parameters<typeof withModelSection>[1]['edit']>>[0];

/** Hostile weights-only model sections (checksums recomputed: only the content is hostile), and version mismatches. */
const MCZ_CASES: Array<{ name: string; make: (v: { face: Uint8Array; digits: Uint8Array }) => Uint8Array; code: McErrorCode; message: RegExp }> = [
  ...['../evil-weights_manifest.json', 'sub/x-weights_manifest.json', 'C:x.json', '.hidden.json', 'x-weights_manifest.bin', '', 7].map((name) => ({
    name: `manifestFile ${JSON.stringify(name)}`,
    make: (v: { face: Uint8Array }) => withModelSection(v.face, { edit: (o: Section) => (o.model.manifestFile = name) }),
    code: 'BAD_MANIFEST' as const,
    message: /model\.mcz: model section: expected "manifestFile" to be a plain file name ending in \.json, found /,
  })),
  { name: 'no manifestFile', make: (v) => withModelSection(v.face, { edit: (o) => delete o.model.manifestFile }), code: 'BAD_MANIFEST', message: /model\.mcz: model section: expected "manifestFile" to be a plain file name ending in \.json, found nothing/ },
  { name: 'a topology in a weights-only model', make: (v) => withModelSection(v.face, { edit: (o) => (o.model.modelTopology = { node: [] }) }), code: 'BAD_MANIFEST', message: /model\.mcz: model section: a weights-only model holds only "format", "manifestFile" and "userDefinedMetadata", found "modelTopology"/ },
  { name: 'a bad record', make: (v) => withModelSection(v.face, { edit: (o) => (o.model.userDefinedMetadata = { 'maas-compress': 3 }) }), code: 'BAD_MANIFEST', message: /model\.mcz: model section: expected userDefinedMetadata\["maas-compress"\] to be the record/ },
  { name: 'a weights-only model in a version 1 file', make: (v) => Object.assign(v.face.slice(), { 8: 1 }), code: 'BAD_MANIFEST', message: /model\.mcz: model section: a weights-only model in a format version 1 file, which holds no weights-only model \(corrupt header\)/ },
  { name: 'a model with a topology in a version 2 file', make: (v) => Object.assign(v.digits.slice(), { 8: 2 }), code: 'BAD_MANIFEST', message: /model\.mcz: model section: a model with a topology in a format version 2 file, which holds only weights-only models \(corrupt header\)/ },
];

describe('hostile weights-only .mcz files, through unpack', () => {
  const valid = {} as { face: Uint8Array; digits: Uint8Array };
  beforeAll(async () => {
    const root = tempDir('mc-hostile-');
    for (const [k, src] of [['face', FACE_DIR], ['digits', 'fixtures/digits-cnn']] as const) {
      const r = await cli(['pack', src, '-o', path.join(root, `${k}.mcz`)]);
      expect(r.code, r.stderr).toBe(0);
      valid[k] = new Uint8Array(readFileSync(path.join(root, `${k}.mcz`)));
    }
  });

  for (const c of MCZ_CASES) {
    it(`${c.name}: unpack refuses (${c.code})`, async () => {
      const root = tempDir('mc-hostile-');
      const file = path.join(root, 'model.mcz');
      writeFileSync(file, c.make(valid));
      await expectRefusal(root, ['unpack', file, '-o', path.join(root, 'out')], c.code, c.message);
    });
  }
});
