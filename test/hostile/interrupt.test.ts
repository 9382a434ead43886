/**
 * Interrupted writes, for real: a `node bin/maas-compress.js` child writing a large output
 * over a previous one is sent SIGINT, SIGTERM or SIGKILL once its temporary output has
 * appeared. After SIGINT / SIGTERM it prints one line, exits 130 / 143, and leaves the
 * previous output as it was and no temporaries; after SIGKILL (a crash) the previous
 * output is still intact and at most `.name.tmp-*` temporaries remain beside it, which a
 * later run ignores (docs/safety.md). Needs dist/: built here when missing or older than src/.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/load.js';
import { tempDir, writeModel } from '../helpers/synthetic.js';
import { snapshot } from '../helpers/tree.js';

const BIN = path.resolve('bin/maas-compress.js');

/** Newest modification time under `dir` (ms). */
function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const st = statSync(full);
    t = Math.max(t, st.isDirectory() ? newest(full) : st.mtimeMs);
  }
  return t;
}

beforeAll(() => {
  // CI builds first (npm run build); a stale or missing dist/ is rebuilt so the child runs this source.
  const main = path.resolve('dist/cli/main.js');
  if (!existsSync(main) || statSync(main).mtimeMs < newest('src')) execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'pipe' });
}, 120_000);

/** A model large enough that writing it takes a while: 16 MiB of float32 weights (4096 shards at 4 KiB). */
function bigModel(root: string): string {
  const values = new Float32Array(1 << 22).map((_, i) => Math.sin(i * 0.37));
  return writeModel(path.join(root, 'in'), [{ entry: { name: 'dense/kernel', shape: [2048, 2048], dtype: 'float32' }, bytes: new Uint8Array(values.buffer) }]);
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Run the CLI, wait until its temporary output beside `out` exists (holding `minFiles`
 * entries for a folder), send `signal`, and wait for the exit.
 */
async function interrupt(argv: string[], out: string, signal: NodeJS.Signals, minFiles: number): Promise<Exit> {
  const child = spawn(process.execPath, [BIN, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig, stdout, stderr })));
  const prefix = `.${path.basename(out)}.tmp-`;
  const started = () => {
    const t = readdirSync(path.dirname(out)).find((n) => n.startsWith(prefix));
    if (!t) return false;
    const full = path.join(path.dirname(out), t);
    return !statSync(full).isDirectory() || readdirSync(full).length >= minFiles;
  };
  let done = false;
  void exited.then(() => (done = true));
  while (!done && !started()) await new Promise((r) => setTimeout(r, 2));
  if (done) throw new Error(`the child finished before it could be interrupted: ${stderr}`);
  child.kill(signal);
  const r = await exited;
  return { ...r, stdout, stderr };
}

/** Names beside `out` that are temporaries of it. */
const leftovers = (out: string): string[] => readdirSync(path.dirname(out)).filter((n) => n.startsWith(`.${path.basename(out)}.`));

describe('a real maas-compress process interrupted mid-write', () => {
  const cases: Array<{ signal: NodeJS.Signals; kind: 'folder' | 'file'; json?: boolean }> = [
    { signal: 'SIGINT', kind: 'folder' },
    { signal: 'SIGTERM', kind: 'folder', json: true },
    { signal: 'SIGKILL', kind: 'folder' },
    { signal: 'SIGTERM', kind: 'file' },
    { signal: 'SIGKILL', kind: 'file' },
  ];
  for (const { signal, kind, json } of cases) {
    it(`${signal} while writing a ${kind === 'folder' ? 'folder' : '.mcz file'}${json ? ' (--json)' : ''}`, async () => {
      const root = tempDir('mc-interrupt-');
      const model = bigModel(root);
      const out = path.join(root, kind === 'folder' ? 'out' : 'out.mcz');
      if (kind === 'folder') {
        mkdirSync(out);
        writeFileSync(path.join(out, 'model.json'), '{"previous": "output"}');
        writeFileSync(path.join(out, 'group1-shard1of1.bin'), 'previous weights');
      } else writeFileSync(out, 'previous container');
      const previous = snapshot(out.endsWith('.mcz') ? root : out);
      const inputBefore = snapshot(path.dirname(model));
      const argv = kind === 'folder' ? ['copy', model, '-o', out, '--force', '--shard-size', '4096'] : ['pack', model, '-o', out, '--force'];
      const r = await interrupt([...argv, ...(json ? ['--json'] : [])], out, signal, 16);

      if (signal === 'SIGKILL') {
        expect(r.signal).toBe('SIGKILL');
        // A crash cannot clean up: only temporaries (never the target) may remain.
        expect(leftovers(out).every((n) => n.startsWith(`.${path.basename(out)}.tmp-`))).toBe(true);
      } else {
        expect(r.code).toBe(signal === 'SIGINT' ? 130 : 143);
        expect(r.stderr.trimEnd().split('\n')).toEqual([`maas-compress: interrupted by ${signal}; no partial output was left`]);
        if (json) expect(JSON.parse(r.stdout)).toMatchObject({ schemaVersion: 1, error: { code: 'INTERRUPTED' } });
        expect(leftovers(out)).toEqual([]);
      }
      // The previous output, byte for byte; the input untouched.
      if (kind === 'folder') expect(snapshot(out)).toEqual(previous);
      else expect(snapshot(root)[path.basename(out)]).toBe(previous[path.basename(out)]);
      expect(snapshot(path.dirname(model))).toEqual(inputBefore);

      // Leftover temporaries do not get in the way of the next run.
      const again = spawn(process.execPath, [BIN, ...argv, '-q'], { stdio: 'ignore' });
      expect(await new Promise((res) => again.on('exit', res))).toBe(0);
      if (kind === 'folder') {
        const m = await loadModel(out);
        expect(m.tensors.map((t) => t.name)).toEqual(['dense/kernel']);
        await m.close();
      }
    });
  }
});
