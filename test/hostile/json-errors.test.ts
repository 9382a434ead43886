/**
 * Every kind of failure under --json: stdout holds exactly one JSON document
 * `{ schemaVersion: 1, error: { code, message } }`, stderr the same message as one line,
 * and the exit code is 2 (3 for an internal error, whose stack trace appears only under
 * --debug). Internal errors are injected into inspect, since a correct build has none to show.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/synthetic.js';
import { editJson, entry, freshModel, patchWeights } from './helpers.js';

vi.mock('../../src/inspect.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/inspect.js')>();
  return {
    ...real,
    inspectModel: async (p: string) => {
      if (p.includes('throw-type-error')) throw new TypeError('Cannot read properties of undefined (reading \'x\')\n    at a second line');
      if (p.includes('throw-string')) throw 'a bare string \u001b[31m';
      return real.inspectModel(p);
    },
  };
});

/** Run with --json and check the one document and the one line; returns the error. */
async function jsonError(argv: string[], exit: number, cwd?: string): Promise<{ code: string; message: string }> {
  const r = await cli([...argv, '--json'], { cwd });
  expect(r.code, r.stderr).toBe(exit);
  const doc = JSON.parse(r.stdout);
  expect(Object.keys(doc)).toEqual(['schemaVersion', 'error']);
  expect(doc.schemaVersion).toBe(1);
  expect(r.stderr.trimEnd().split('\n')).toEqual([`maas-compress: error: ${doc.error.message}`]);
  return doc.error;
}

describe('--json reports every kind of error as JSON', () => {
  const kinds: Array<[string, () => string[] | Promise<string[]>, RegExp]> = [
    ['USAGE', () => ['inspect', '--frobnicate'], /unknown option '--frobnicate'/],
    ['USAGE', () => ['copy', freshModel('synthetic').dir], /missing -o <path>/],
    ['MISSING_FILE', () => ['inspect', path.join(tempDir(), 'nothing')], /nothing: expected a model\.json file or a folder holding one, found nothing/],
    ['BAD_JSON', () => {
      const m = freshModel('synthetic');
      writeFileSync(m.file, '{');
      return ['inspect', m.dir];
    }, /model\.json: expected valid JSON/],
    ['BAD_MANIFEST', () => {
      const m = freshModel('synthetic');
      editJson((j) => (entry(j, 'f32').shape = [2 ** 31]))(m.dir, m.file);
      return ['copy', m.dir, '-o', path.join(m.root, 'out')];
    }, /tensor "f32": shape \[2147483648\] has a dim larger than 2147483647/],
    ['BAD_DTYPE', () => {
      const m = freshModel('synthetic');
      editJson((j) => (entry(j, 'b').dtype = 'uint4'))(m.dir, m.file);
      return ['inspect', m.dir];
    }, /tensor "b": expected dtype .* found "uint4"/],
    ['BAD_PATH', () => {
      const m = freshModel('synthetic');
      editJson((j) => (j.weightsManifest[0].paths[2] = '../../etc/shadow'))(m.dir, m.file);
      return ['pack', m.dir, '-o', path.join(m.root, 'o.mcz')];
    }, /found "\.\.\/\.\.\/etc\/shadow"/],
    ['SIZE_MISMATCH', () => {
      const m = freshModel('synthetic');
      editJson((j) => (entry(j, 'f32').shape = [3, 21]))(m.dir, m.file);
      return ['inspect', m.dir];
    }, /tensor "s": string 1 of 3 starts past the end/],
    ['BAD_VALUE', () => {
      const m = freshModel('synthetic');
      patchWeights(m.dir, m.file, 0, Uint8Array.from(Buffer.from(new Float32Array([NaN]).buffer)));
      return ['prune', m.dir, '--sparsity', '0.5', '--min-elements', '0', '-o', path.join(m.root, 'out')];
    }, /tensor "f32": cannot prune a tensor holding NaN/],
    ['OUTPUT_EXISTS', () => {
      const m = freshModel('synthetic');
      mkdirSync(path.join(m.root, 'out'));
      writeFileSync(path.join(m.root, 'out', 'x'), 'x');
      return ['copy', m.dir, '-o', path.join(m.root, 'out')];
    }, /out: the output folder exists and is not empty; pass --force/],
    ['UNSUPPORTED', () => {
      const m = freshModel('synthetic');
      return ['quantize', m.dir, '--dtype', 'int8', '--per-channel', '-o', path.join(m.root, 'out')];
    }, /int8 per channel cannot be written to a tfjs folder/],
    ['IO', () => {
      const m = freshModel('synthetic');
      writeFileSync(path.join(m.root, 'f'), '');
      return ['copy', m.dir, '-o', path.join(m.root, 'f', 'out')];
    }, /f\/out: a file stands where a folder is needed/],
  ];
  for (const [code, argv, message] of kinds) {
    it(`${code}: ${message.source.slice(0, 50)}`, async () => {
      const e = await jsonError(await argv(), 2);
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
    });
  }

  it('CONFIG: a config file with a prototype key', async () => {
    const m = freshModel('synthetic');
    writeFileSync(path.join(m.root, 'maas-compress.config.json'), '{"__proto__": {"model": "x"}}');
    const e = await jsonError(['inspect'], 2, m.root);
    expect(e).toEqual({ code: 'CONFIG', message: expect.stringMatching(/maas-compress\.config\.json: unknown key "__proto__"/) });
  });

  it('CONFIG: a recipe with a null pass and a non-string pattern', async () => {
    const m = freshModel('synthetic');
    for (const recipe of [{ prune: null }, { quantize: { dtype: 'int8', include: [null] } }]) {
      writeFileSync(path.join(m.root, 'maas-compress.config.json'), JSON.stringify({ recipe }));
      const e = await jsonError(['compress', m.dir, '-o', path.join(m.root, 'o.mcz')], 2, m.root);
      expect(e.code).toBe('CONFIG');
    }
  });
});

describe('internal errors: exit 3, one line, the stack only under --debug', () => {
  it('a TypeError: its first line only, with the hint to rerun with --debug', async () => {
    const e = await jsonError(['inspect', path.join(tempDir(), 'throw-type-error')], 3);
    expect(e).toEqual({ code: 'INTERNAL', message: "internal error: Cannot read properties of undefined (reading 'x') (run with --debug for the stack trace)" });
  });

  it('a thrown string with control characters: escaped, one line', async () => {
    const e = await jsonError(['inspect', path.join(tempDir(), 'throw-string')], 3);
    expect(e.message).toBe('internal error: a bare string \\u001b[31m (run with --debug for the stack trace)');
  });

  it('--debug adds the stack trace after the line (human and JSON modes)', async () => {
    for (const json of [false, true]) {
      const r = await cli(['inspect', path.join(tempDir(), 'throw-type-error'), '--debug', ...(json ? ['--json'] : [])]);
      expect(r.code).toBe(3);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines[0]).toBe("maas-compress: error: internal error: Cannot read properties of undefined (reading 'x')");
      expect(lines[1]).toMatch(/^TypeError: /);
      expect(lines.some((l) => /^\s+at /.test(l))).toBe(true);
      if (json) expect(JSON.parse(r.stdout).error.code).toBe('INTERNAL');
    }
  });
});
