/**
 * Atomic output: everything is written to a temporary path beside the target, synced,
 * then renamed into place, so a reader never sees a partial model, an interrupted run
 * leaves the previous output as it was, and a failed one (a full disk included) leaves
 * nothing behind: not its temporary path, nor the parent folders it created.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, rmdirSync } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { McError, ioError } from '../errors.js';
import { openInputFiles } from './load.js';

/** One write in flight: what must go if it does not complete. */
interface Pending {
  /** The temporary file or folder beside the target. */
  tmp: string;
  /** Parent folders this write created (`top` the highest one, `leaf` the target's parent), removed again if it fails. */
  created: { top: string; leaf: string } | null;
  /** The previous output, moved aside once the new one is in place, while it is being deleted. */
  old: string | null;
  /** Set by the clean-up: the write must not complete, even if it is still running. */
  abandoned: boolean;
}

/** Refuse to put an output in place once its write was abandoned (by a signal handler's clean-up). */
function checkNotAbandoned(p: Pending, target: string): void {
  if (p.abandoned) throw new McError('IO', `${target}: interrupted; the unfinished output was removed`);
}

const pending = new Set<Pending>();

/** What a failed or interrupted write does with `p.created`: remove those folders while they are empty. */
function removeEmptyParentsSync(c: { top: string; leaf: string }): void {
  for (let d = c.leaf; ; d = path.dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
    if (d === c.top || d === path.dirname(d)) return;
  }
}

async function removeEmptyParents(c: { top: string; leaf: string }): Promise<void> {
  for (let d = c.leaf; ; d = path.dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return;
    }
    if (d === c.top || d === path.dirname(d)) return;
  }
}

/**
 * Abandon every write in flight, synchronously (for signal handlers, which must finish
 * before the process exits): remove temporary paths, a previous output already replaced
 * and being deleted, and parent folders created for an output that was not completed.
 * The final renames are synchronous, so a handler never runs between them: every target
 * holds either its previous content or the complete new output.
 */
export function cleanupTemporariesSync(): void {
  for (const p of pending) {
    p.abandoned = true;
    for (const x of [p.tmp, p.old]) {
      if (!x) continue;
      try {
        rmSync(x, { recursive: true, force: true, maxRetries: 2 });
      } catch {
        // Best effort: a signal handler must not throw.
      }
    }
    if (p.created) removeEmptyParentsSync(p.created);
  }
  pending.clear();
}

/**
 * Register a temporary path of another kind (a scratch folder) for removal by the signal
 * handlers' clean-up; returns the function that unregisters it (call it when removing it).
 */
export function trackTemporary(p: string): () => void {
  const entry: Pending = { tmp: p, created: null, old: null, abandoned: false };
  pending.add(entry);
  return () => void pending.delete(entry);
}

/** Asynchronous form of cleanupTemporariesSync (kept for library callers). */
export async function cleanupTemporaries(): Promise<void> {
  cleanupTemporariesSync();
}

/** Temporary paths in flight. */
export function temporaries(): string[] {
  return [...pending].flatMap((p) => (p.old ? [p.tmp, p.old] : [p.tmp]));
}

/** `.name.tmp-<pid>-<hex>` (a new output being written) or `.name.old-<pid>-<hex>` (a previous one being removed) beside `target`. */
function tempBeside(target: string, kind: 'tmp' | 'old' = 'tmp'): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${kind}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

async function realOrNull(p: string): Promise<string | null> {
  try {
    return await realpath(p);
  } catch {
    return null;
  }
}

async function lstatOrNull(p: string) {
  try {
    return await lstat(p);
  } catch {
    return null;
  }
}

