/**
 * Hostile .mcz files through the commands that read one (unpack, and report with the
 * container as a candidate): each is refused with exit 2, one stderr line naming the file
 * (and the tensor where there is one), nothing written, the input unchanged, and no more
 * memory than the file justifies. test/mcz/hostile.test.ts checks the same kinds of damage
 * (and many more byte-level ones) at the parser; this suite checks what the CLI does.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/load.js';
import { quantizeInt8 } from '../../src/passes/quantize.js';
import { encodeMcz } from '../../src/mcz/write.js';
import { cli } from '../helpers/cli.js';
import { everyDtype, tempDir, writeModel } from '../helpers/synthetic.js';
import { packFixture, rewriteTable, storedTensors, withModelSection, withoutPadding } from '../mcz/helpers.js';
import { DIGITS, expectRefusal } from './helpers.js';
import type { McErrorCode } from '../../src/errors.js';

type Bytes = Uint8Array;
type Edit = Parameters<typeof withModelSection>[1]['edit'];

/** A hostile container: how it is made from the valid ones, and the refusal. */
interface Case {
  name: string;
  make: (v: Valid) => Bytes | 'folder';
  code: McErrorCode;
  message: RegExp;
}

/** Valid containers to break: the digits CNN, a model of every dtype, an empty int8 tensor, a near-constant one. */
interface Valid {
  digits: Bytes;
  every: Bytes;
  emptyInt8: Bytes;
  constant: Bytes;
}

const json = { format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { layers: [] } }, weightsManifest: [] };
const model = (v: Bytes, edit: Edit) => withModelSection(v, { edit });
const flip = (v: Bytes, at: number) => {
  const b = v.slice();
  b[at] ^= 0x40;
  return b;
};
const weight = (name: string) => (o: { weights: Array<Record<string, unknown>> }) => o.weights.find((w) => w.name === name) as Record<string, unknown>;

