/**
 * Fuzzing the model.json reader: random mutations of valid models (their model.json as
 * JSON and as text, and their shards as bytes) fed to every reader: loadModel, readBytes
 * and readValues of every tensor, and the CLI's inspect. The only allowed outcomes are a
 * valid result or a McError (the CLI: exit 0, or exit 2 with one error line); any other
 * exception, an exit 3, or a case over the time limit fails, with the seed to replay it.
 * A model that loads is also copied, and the copy must load with the same bytes.
 * CI runs a fixed seed and a few hundred cases; `npm run fuzz` runs many more.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { McError } from '../../src/errors.js';
import { loadModel } from '../../src/model/load.js';
import { cli } from '../helpers/cli.js';
import { everyDtype, tempDir, writeModel } from '../helpers/synthetic.js';
import { type ByteMutation, type JsonMutation, Tally, applyBytes, applyJson, byteMutations, jsonMutations, serialize, settings } from './mutate.js';

/** A valid model held in memory: model.json parsed and as text, and its other files. */
interface Base {
  name: string;
  json: unknown;
  text: string;
  files: Record<string, Uint8Array>;
}

function base(name: string, dir: string): Base {
  const files: Record<string, Uint8Array> = {};
  for (const f of readdirSync(dir)) if (f.endsWith('.bin')) files[f] = readFileSync(path.join(dir, f));
  const text = readFileSync(path.join(dir, 'model.json'), 'utf8');
  return { name, json: JSON.parse(text), text, files };
}

const every = path.join(tempDir('mc-fuzz-'), 'every');
writeModel(every, everyDtype(), { shardSize: 100, json: { userDefinedMetadata: { 'maas-compress': { version: '0.1.0', steps: [{ command: 'copy' }] }, note: 'kept' } } });
const BASES = [
  base('mnist-uint8 (3 shards, uint8 affine)', 'fixtures/mnist-uint8'),
  base('mnist-graph (graph model)', 'fixtures/mnist-graph'),
  base('digits-cnn (layers model)', 'fixtures/digits-cnn'),
  base('every dtype and stored encoding (4 shards)', every),
];

/** Where a case's mutations go: model.json as JSON or as text, or one shard. */
type Target = { where: 'json'; ms: JsonMutation[] } | { where: 'text'; ms: ByteMutation[] } | { where: 'shard'; shard: number; ms: ByteMutation[] };

const target: fc.Arbitrary<Target> = fc.oneof(
  { arbitrary: fc.record({ where: fc.constant('json' as const), ms: jsonMutations }), weight: 4 },
  { arbitrary: fc.record({ where: fc.constant('text' as const), ms: byteMutations }), weight: 1 },
  { arbitrary: fc.record({ where: fc.constant('shard' as const), shard: fc.nat(), ms: byteMutations }), weight: 2 },
);

/** Write `b` with the targets applied into a fresh `dir`: JSON mutations first, then text and shard bytes. */
function writeMutant(dir: string, b: Base, targets: Target[]): void {
  let doc = b.json;
  for (const t of targets) if (t.where === 'json') doc = applyJson(doc, t.ms, 'weightsManifest');
  let text: Uint8Array = new TextEncoder().encode(doc === b.json ? b.text : serialize(doc));
  const files = { ...b.files };
  const names = Object.keys(files);
  for (const t of targets) {
    if (t.where === 'text') text = applyBytes(text, t.ms);
    else if (t.where === 'shard' && names.length) files[names[t.shard % names.length]] = applyBytes(files[names[t.shard % names.length]], t.ms);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'model.json'), text);
  for (const [n, bytes] of Object.entries(files)) writeFileSync(path.join(dir, n), bytes);
}

/** Load and read every tensor; returns their stored bytes. */
async function readAll(dir: string): Promise<Uint8Array[]> {
  const m = await loadModel(dir);
  try {
    const out: Uint8Array[] = [];
    for (const t of m.tensors) {
      out.push(await m.readBytes(t));
      await m.readValues(t);
    }
    return out;
  } finally {
    await m.close();
  }
}

describe('fuzzing model.json and shards', () => {
  const tallies: Tally[] = [];
  afterAll(() => tallies.forEach((t) => t.report()));

  for (const b of BASES) {
    it(`${b.name}: every reader gives a valid result or a McError`, async () => {
      const load = new Tally(`model.json load+read: ${b.name}`);
      const inspect = new Tally(`model.json CLI inspect: ${b.name}`);
      tallies.push(load, inspect);
      const root = tempDir('mc-fuzz-');
      const dir = path.join(root, 'model');
      await fc.assert(
        fc.asyncProperty(fc.array(target, { minLength: 1, maxLength: 2 }), async (targets) => {
          writeMutant(dir, b, targets);
          const loaded: { bytes?: Uint8Array[] } = {};
          const outcome = await load.run(async () => {
            loaded.bytes = await readAll(dir);
          });
          const r = await cli(['inspect', dir, '--json']);
          if (r.code !== 0) {
            expect(r.code, r.stderr).toBe(2);
            expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
          }
          // The CLI reads as the library does: the same outcome.
          expect(await inspect.run(() => (r.code === 0 ? undefined : Promise.reject(new McError(JSON.parse(r.stdout).error.code, r.stderr))))).toBe(outcome);
          if (loaded.bytes) {
            // What loads is copied byte for byte, and the copy loads.
            const c = await cli(['copy', dir, '-o', path.join(root, 'copy'), '--force', '--shard-size', '300kB']);
            expect(c.code, c.stderr).toBe(0);
            const copied = await readAll(path.join(root, 'copy'));
            expect(copied.length).toBe(loaded.bytes.length);
            copied.forEach((c, i) => expect(Buffer.from(c).equals((loaded.bytes as Uint8Array[])[i])).toBe(true));
          }
        }),
        settings(800),
      );
    });
  }
});
