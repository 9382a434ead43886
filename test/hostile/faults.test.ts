/**
 * File-system refusals injected into node:fs (no mount or root needed): a full disk, a
 * quota, a read-only or failing device while writing; permission and I/O errors while
 * reading; a rename that fails while an output is swapped in. Each gives one IO error
 * line naming the file, exit 2, removes its temporaries, keeps a previous output and never
 * touches the input. writes.test.ts fills a real file system for the ENOSPC case.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, it, vi } from 'vitest';
import { DIGITS, expectRefusal, freshModel } from './helpers.js';

const faults = vi.hoisted(() => ({
  /** Bytes writes may still take before failing with `writeCode`; -1: no fault. */
  writeBudget: -1,
  writeCode: 'ENOSPC',
  /** Errno for reads of shards (open or read), or of model.json; '' for none. */
  openShard: '',
  readShard: '',
  readJson: '',
  /** Fail the rename that puts a finished output in place. */
  swap: false,
}));

const errno = (code: string, syscall: string, p?: string) => Object.assign(new Error(`${code}: injected fault, ${syscall}${p ? ` '${p}'` : ''}`), { code, syscall, errno: -5, ...(p ? { path: p } : {}) });

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open = async (...args: Parameters<typeof real.open>) => {
    const [p, flags] = args;
    if (faults.openShard && String(p).endsWith('.bin') && (flags ?? 'r') === 'r') throw errno(faults.openShard, 'open', String(p));
    const h = await real.open(...args);
    return new Proxy(h, {
      get(target, key) {
        if (key === 'write' && faults.writeBudget >= 0) {
          return async (data: Uint8Array, offset: number, length: number, position: number) => {
            if (length > faults.writeBudget) throw errno(faults.writeCode, 'write');
            faults.writeBudget -= length;
            return target.write(data, offset, length, position);
          };
        }
        if (key === 'read' && faults.readShard) return async () => Promise.reject(errno(faults.readShard, 'read'));
        const v = Reflect.get(target, key);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  };
  const readFile = async (...args: Parameters<typeof real.readFile>) => {
    if (faults.readJson && String(args[0]).endsWith('model.json')) throw errno(faults.readJson, 'open', String(args[0]));
    return real.readFile(...args);
  };
  return { ...real, default: { ...real, open, readFile }, open, readFile };
});

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const renameSync = (from: string, to: string) => {
    if (faults.swap && path.basename(String(from)).includes('.tmp-')) throw errno('EIO', 'rename', String(from));
    return real.renameSync(from, to);
  };
  return { ...real, default: { ...real, renameSync }, renameSync };
});

afterEach(() => {
  Object.assign(faults, { writeBudget: -1, writeCode: 'ENOSPC', openShard: '', readShard: '', readJson: '', swap: false });
});

/** A root with the digits model and a previous output `out` (folder) or `out.mcz` (file). */
function setup(kind: 'folder' | 'file') {
  const m = freshModel('digits');
  const out = path.join(m.root, kind === 'folder' ? 'out' : 'out.mcz');
  if (kind === 'folder') {
    mkdirSync(out);
    writeFileSync(path.join(out, 'model.json'), '{"previous": true}');
  } else writeFileSync(out, 'previous');
  return { ...m, out };
}

const WRITE_FAULTS: Array<[string, RegExp]> = [
  ['ENOSPC', /no space left on device \(ENOSPC\)/],
  ['EDQUOT', /disk quota exceeded \(EDQUOT\)/],
  ['EROFS', /read-only file system \(EROFS\)/],
  ['EIO', /input\/output error \(EIO\)/],
  ['EFBIG', /file too large for the file system \(EFBIG\)/],
];

describe('injected write faults', () => {
  for (const [code, words] of WRITE_FAULTS) {
    for (const [kind, budget] of [['folder', 1000], ['file', 0]] as const) {
      it(`${code} while writing a ${kind}: one line, previous output kept, no temporaries`, async () => {
        const { root, dir, out } = setup(kind);
        Object.assign(faults, { writeBudget: budget, writeCode: code });
        const argv = kind === 'folder' ? ['copy', dir, '-o', out, '--force', '--shard-size', '512'] : ['pack', dir, '-o', out, '--force'];
        await expectRefusal(root, argv, 'IO', new RegExp(`${path.basename(out).replace('.', '\\.')}: ${words.source} while writing the output; nothing was written$`));
      });
    }
  }

  it('a failed swap puts the previous output back', async () => {
    const { root, dir, out } = setup('folder');
    faults.swap = true;
    await expectRefusal(root, ['copy', dir, '-o', out, '--force'], 'IO', /out: input\/output error \(EIO at .*\.out\.tmp-[^)]*\) while writing the output/);
  });
});

describe('injected read faults', () => {
  const shard = /group1-shard1of1\.bin/.source;
  const cases: Array<[string, Partial<typeof faults>, RegExp]> = [
    ['EACCES opening a shard', { openShard: 'EACCES' }, new RegExp(`${shard}: permission denied \\(EACCES\\) while opening|${shard}: permission denied \\(EACCES\\) while reading the weights shard`)],
    ['EIO reading a shard', { readShard: 'EIO' }, new RegExp(`${shard}: input/output error \\(EIO\\) while reading the weights shard`)],
    ['EACCES reading model.json', { readJson: 'EACCES' }, /model\.json: permission denied \(EACCES\) while reading model\.json/],
  ];
  for (const [name, fault, message] of cases) {
    for (const command of ['inspect', 'copy', 'report'] as const) {
      it(`${name}: ${command}`, async () => {
        const { root, dir } = freshModel('digits');
        Object.assign(faults, fault);
        const argv = command === 'inspect' ? ['inspect', dir] : command === 'copy' ? ['copy', dir, '-o', path.join(root, 'out')] : ['report', dir, DIGITS, '--samples', '2', '--backend', 'cpu'];
        await expectRefusal(root, argv, 'IO', message);
      });
    }
  }
});