const CASES: Case[] = [
  // Framing: not a container, cut short, damaged, or from the future.
  { name: 'an empty file', make: () => new Uint8Array(0), code: 'BAD_MANIFEST', message: /model\.mcz: not a \.mcz file/ },
  { name: 'a model.json renamed .mcz', make: () => new TextEncoder().encode(JSON.stringify(json)), code: 'BAD_MANIFEST', message: /model\.mcz: not a \.mcz file/ },
  { name: 'a folder named .mcz', make: () => 'folder', code: 'MISSING_FILE', message: /model\.mcz: expected a (\.mcz )?file, found a folder/ },
  ...[16, 100, -25, -1].map((cut): Case => ({ name: `truncated at ${cut}`, make: (v) => v.digits.subarray(0, cut < 0 ? v.digits.length + cut : cut), code: 'SIZE_MISMATCH', message: /model\.mcz: truncated/ })),
  { name: 'a flipped byte in a tensor section', make: (v) => flip(v.digits, 20), code: 'BAD_MANIFEST', message: /model\.mcz: tensor "conv1\/kernel" \(section 0\): checksum mismatch/ },
  { name: 'a flipped byte in the table', make: (v) => flip(v.digits, v.digits.length - 30), code: 'BAD_MANIFEST', message: /model\.mcz: table: checksum mismatch/ },
  { name: 'a newer format version', make: (v) => Object.assign(v.digits.slice(), { 8: 4 }), code: 'UNSUPPORTED', message: /model\.mcz: written by format version 4/ },
  { name: 'a tensor count of 2^31', make: (v) => rewriteTable(v.digits, () => {}, { count: 2 ** 31 }), code: 'SIZE_MISMATCH', message: /model\.mcz: table: declares 2147483648 tensors/ },
  { name: 'a section length of 2^40', make: (v) => rewriteTable(v.digits, (t) => (t.tensors[0].length = 2 ** 40)), code: 'SIZE_MISMATCH', message: /model\.mcz: table: tensor section 0 claims bytes/ },
  // Checksummed but hostile model sections.
  { name: 'model JSON nested 600 levels deep', make: (v) => model(v.digits, (o) => (o.model.deep = JSON.parse(`${'['.repeat(600)}${']'.repeat(600)}`))), code: 'BAD_MANIFEST', message: /model\.mcz: model section: expected JSON nested at most 512 levels deep/ },
  { name: 'a deflate bomb', make: (v) => withModelSection(v.digits, { deflated: deflateSync(new Uint8Array(16 << 20)), rawLength: 100 }), code: 'BAD_MANIFEST', message: /model\.mcz: model section: cannot inflate \(it inflates to more than 100 bytes/ },
  { name: 'a shape of 2^31 - 1 elements', make: (v) => model(v.digits, (o) => (weight('dense1/bias')(o).shape = [2 ** 31 - 1])), code: 'SIZE_MISMATCH', message: /model\.mcz: declares more weight bytes than/ },
  { name: 'a shape product overflow', make: (v) => model(v.digits, (o) => (weight('dense1/bias')(o).shape = [2 ** 20, 2 ** 20, 2 ** 20])), code: 'BAD_MANIFEST', message: /model\.mcz: model section: tensor "dense1\/bias": shape .* has more than 2147483647 elements/ },
  { name: 'a negative dim', make: (v) => model(v.digits, (o) => (weight('dense1/bias')(o).shape = [-10])), code: 'BAD_MANIFEST', message: /tensor "dense1\/bias": expected shape dims to be non-negative integers/ },
  { name: 'an unknown dtype', make: (v) => model(v.digits, (o) => (weight('dense1/bias')(o).dtype = 'float64')), code: 'BAD_DTYPE', message: /tensor "dense1\/bias": expected dtype .* found "float64"/ },
  { name: 'a duplicate tensor name', make: (v) => model(v.digits, (o) => (o.weights[1].name = o.weights[0].name)), code: 'BAD_MANIFEST', message: /model\.mcz: model section: tensor "conv1\/kernel" is listed twice/ },
  { name: 'a tensor missing from the model section', make: (v) => model(v.digits, (o) => o.weights.pop()), code: 'SIZE_MISMATCH', message: /model\.mcz: model section: lists 3 tensors, the table has 4 sections/ },
  { name: 'an empty tensor with an int8 head sized by a dim of 2^28', make: (v) => model(v.emptyInt8, (o) => (o.weights[0].shape = [0, 2 ** 28])), code: 'SIZE_MISMATCH', message: /model\.mcz: declares more weight bytes than 1048576 \+ 4096 x its \d+ bytes/ },
  { name: 'an empty tensor with a dim over 2^31 - 1', make: (v) => model(v.emptyInt8, (o) => (o.weights[0].shape = [0, 1e308])), code: 'BAD_MANIFEST', message: /tensor "z": shape \[0,1e\+308\] has a dim larger than 2147483647/ },
  { name: 'fewer strings than the shape says', make: (v) => model(v.every, (o) => (weight('s')(o).shape = [5])), code: 'SIZE_MISMATCH', message: /model\.mcz: tensor "s": expected 5 strings, the bytes end after 3/ },
  { name: 'more strings than the shape says', make: (v) => model(v.every, (o) => (weight('s')(o).shape = [1])), code: 'SIZE_MISMATCH', message: /model\.mcz: tensor "s": expected 1 strings in \d+ bytes, found \d+ bytes after the last one/ },
  { name: 'a name with control characters', make: (v) => model(v.digits, (o) => Object.assign(o.weights[0], { name: 'x\u001b]0;pwned\u0007\r\n', dtype: 'int4' })), code: 'BAD_DTYPE', message: /tensor "x\\u001b\]0;pwned\\u0007\\r\\n": expected dtype/ },
  // The allocation budget: a near-constant model stripped of its padding asks for far more than its size.
  { name: 'a near-constant model without its padding', make: (v) => withoutPadding(v.constant), code: 'SIZE_MISMATCH', message: /model\.mcz: declares more weight bytes than 1048576 \+ 4096 x its \d+ bytes/ },
];

const COMMANDS = {
  unpack: (file: string, root: string) => ['unpack', file, '-o', path.join(root, 'out')],
  report: (file: string) => ['report', DIGITS, file, '--samples', '4', '--backend', 'cpu'],
};

describe('hostile .mcz files, through unpack and report', () => {
  const valid = {} as Valid;
  beforeAll(async () => {
    valid.digits = (await packFixture(DIGITS)).bytes;
    const m = await loadModel(writeModel(path.join(tempDir(), 'every'), everyDtype()));
    valid.every = (await encodeMcz(m.json, await storedTensors(m))).bytes;
    await m.close();
    const z = { name: 'z', shape: [0, 5], dtype: 'float32' as const };
    valid.emptyInt8 = (await encodeMcz(json, [{ entry: z, encoded: quantizeInt8({ ...z, values: new Float32Array(0) }, { axis: 1 }) }])).bytes;
    valid.constant = (await encodeMcz(json, [{ entry: { name: 'c', shape: [1 << 22], dtype: 'float32' }, stored: new Uint8Array(4 << 22) }])).bytes;
  });

  for (const c of CASES) {
    for (const [command, argv] of Object.entries(COMMANDS)) {
      it(`${c.name}: ${command} refuses (${c.code})`, async () => {
        const root = tempDir('mc-hostile-');
        const file = path.join(root, 'model.mcz');
        const bytes = c.make(valid);
        if (bytes === 'folder') mkdirSync(file);
        else writeFileSync(file, bytes);
        const before = process.memoryUsage().arrayBuffers;
        await expectRefusal(root, argv(file, root), c.code, c.message);
        // What a refusal may have allocated: the file and bounded working buffers, never what the file declares.
        expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
      });
    }
  }

  it('the valid containers themselves unpack (the cases above are refused for their damage alone)', async () => {
    for (const [name, bytes] of Object.entries(valid)) {
      const root = tempDir('mc-hostile-');
      writeFileSync(path.join(root, 'm.mcz'), bytes);
      const r = await cli(['unpack', path.join(root, 'm.mcz'), '-o', path.join(root, 'out')]);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
    }
  });

  it('a missing .mcz is refused by name', async () => {
    const root = tempDir('mc-hostile-');
    await expectRefusal(root, ['unpack', path.join(root, 'nothing.mcz'), '-o', path.join(root, 'out')], 'MISSING_FILE', /nothing\.mcz: expected a \.mcz file, found nothing/);
  });
});
