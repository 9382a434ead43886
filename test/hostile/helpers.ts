/**
 * The hostile-input suite's shared parts: models to break, the argv of every command that
 * reads one, and the checks each outcome must pass (docs/safety.md):
 * a refusal exits 2 with one stderr line naming the file or tensor (and the same error as
 * JSON under --json), writes nothing (the temp root is unchanged, byte for byte) and leaves
 * the input as it was; a success leaves the input as it was too.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { McErrorCode } from '../../src/errors.js';
import { cli } from '../helpers/cli.js';
import { everyDtype, tempDir, writeModel } from '../helpers/synthetic.js';
import { snapshot } from '../helpers/tree.js';

/** Every command that reads a tfjs model (unpack reads a .mcz; see mcz.test.ts). */
export const MODEL_COMMANDS = ['inspect', 'copy', 'quantize', 'prune', 'pack', 'compress', 'report'] as const;
export type ModelCommand = (typeof MODEL_COMMANDS)[number];

/** The fixture whose topology stock tfjs builds (report runs it): a small CNN, one shard. */
export const DIGITS = 'fixtures/digits-cnn';

/**
 * argv of `command` reading `model` and writing `out` (a folder, or `out.mcz`). Passes
 * touch every float tensor (--min-elements 0); report compares the model with itself on
 * synthetic inputs, on the cpu backend.
 */
export function argvFor(command: ModelCommand, model: string, out: string): string[] {
  switch (command) {
    case 'inspect':
      return ['inspect', model];
    case 'copy':
      return ['copy', model, '-o', out];
    case 'quantize':
      return ['quantize', model, '--dtype', 'int8', '--min-elements', '0', '--exclude', 'h', '-o', out];
    case 'prune':
      return ['prune', model, '--sparsity', '0.5', '--min-elements', '0', '-o', out];
    case 'pack':
      return ['pack', model, '-o', `${out}.mcz`];
    case 'compress':
      return ['compress', model, '--prune', '0.5', '--quantize', 'int8', '--per-channel', '--min-elements', '0', '--allow-nonfinite', '-o', `${out}.mcz`];
    case 'report':
      return ['report', model, model, '--samples', '4', '--backend', 'cpu'];
  }
}

/** A fresh root holding `model/`: the synthetic every-dtype model over 3 shards, or a copy of the digits CNN. */
export function freshModel(base: 'synthetic' | 'digits'): { root: string; dir: string; file: string } {
  const root = tempDir('mc-hostile-');
  const dir = path.join(root, 'model');
  if (base === 'synthetic') return { root, dir, file: writeModel(dir, everyDtype(), { shardSize: 150 }) };
  mkdirSync(dir);
  for (const f of ['model.json', 'group1-shard1of1.bin']) copyFileSync(path.join(DIGITS, f), path.join(dir, f));
  return { root, dir, file: path.join(dir, 'model.json') };
}

/** Edit model.json as JSON. */
export const editJson =
  (f: (j: any) => void) =>
  (_dir: string, file: string): void => {
    const j = JSON.parse(readFileSync(file, 'utf8'));
    f(j);
    writeFileSync(file, JSON.stringify(j));
  };

/** The manifest entry named `name`. */
export const entry = (j: any, name: string): any => j.weightsManifest.flatMap((g: any) => g.weights).find((w: any) => w.name === name);

/** What a command must do with a hostile input. */
export type Outcome = { code: McErrorCode; message: RegExp } | 'ok';

/** Shorthand for a refusal. */
export const refused = (code: McErrorCode, message: RegExp): Outcome => ({ code, message });

/**
 * Run `argv` (with --json) and check a refusal: exit 2, stdout only the JSON error with
 * `code`, one stderr line matching `message`, and `root` exactly as before.
 */
export async function expectRefusal(root: string, argv: string[], code: McErrorCode, message: RegExp): Promise<void> {
  const before = snapshot(root);
  const r = await cli([...argv, '--json']);
  const lines = r.stderr.trimEnd().split('\n');
  expect({ code: r.code, lines: lines.length }, r.stderr).toEqual({ code: 2, lines: 1 });
  expect(lines[0]).toMatch(/^maas-compress: error: /);
  expect(lines[0]).toMatch(message);
  expect(JSON.parse(r.stdout)).toEqual({ schemaVersion: 1, error: { code, message: lines[0].replace('maas-compress: error: ', '') } });
  expect(snapshot(root)).toEqual(before);
}

/** Run `argv` and check it succeeds (exit 0, or 1 for a budget) without touching `input`. */
export async function expectSuccess(input: string, argv: string[]): Promise<void> {
  const before = snapshot(input);
  const r = await cli(argv);
  expect(r.code, r.stderr).toBe(0);
  expect(snapshot(input)).toEqual(before);
}

/** Check `outcome` for `argv` run on the model in `root/model`. */
export async function expectOutcome(root: string, argv: string[], outcome: Outcome): Promise<void> {
  if (outcome === 'ok') await expectSuccess(path.join(root, 'model'), argv);
  else await expectRefusal(root, argv, outcome.code, outcome.message);
}

/** Overwrite bytes of manifest group 0's byte stream at `at` (its shards keep their sizes). */
export function patchWeights(dir: string, file: string, at: number, bytes: Uint8Array): void {
  const paths: string[] = JSON.parse(readFileSync(file, 'utf8')).weightsManifest[0].paths;
  const parts = paths.map((p) => readFileSync(path.join(dir, p)));
  const all = Buffer.concat(parts);
  all.set(bytes, at);
  let o = 0;
  paths.forEach((p, i) => {
    writeFileSync(path.join(dir, p), all.subarray(o, o + parts[i].length));
    o += parts[i].length;
  });
}