/** True when `p` is `dir` or lies inside it. */
function within(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

/**
 * Check that `target` may be written: never an input nor a folder holding one (`inputs`,
 * and the files of every model open in this process), and not an existing non-empty folder,
 * a file, or a symbolic link unless `force`. The output replaces the entry `target`
 * itself: a symbolic link there is replaced, never written through.
 */
export async function checkOutput(target: string, opts: { force?: boolean; inputs?: string[]; kind: 'folder' | 'file' }): Promise<void> {
  const abs = path.resolve(target);
  const entry = await lstatOrNull(abs);
  const parent = await realOrNull(path.dirname(abs));
  // Where the output lands (parents resolved), and, when something is there, what it resolves to.
  const places = [parent ? path.join(parent, path.basename(abs)) : abs, entry ? await realOrNull(abs) : null].filter((x): x is string => x !== null);
  // Besides the inputs named, the files of every model open in this process (the one being read, while it is written).
  for (const input of [...(opts.inputs ?? []), ...openInputFiles()]) {
    const inReal = await realOrNull(input);
    if (inReal && places.some((place) => within(inReal, place))) {
      throw new McError('OUTPUT_EXISTS', `${target}: refusing to write over the input ${input}; choose another output path`);
    }
  }
  if (!entry) return;
  if (entry.isSymbolicLink()) {
    if (!opts.force) {
      throw new McError('OUTPUT_EXISTS', `${target}: is a symbolic link; pass --force to replace the link itself (what it points to is never written)`);
    }
    return;
  }
  if (opts.kind === 'folder') {
    if (!entry.isDirectory()) throw new McError('OUTPUT_EXISTS', `${target}: expected a folder for the output, found a file`);
    const names = await readdir(abs).catch((e: unknown) => {
      throw ioError(e, target, 'checking the output folder');
    });
    if (names.length > 0 && !opts.force) {
      throw new McError('OUTPUT_EXISTS', `${target}: the output folder exists and is not empty; pass --force to replace it`);
    }
  } else {
    if (entry.isDirectory()) throw new McError('OUTPUT_EXISTS', `${target}: expected a file path for the output, found a folder`);
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

/** Create the target's parent folders; returns the ones created (to remove them again on failure). */
async function createParents(target: string): Promise<{ top: string; leaf: string } | null> {
  const leaf = path.dirname(target);
  const top = await mkdir(leaf, { recursive: true });
  return top ? { top, leaf } : null;
}

/** Run a write registered as pending; on failure remove what it left, and report file-system refusals as one IO error. */
async function guarded<T>(target: string, body: (p: Pending) => Promise<T>): Promise<T> {
  const abs = path.resolve(target);
  const p: Pending = { tmp: tempBeside(abs), created: null, old: null, abandoned: false };
  pending.add(p);
  try {
    return await body(p);
  } catch (e) {
    throw ioError(e, target, 'writing the output; nothing was written');
  } finally {
    await rm(p.tmp, { recursive: true, force: true }).catch(() => undefined);
    if (p.old) await rm(p.old, { recursive: true, force: true }).catch(() => undefined);
    if (p.created) await removeEmptyParents(p.created);
    pending.delete(p);
  }
}

/**
 * Build a folder atomically: `fill(tmp)` writes into a fresh temporary folder beside
 * `target`, which then replaces `target`. On failure the temporary folder is removed
 * and `target` is untouched.
 */
export async function writeFolderAtomic<T>(target: string, fill: (tmp: string) => Promise<T>): Promise<T> {
  const abs = path.resolve(target);
  return guarded(target, async (p) => {
    p.created = await createParents(abs);
    await mkdir(p.tmp);
    const result = await fill(p.tmp);
    await syncDir(p.tmp);
    await swapIn(p, abs, target);
    return result;
  });
}

/** Write one file atomically (temporary file, fsync, rename). */
export async function writeFileAtomic(target: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<number> {
  const abs = path.resolve(target);
  return guarded(target, async (p) => {
    p.created = await createParents(abs);
    const h = await open(p.tmp, 'wx');
    let n = 0;
    try {
      for await (const c of chunks) n += await writeAll(h, c, n);
      await h.sync();
    } finally {
      await h.close();
    }
    checkNotAbandoned(p, target);
    // Replaces a file, or a symbolic link itself, atomically.
    renameSync(p.tmp, abs);
    p.created = null;
    await syncDir(path.dirname(abs));
    return n;
  });
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

/**
 * Put the finished temporary folder in place of `target`. A previous output is moved
 * aside first (a folder cannot be renamed over a non-empty one), then deleted. Both
 * renames are synchronous, so no signal handler runs between them; only a crash in that
 * instant can leave the previous output aside, as `.name.old-*`.
 */
async function swapIn(p: Pending, target: string, shownAs: string): Promise<void> {
  const existing = await lstatOrNull(target);
  checkNotAbandoned(p, shownAs);
  if (existing) {
    const old = tempBeside(target, 'old');
    renameSync(target, old);
    try {
      renameSync(p.tmp, target);
    } catch (e) {
      renameSync(old, target);
      throw e;
    }
    p.created = null;
    p.old = old;
    await rm(old, { recursive: true, force: true });
    p.old = null;
  } else {
    renameSync(p.tmp, target);
    p.created = null;
  }
  await syncDir(path.dirname(target));
}
