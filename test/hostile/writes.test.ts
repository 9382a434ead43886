/**
 * Writes under pressure: a real full file system (a 256 KiB tmpfs, mounted when the tests
 * run as root, as CI does) gives one IO error line, exit 2, and leaves the file system as
 * it was; and a write abandoned mid-way by the signal handlers' clean-up leaves the
 * previous output intact and no temporaries. faults.test.ts injects the same failures
 * without a mount; interrupt.test.ts kills a real process.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTemporariesSync } from '../../src/model/atomic.js';
import { cli } from '../helpers/cli.js';
import { tempDir, writeModel } from '../helpers/synthetic.js';
import { snapshot } from '../helpers/tree.js';
import { expectRefusal } from './helpers.js';

const BIG = 'fixtures/bigmodel'; // 2.6 MB of weights: ten times the file system below

describe('a full disk (ENOSPC) on a real 256 KiB file system', () => {
  const mnt = mkdtempSync(path.join(tmpdir(), 'mc-full-'));
  let mounted = false;
  let why = '';
  beforeAll(() => {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { stdio: 'pipe' });
      mounted = true;
    } catch (e) {
      why = String((e as { stderr?: Buffer }).stderr ?? e).trim();
    }
  });
  afterAll(() => {
    if (mounted) execFileSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });
  const skip = (ctx: { skip: (note?: string) => void }) => {
    // Mounting needs root (CI runs as root); faults.test.ts covers the same path with an injected ENOSPC.
    if (!mounted) ctx.skip(`cannot mount a tmpfs here (${why || 'not root'})`);
  };

  it('a folder output: one line, exit 2, no temporaries left', async (ctx) => {
    skip(ctx);
    await expectRefusal(mnt, ['copy', BIG, '-o', path.join(mnt, 'out')], 'IO', /out: no space left on device \(ENOSPC.*\) while writing the output; nothing was written$/);
    expect(readdirSync(mnt)).toEqual([]);
  });

  it('a folder output replacing a previous one: the previous output is kept as it was', async (ctx) => {
    skip(ctx);
    mkdirSync(path.join(mnt, 'out'));
    writeFileSync(path.join(mnt, 'out', 'model.json'), '{"previous": true}');
    await expectRefusal(mnt, ['copy', BIG, '-o', path.join(mnt, 'out'), '--force', '--shard-size', '65536'], 'IO', /out: no space left on device \(ENOSPC/);
    expect(readdirSync(mnt)).toEqual(['out']);
    rmSync(path.join(mnt, 'out'), { recursive: true });
  });

  it('a .mcz output: one line, exit 2, no temporary file left', async (ctx) => {
    skip(ctx);
    await expectRefusal(mnt, ['pack', BIG, '-o', path.join(mnt, 'big.mcz')], 'IO', /big\.mcz: no space left on device \(ENOSPC.*\) while writing the output; nothing was written$/);
    expect(readdirSync(mnt)).toEqual([]);
  });

  it('parent folders created for the output are removed again', async (ctx) => {
    skip(ctx);
    await expectRefusal(mnt, ['copy', BIG, '-o', path.join(mnt, 'a', 'b', 'out')], 'IO', /a\/b\/out: no space left on device/);
    expect(readdirSync(mnt)).toEqual([]);
  });
});

/** Poll until `ready()` holds (every few ms, up to `ms`). */
async function until(ready: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > end) throw new Error('timed out waiting for the write to start');
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A model whose copy at 4 KiB shards writes ~1000 files (long enough to interrupt). */
function slowModel(root: string): string {
  const values = new Float32Array(1 << 20).map((_, i) => Math.sin(i));
  return writeModel(path.join(root, 'in'), [{ entry: { name: 'w', shape: [1 << 20], dtype: 'float32' }, bytes: new Uint8Array(values.buffer) }]);
}

describe('a write abandoned by the signal handlers (in-process)', () => {
  for (const kind of ['folder', 'file'] as const) {
    it(`${kind} output: the previous output stays as it was, no temporaries remain`, async () => {
      const root = tempDir('mc-abandon-');
      const model = slowModel(root);
      const out = path.join(root, kind === 'folder' ? 'out' : 'out.mcz');
      if (kind === 'folder') {
        mkdirSync(out);
        writeFileSync(path.join(out, 'model.json'), '{"previous": true}');
      } else writeFileSync(out, 'previous');
      const before = snapshot(root);
      const argv = kind === 'folder' ? ['copy', model, '-o', out, '--force', '--shard-size', '4096'] : ['compress', model, '--quantize', 'float16', '-o', out, '--force'];
      const run = cli(argv);
      const tmp = () => readdirSync(root).find((n) => n.startsWith(`.${path.basename(out)}.tmp-`));
      await until(() => {
        const t = tmp();
        return t !== undefined && (kind === 'file' || readdirSync(path.join(root, t)).length > 8);
      });
      // What the SIGINT / SIGTERM handler runs before exiting (src/cli/main.ts).
      cleanupTemporariesSync();
      const r = await run;
      // Had the process exited in the handler, nothing more would happen; here the run goes on, finds its
      // temporary gone, and fails with one line, still without touching the previous output.
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(snapshot(root)).toEqual(before);
    });
  }
});
