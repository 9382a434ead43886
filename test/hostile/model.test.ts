/**
 * Hostile model.json files and shards, generated from tables, through every command that
 * reads a model (inspect, copy, quantize, prune, pack, compress, report): each case has a
 * defined outcome per command, checked with the suite's refusal and success checks
 * (helpers.ts). The plain schema errors of test/model/bad-input.test.ts (inspect and copy)
 * are not repeated; this suite adds the other commands and the path, size and value cases
 * of docs/safety.md.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, symlinkSync, truncateSync, appendFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'vitest';
import { MODEL_COMMANDS, type ModelCommand, type Outcome, argvFor, editJson, entry, expectOutcome, freshModel, patchWeights, refused } from './helpers.js';

type Edit = (dir: string, file: string) => void;

/** A hostile input: the model it starts from, how it is broken, and what each command must do. */
interface Case {
  name: string;
  base: 'synthetic' | 'digits';
  edit: Edit;
  /** The outcome of every command not in `per`. */
  all: Outcome;
  per?: Partial<Record<ModelCommand, Outcome | 'skip'>>;
}

const SHARD1 = 'group1-shard1of3.bin';
const outside = (): string => mkdtempSync(path.join(tmpdir(), 'mc-outside-'));
const bad = (name: string, edit: Edit, outcome: Outcome, per?: Case['per']): Case => ({ name, base: 'synthetic', edit, all: outcome, per });

