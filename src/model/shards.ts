/**
 * Reading a manifest group's byte stream: its shard files concatenated, read with
 * positional reads in bounded chunks, never as one buffer per model (Node refuses to
 * read a file over 2 GiB at once, and models may not fit in memory).
 */
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { McError } from '../errors.js';

/** Largest single read; files over 2 GiB are read piecewise. */
const CHUNK = 64 * 1024 * 1024;

/** One shard of a group: its path and size. */
export interface ShardFile {
  path: string;
  size: number;
}

/** Random access to a group's concatenated shard bytes. */
export class GroupReader {
  /** Total bytes of the group. */
  readonly size: number;
  private readonly starts: number[];
  private readonly handles = new Map<number, FileHandle>();

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
    const realDir = await realpath(dir);
    const files: ShardFile[] = [];
    for (const p of paths) {
      const full = path.join(dir, p);
      let real: string;
      try {
        real = await realpath(full);
      } catch {
        throw new McError('MISSING_FILE', `${full}: expected the weights shard named in model.json, found no such file`);
      }
      const rel = path.relative(realDir, real);
      if (rel.startsWith('..') || path.isAbsolute(rel)) {
        throw new McError('BAD_PATH', `${full}: expected a file inside the model's folder, but it resolves to ${real}`);
      }
      const st = await stat(real);
      if (!st.isFile()) throw new McError('MISSING_FILE', `${full}: expected a regular file, found something else`);
      files.push({ path: full, size: st.size });
    }
    return new GroupReader(files);
  }

  /** Read `length` bytes at `offset` of the group stream into a fresh, aligned array. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new McError('SIZE_MISMATCH', `reading bytes ${offset}..${offset + length} of ${this.describe()}: only ${this.size} bytes present`);
    }
    const out = new Uint8Array(length);
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

  /** Close any open files. */
  async close(): Promise<void> {
    const hs = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(hs.map((h) => h.close()));
  }

  /** The group's files, for error messages. */
  describe(): string {
    return this.files.length === 1 ? this.files[0].path : `${this.files.length} shards starting ${this.files[0]?.path}`;
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
    let h = this.handles.get(fi);
    if (!h) {
      h = await open(this.files[fi].path, 'r');
      this.handles.set(fi, h);
    }
    let done = 0;
    while (done < n) {
      const want = Math.min(CHUNK, n - done);
      const { bytesRead } = await h.read(out, outAt + done, want, pos + done);
      if (bytesRead === 0) {
        throw new McError('SIZE_MISMATCH', `${this.files[fi].path}: expected ${this.files[fi].size} bytes, the file ended early`);
      }
      done += bytesRead;
    }
  }
}
