/**
 * Atomic output: everything is written to a temporary path beside the target, synced,
 * then renamed into place, so a reader never sees a partial model and an interrupted
 * run leaves the previous output as it was.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { McError } from '../errors.js';

/** Temporary paths in flight, removed by `cleanupTemporaries` (called on signals). */
const inFlight = new Set<string>();

/** Remove every temporary path this process has not finished (best effort, synchronous callers may await). */
export async function cleanupTemporaries(): Promise<void> {
  await Promise.all([...inFlight].map((p) => rm(p, { recursive: true, force: true })));
  inFlight.clear();
}

/** Temporary paths in flight (for signal handlers that must clean up synchronously). */
export function temporaries(): string[] {
  return [...inFlight];
}

function tempBeside(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

async function realOrNull(p: string): Promise<string | null> {
  try {
    return await realpath(p);
  } catch {
    return null;
  }
}

/**
 * Check that `target` may be written: never the input (nor a folder holding it), and
 * not an existing non-empty folder or file unless `force`.
 */
export async function checkOutput(target: string, opts: { force?: boolean; inputs?: string[]; kind: 'folder' | 'file' }): Promise<void> {
  const real = await realOrNull(target);
  for (const input of opts.inputs ?? []) {
    const inReal = await realOrNull(input);
    if (real && inReal && (inReal === real || inReal.startsWith(real + path.sep))) {
      throw new McError('OUTPUT_EXISTS', `${target}: refusing to write over the input ${input}; choose another output path`);
    }
  }
  if (!real) return;
  const st = await stat(real);
  if (opts.kind === 'folder') {
    if (!st.isDirectory()) throw new McError('OUTPUT_EXISTS', `${target}: expected a folder for the output, found a file`);
    if ((await readdir(real)).length > 0 && !opts.force) {
      throw new McError('OUTPUT_EXISTS', `${target}: the output folder exists and is not empty; pass --force to replace it`);
    }
  } else {
    if (st.isDirectory()) throw new McError('OUTPUT_EXISTS', `${target}: expected a file path for the output, found a folder`);
    if (!opts.force) throw new McError('OUTPUT_EXISTS', `${target}: the output file exists; pass --force to replace it`);
  }
}

/** Sync a folder's entries to disk (where the platform allows it). */
async function syncDir(dir: string): Promise<void> {
  try {
    const h = await open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // Some platforms cannot open folders for sync; the rename is still atomic.
  }
}

/**
 * Build a folder atomically: `fill(tmp)` writes into a fresh temporary folder beside
 * `target`, which then replaces `target`. On failure the temporary folder is removed
 * and `target` is untouched.
 */
export async function writeFolderAtomic<T>(target: string, fill: (tmp: string) => Promise<T>): Promise<T> {
  await mkdir(path.dirname(path.resolve(target)), { recursive: true });
  const tmp = tempBeside(path.resolve(target));
  inFlight.add(tmp);
  try {
    await mkdir(tmp);
    const result = await fill(tmp);
    await syncDir(tmp);
    await replace(tmp, path.resolve(target));
    return result;
  } finally {
    await rm(tmp, { recursive: true, force: true });
    inFlight.delete(tmp);
  }
}

/** Write one file atomically (temporary file, fsync, rename). */
export async function writeFileAtomic(target: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<number> {
  const abs = path.resolve(target);
  await mkdir(path.dirname(abs), { recursive: true });
  const tmp = tempBeside(abs);
  inFlight.add(tmp);
  try {
    const h = await open(tmp, 'wx');
    let n = 0;
    try {
      for await (const c of chunks) n += await writeAll(h, c, n);
      await h.sync();
    } finally {
      await h.close();
    }
    await rename(tmp, abs);
    await syncDir(path.dirname(abs));
    return n;
  } finally {
    await rm(tmp, { force: true });
    inFlight.delete(tmp);
  }
}

/** Write all of `data` at `position`; returns its length. */
export async function writeAll(h: import('node:fs/promises').FileHandle, data: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await h.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
  return data.length;
}

async function replace(tmp: string, target: string): Promise<void> {
  const existing = await realOrNull(target);
  if (!existing) {
    await rename(tmp, target);
  } else {
    // Move the old output aside first so that a failure in between leaves one of the two.
    // The old copy is not registered for clean-up: losing it on a signal would lose data.
    const old = tempBeside(target);
    await rename(target, old);
    try {
      await rename(tmp, target);
    } catch (e) {
      await rename(old, target);
      throw e;
    }
    await rm(old, { recursive: true, force: true });
  }
  await syncDir(path.dirname(target));
}