// Paths: every form that could leave the folder, in the manifest and on the file system.
const BAD_PATHS = ['/etc/passwd', 'C:\\Windows\\w.bin', 'c:w.bin', '\\\\server\\share\\w.bin', '../outside.bin', 'a/../../outside.bin', 'a\\..\\..\\outside.bin', 'file:///etc/passwd', 'https://example.com/w.bin', 'data:application/octet-stream;base64,AAAA', 'w.bin\u0000', ''];
const PATHS: Case[] = [
  ...BAD_PATHS.map((p) => bad(`shard path ${JSON.stringify(p)}`, editJson((j) => (j.weightsManifest[0].paths[0] = p)), refused('BAD_PATH', /model\.json: weightsManifest\[0\]\.paths: expected a path relative to the model's folder, found "/))),
  bad('a shard symlinked to a file outside', (d) => {
    const o = path.join(outside(), 'secret.bin');
    renameSync(path.join(d, SHARD1), o);
    symlinkSync(o, path.join(d, SHARD1));
  }, refused('BAD_PATH', /group1-shard1of3\.bin: expected a file inside the model's folder, but it resolves to /)),
  bad('a shard reached through a symlinked folder', (d, f) => {
    const o = outside();
    renameSync(path.join(d, SHARD1), path.join(o, SHARD1));
    symlinkSync(o, path.join(d, 'sub'));
    editJson((j) => (j.weightsManifest[0].paths[0] = `sub/${SHARD1}`))(d, f);
  }, refused('BAD_PATH', /sub\/group1-shard1of3\.bin: expected a file inside the model's folder/)),
  bad('a shard symlinked to /dev/zero', (d) => {
    unlinkSync(path.join(d, SHARD1));
    symlinkSync('/dev/zero', path.join(d, SHARD1));
  }, refused('BAD_PATH', /group1-shard1of3\.bin: expected a file inside the model's folder, but it resolves to \/dev\/zero/)),
  bad('a shard in a symlink loop', (d) => {
    unlinkSync(path.join(d, SHARD1));
    symlinkSync('loop-b', path.join(d, SHARD1));
    symlinkSync(SHARD1, path.join(d, 'loop-b'));
  }, refused('IO', /group1-shard1of3\.bin: too many levels of symbolic links \(ELOOP/)),
  bad('a shard that is a folder', (d) => {
    unlinkSync(path.join(d, SHARD1));
    mkdirSync(path.join(d, SHARD1));
  }, refused('MISSING_FILE', /group1-shard1of3\.bin: expected a regular file/)),
  bad('a shard that is a FIFO (would block a reader)', (d) => {
    unlinkSync(path.join(d, SHARD1));
    execFileSync('mkfifo', [path.join(d, SHARD1)]);
  }, refused('MISSING_FILE', /group1-shard1of3\.bin: expected a regular file/)),
  bad('a shard listed twice under two spellings', editJson((j) => (j.weightsManifest[0].paths[1] = `./${SHARD1}`)), refused('BAD_MANIFEST', /paths: shard "\.\/group1-shard1of3\.bin" is listed twice/)),
  bad('a shard listed twice in two groups', editJson((j) => j.weightsManifest.push({ paths: [SHARD1], weights: [] })), refused('BAD_MANIFEST', /weightsManifest\[1\]\.paths: shard "group1-shard1of3\.bin" is listed twice/)),
  bad('a shard listed again through a symlink beside it', (d, f) => {
    symlinkSync(SHARD1, path.join(d, 'alias.bin'));
    editJson((j) => (j.weightsManifest[0].paths[1] = 'alias.bin'))(d, f);
  }, refused('BAD_MANIFEST', /alias\.bin: the shard .*group1-shard1of3\.bin is listed again under this name/)),
];

// Sizes: shapes, counts and lengths that overflow, lie, or exceed the bytes present.
const SHAPES: Array<[unknown, RegExp]> = [
  [[-3, 20], /tensor "f32": expected shape dims to be non-negative integers/],
  [[1.5, 40], /tensor "f32": expected shape dims to be non-negative integers/],
  [['3', 20], /tensor "f32": expected shape dims to be non-negative integers/],
  [[[3], 20], /tensor "f32": expected shape dims to be non-negative integers/],
  [7, /tensor "f32": expected "shape" to be a list of dims, found number 7/],
  [[0, 2 ** 31], /tensor "f32": shape \[0,2147483648\] has a dim larger than 2147483647/],
  [[0, 1e308], /tensor "f32": shape \[0,1e\+308\] has a dim larger than 2147483647/],
  [[2 ** 16, 2 ** 16], /tensor "f32": shape \[65536,65536\] has more than 2147483647 elements/],
  [[0.5, 2 ** 16, 2 ** 16], /tensor "f32": expected shape dims to be non-negative integers/],
  [[2 ** 31 - 1], /tensor "f32": expected bytes 0\.\.8589934588 of 3 shards starting .*, but the shards hold only \d+ bytes/],
];
const SIZES: Case[] = [
  ...SHAPES.map(([shape, message]) => bad(`shape ${JSON.stringify(shape)}`, editJson((j) => (entry(j, 'f32').shape = shape)), refused(SIZE_OR_MANIFEST(message), message))),
  bad('a bool tensor of 2^31 - 1 elements over 4 bytes', editJson((j) => (entry(j, 'b').shape = [2 ** 31 - 1])), refused('SIZE_MISMATCH', /tensor "b": expected bytes 260\.\.2147483907/)),
  bad('a truncated shard', (d) => truncateSync(path.join(d, 'group1-shard3of3.bin'), 10), refused('SIZE_MISMATCH', /tensor "\w+": expected bytes \d+\.\.\d+ of 3 shards/)),
  bad('a shard longer than declared', (d) => appendFileSync(path.join(d, 'group1-shard3of3.bin'), 'xx'), refused('SIZE_MISMATCH', /3 shards starting .*group1-shard1of3\.bin: the manifest's shapes and dtypes account for (\d+) bytes, the shards hold (?!\1)\d+/)),
  bad('a string length prefix of 2^32 - 1', (d, f) => patchWeights(d, f, 264, Uint8Array.of(255, 255, 255, 255)), refused('SIZE_MISMATCH', /tensor "s": string 1 of 3 starts past the end of 3 shards/)),
  bad('more strings declared than present', editJson((j) => (entry(j, 's').shape = [40])), refused('SIZE_MISMATCH', /tensor "s": string \d+ of 40 starts past the end/)),
  bad('JSON nested 600 levels deep', editJson((j) => (j.modelTopology.config.deep = JSON.parse(`${'['.repeat(600)}${']'.repeat(600)}`))), refused('BAD_MANIFEST', /model\.json: expected JSON nested at most 512 levels deep/)),
  bad('an infinite quantization scale (1e999)', (_d, f) => writeFileSync(f, readFileSync(f, 'utf8').replace('"scale":0.0123', '"scale":1e999')), refused('BAD_MANIFEST', /tensor "q8": uint8 quantization needs a finite "scale", found number Infinity/)),
  bad('model.json that is binary', (_d, f) => writeFileSync(f, Uint8Array.of(0x89, 0x4d, 0x43, 0x5a, 0, 1, 2, 0xff)), refused('BAD_JSON', /model\.json: expected valid JSON, found a syntax error/)),
  bad('model.json that is empty', (_d, f) => writeFileSync(f, ''), refused('BAD_JSON', /model\.json: expected valid JSON/)),
];

function SIZE_OR_MANIFEST(message: RegExp): 'SIZE_MISMATCH' | 'BAD_MANIFEST' {
  return /expected bytes/.test(message.source) ? 'SIZE_MISMATCH' : 'BAD_MANIFEST';
}

// Values: what the bytes hold and what the topology needs.
const nonFinite = Uint8Array.from(Buffer.from(new Float32Array([NaN, Infinity, -Infinity, 1]).buffer));
const VALUE_REFUSALS = {
  quantize: refused('BAD_VALUE', /tensor "[\w/]+": expected finite values, found 3 NaN\/Infinity/),
  prune: refused('BAD_VALUE', /tensor "[\w/]+": cannot prune a tensor holding NaN/),
  compress: refused('BAD_VALUE', /tensor "[\w/]+": cannot prune a tensor holding NaN/),
};
const tfjsRefusal = (what: RegExp): Outcome => refused('BAD_MANIFEST', new RegExp(`model\\.json: stock tfjs could not build the model: ${what.source}`));
const digits = (name: string, edit: Edit, report: Outcome, per: Case['per'] = {}): Case => ({ name, base: 'digits', edit, all: 'ok', per: { report, ...per } });
const VALUES: Case[] = [
  bad('NaN and ±Infinity in a float32 tensor', (d, f) => patchWeights(d, f, 0, nonFinite), 'ok', { ...VALUE_REFUSALS, report: 'skip' }),
  digits('NaN and ±Infinity in a kernel the model runs', (d, f) => patchWeights(d, f, 0, nonFinite), 'ok', VALUE_REFUSALS),
  bad('empty tensors and zero-size shapes (with dims no bytes back)', editJson((j) => j.weightsManifest[0].weights.push({ name: 'z0', shape: [0], dtype: 'float32' }, { name: 'z1', shape: [5, 0, 2 ** 31 - 1], dtype: 'float32' })), 'ok', { report: 'skip' }),
  bad('a group with weights but no shard files', editJson((j) => (j.weightsManifest[0].paths = [])), refused('SIZE_MISMATCH', /tensor "f32": expected bytes 0\.\.240 of a group without shard files/)),
  bad('userDefinedMetadata that is not an object', editJson((j) => (j.userDefinedMetadata = 'notes')), refused('BAD_MANIFEST', /model\.json: expected "userDefinedMetadata" to be an object, found "notes"/)),
  bad('a maas-compress record whose steps are not a list', editJson((j) => (j.userDefinedMetadata = { 'maas-compress': { steps: 5 } })), refused('BAD_MANIFEST', /model\.json: expected userDefinedMetadata\["maas-compress"\] to be the record .* found "steps": number 5/)),
  bad('a duplicate tensor name', editJson((j) => (entry(j, 'i32').name = 'f32')), refused('BAD_MANIFEST', /model\.json: tensor "f32" is listed twice in weightsManifest/)),
  bad('control characters in a tensor name', editJson((j) => Object.assign(entry(j, 'i32'), { name: 'a\u001b[2J\nb\u202e', dtype: 'int64' })), refused('BAD_DTYPE', /tensor "a\\u001b\[2J\\nb\\u202e": expected dtype .* found "int64"$/)),
  digits('weights missing for a layer the topology needs', (d, f) => {
    editJson((j) => j.weightsManifest[0].weights.pop())(d, f);
    truncateSync(path.join(d, 'group1-shard1of1.bin'), 3240 - 40);
  }, tfjsRefusal(/1 of 4 weights are not set: dense1\/bias/)),
  digits('a weight no layer has', (d, f) => {
    editJson((j) => j.weightsManifest[0].weights.push({ name: 'ghost/kernel', shape: [2], dtype: 'float32' }))(d, f);
    appendFileSync(path.join(d, 'group1-shard1of1.bin'), Buffer.alloc(8));
  }, tfjsRefusal(/.*ghost\/kernel/)),
  digits('a weight of the wrong shape for its layer', editJson((j) => (entry(j, 'dense1/bias').shape = [5, 2])), tfjsRefusal(/.*/), { quantize: 'ok', prune: 'ok' }),
  digits('a topology stock tfjs does not know', editJson((j) => (j.modelTopology.class_name = 'NoSuchModel')), tfjsRefusal(/.*NoSuchModel/)),
];

describe('hostile model.json and shards, through every command', () => {
  for (const [group, cases] of [['paths', PATHS], ['sizes', SIZES], ['values', VALUES]] as const) {
    describe(group, () => {
      for (const c of cases) {
        for (const command of MODEL_COMMANDS) {
          const outcome = c.per?.[command] ?? c.all;
          if (outcome === 'skip') continue;
          it(`${c.name}: ${command} ${outcome === 'ok' ? 'succeeds' : `refuses (${outcome.code})`}`, async () => {
            const { root, dir, file } = freshModel(c.base);
            c.edit(dir, file);
            await expectOutcome(root, argvFor(command, dir, path.join(root, 'out')), outcome);
          });
        }
      }
    });
  }
});
