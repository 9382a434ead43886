/**
 * Reading a manifest group's byte stream: its shard files concatenated, read with
 * positional reads in bounded chunks, never as one buffer per model (Node refuses to
 * read a file over 2 GiB at once, and models may not fit in memory).
 */
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { McError, ioError } from '../errors.js';

/** Largest single read; files over 2 GiB are read piecewise. */
const CHUNK = 64 * 1024 * 1024;

/** One shard of a group: its path (as named in errors), its real path and size. */
export interface ShardFile {
  path: string;
  real: string;
  size: number;
}

/**
 * Open shard files over all readers: at most MAX_OPEN at once, least recently used closed
 * first, so a model of thousands of shards (or groups) never runs out of file descriptors.
 */
const MAX_OPEN = 16;
const pool = new Map<string, { handle: Promise<FileHandle>; users: number }>();

async function withHandle<T>(key: string, file: string, shownAs: string, use: (h: FileHandle) => Promise<T>): Promise<T> {
  let slot = pool.get(key);
  if (slot) pool.delete(key); // re-inserted below: Map order is the LRU order
  else {
    slot = { handle: open(file, 'r'), users: 0 };
    slot.handle.catch(() => pool.delete(key));
  }
  pool.set(key, slot);
  slot.users++;
  try {
    return await use(await slot.handle);
  } catch (e) {
    throw ioError(e, shownAs, 'reading the weights shard');
  } finally {
    slot.users--;
    evict();
  }
}

function evict(): void {
  for (const [key, slot] of pool) {
    if (pool.size <= MAX_OPEN) return;
    if (slot.users > 0) continue;
    pool.delete(key);
    slot.handle.then((h) => h.close()).catch(() => undefined);
  }
}

let nextReader = 0;

/** Random access to a group's concatenated shard bytes. */
export class GroupReader {
  /** Total bytes of the group. */
  readonly size: number;
  private readonly starts: number[];
  private readonly id = `${nextReader++}:`;

  private constructor(readonly files: ShardFile[]) {
    this.starts = [];
    let at = 0;
    for (const f of files) {
      this.starts.push(at);
      at += f.size;
    }
    this.size = at;
  }

  /**
   * Open a group: check each path stays inside `dir` (symlinks resolved) and exists as
   * a regular file. `shownAs` maps a path to how errors name it.
   */
  static async open(dir: string, paths: string[]): Promise<GroupReader> {
    const realDir = await realpath(dir).catch((e: unknown) => {
      throw ioError(e, dir, "resolving the model's folder");
    });
    const files: ShardFile[] = [];
    for (const p of paths) {
      const full = path.join(dir, p);
      let real: string;
      try {
        real = await realpath(full);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw ioError(e, full, 'opening the weights shard');
        throw new McError('MISSING_FILE', `${full}: expected the weights shard named in the manifest, found no such file`);
      }
      const rel = path.relative(realDir, real);
      if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
        throw new McError('BAD_PATH', `${full}: expected a file inside the model's folder, but it resolves to ${real}`);
      }
      const st = await stat(real).catch((e: unknown) => {
        throw ioError(e, full, 'opening the weights shard');
      });
      if (!st.isFile()) throw new McError('MISSING_FILE', `${full}: expected a regular file, found something else`);
      files.push({ path: full, real, size: st.size });
    }
    return new GroupReader(files);
  }

  /**
   * Read `length` bytes at `offset` of the group stream into a fresh, aligned array, or into
   * `into` (exactly `length` bytes; callers that reuse buffers save the allocation and its
   * page faults).
   */
  async read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new McError('SIZE_MISMATCH', `reading bytes ${offset}..${offset + length} of ${this.describe()}: only ${this.size} bytes present`);
    }
    if (into && into.length !== length) throw new RangeError(`GroupReader.read: a buffer of ${into.length} bytes for ${length}`);
    const out = into ?? new Uint8Array(length);
    let done = 0;
    let fi = this.fileAt(offset);
    while (done < length) {
      const f = this.files[fi];
      const inFile = offset + done - this.starts[fi];
      const n = Math.min(length - done, f.size - inFile);
      await this.readFile(fi, out, done, n, inFile);
      done += n;
      fi++;
    }
    return out;
  }

  /** Close this reader's open files. */
  async close(): Promise<void> {
    const mine = [...pool].filter(([key]) => key.startsWith(this.id));
    for (const [key] of mine) pool.delete(key);
    await Promise.all(mine.map(([, slot]) => slot.handle.then((h) => h.close()).catch(() => undefined)));
  }

  /** The group's files, for error messages. */
  describe(): string {
    if (this.files.length === 0) return 'a group without shard files';
    return this.files.length === 1 ? this.files[0].path : `${this.files.length} shards starting ${this.files[0].path}`;
  }

  private fileAt(offset: number): number {
    let lo = 0;
    let hi = this.files.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    // Skip empty files sitting at the same start.
    while (lo < this.files.length - 1 && this.starts[lo] + this.files[lo].size <= offset) lo++;
    return lo;
  }

  private async readFile(fi: number, out: Uint8Array, outAt: number, n: number, pos: number): Promise<void> {
    const f = this.files[fi];
    // The checked real path is opened, not the name (a symlink) the manifest gave.
    await withHandle(this.id + fi, f.real, f.path, async (h) => {
      let done = 0;
      while (done < n) {
        const want = Math.min(CHUNK, n - done);
        const { bytesRead } = await h.read(out, outAt + done, want, pos + done);
        if (bytesRead === 0) {
          throw new McError('SIZE_MISMATCH', `${f.path}: expected ${f.size} bytes, the file ended early`);
        }
        done += bytesRead;
      }
    });
  }
}
