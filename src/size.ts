/**
 * Sizes of a model as served: raw bytes of every file, and their gzip (level 9) and
 * brotli (quality 11) sizes, computed file by file with streaming compressors.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { McError, ioError } from './errors.js';
import { cachedSizes, contentHash, sizeCacheDir, storeSizes } from './size-cache.js';
import { loadModel } from './model/load.js';

/** Raw and transfer-encoded bytes. */
export interface Sizes {
  raw: number;
  gzip: number;
  brotli: number;
}

/** Sizes of one file. */
export interface FileSizes extends Sizes {
  file: string;
}

/** Count bytes written to it. */
function counter(): { sink: Writable; bytes: () => number } {
  let n = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      cb();
    },
  });
  return { sink, bytes: () => n };
}

/**
 * Compression streams running at once in this process. zlib runs on libuv's thread pool,
 * off the main thread; more streams than cores only make each one slower while the main
 * thread needs a core for inference. Two at least, so that a short gzip job is not stuck
 * behind a long brotli one on a two-core machine.
 */
const LANES = Math.max(2, availableParallelism() - 1);
let running = 0;
const waiting: (() => void)[] = [];

/** Run `job` when a lane is free (first come, first served). */
async function inLane<T>(job: () => Promise<T>): Promise<T> {
  if (running < LANES) running++;
  else await new Promise<void>((resolve) => waiting.push(resolve)); // the lane is handed over, still counted
  try {
    return await job();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

/** Compressed size of a file (or of bytes [start, end) of it) through a zlib transform. */
async function compressedSize(file: string, make: () => zlib.Gzip | zlib.BrotliCompress, range?: { start: number; end: number }): Promise<number> {
  return inLane(async () => {
    const c = counter();
    await pipeline(createReadStream(file, range ? { start: range.start, end: range.end - 1 } : {}), make(), c.sink);
    return c.bytes();
  });
}

/**
 * Files larger than this are brotli-compressed in blocks of this size, independently and in
 * parallel, and the block sizes are summed. Brotli at quality 11 runs at about 1 MB/s on
 * weights, one core per stream: a 14 MB shard alone would take 15-20 s on one core while
 * the others idle. 4 MiB is brotli's default window, so a block boundary costs little
 * history; measured on real weight files the sum is within 0.01 % of the whole-file size
 * (docs/report.md, "Sizes").
 */
export const BROTLI_BLOCK = 4 * 1024 * 1024;

const brotli = (sizeHint: number) => () =>
  zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: sizeHint } });

/** Brotli -q 11 size of a file, in BROTLI_BLOCK blocks when it is larger. */
async function brotliSize(file: string, raw: number): Promise<number> {
  if (raw <= BROTLI_BLOCK) return compressedSize(file, brotli(raw));
  const blocks: Promise<number>[] = [];
  for (let start = 0; start < raw; start += BROTLI_BLOCK) {
    const end = Math.min(raw, start + BROTLI_BLOCK);
    blocks.push(compressedSize(file, brotli(end - start), { start, end }));
  }
  return (await Promise.all(blocks)).reduce((a, b) => a + b, 0);
}

/** Files smaller than this are compressed again rather than looked up (it is as fast). */
const CACHE_MIN_BYTES = 64 * 1024;

/** Raw, gzip -9 and brotli -q 11 sizes of one file (cached by content: src/size-cache.ts; brotli of a large file in parallel blocks: BROTLI_BLOCK). */
export async function fileSizes(file: string, withCompressed = true): Promise<FileSizes> {
  const st = await stat(file).catch((e: unknown) => {
    throw ioError(e, file, 'measuring its size');
  });
  if (!st.isFile()) throw new McError('MISSING_FILE', `${file}: expected a file, found a folder or special file`);
  const raw = st.size;
  if (!withCompressed) return { file, raw, gzip: raw, brotli: raw };
  const cache = sizeCacheDir();
  const hash = cache && raw >= CACHE_MIN_BYTES ? await contentHash(file) : null;
  const hit = cache && hash ? await cachedSizes(cache, hash, raw) : null;
  if (hit) return { file, raw, ...hit };
  // Brotli first: it is the long job, and the lanes are served in order.
  const [br, gzip] = await Promise.all([brotliSize(file, raw), compressedSize(file, () => zlib.createGzip({ level: 9 }))]);
  if (cache && hash) await storeSizes(cache, hash, raw, { gzip, brotli: br });
  return { file, raw, gzip, brotli: br };
}

/** Sum of sizes. */
export function sumSizes(xs: Sizes[]): Sizes {
  return xs.reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, brotli: a.brotli + b.brotli }), { raw: 0, gzip: 0, brotli: 0 });
}

/** The files a browser fetches for a tfjs model: model.json and every shard. */
export async function modelFiles(p: string): Promise<string[]> {
  const m = await loadModel(p);
  try {
    return [m.file, ...m.json.weightsManifest.flatMap((g) => g.paths.map((s) => path.join(m.dir, s)))];
  } finally {
    await m.close();
  }
}

/**
 * Sizes of files as a server sends them. A container (.mcz) is already entropy coded, so
 * it is served as is: its gzip and brotli sizes are its raw size, and nothing is
 * compressed for nothing. Other files are compressed in parallel, off the main thread.
 */
export async function servedSizes(files: string[], container: boolean): Promise<FileSizes[]> {
  return Promise.all(files.map((f) => fileSizes(f, !container)));
}

/** True when `p` names a packed container rather than a tfjs folder or model.json. */
export function isContainerPath(p: string): boolean {
  return p.toLowerCase().endsWith('.mcz');
}

/** Files compressed at once: zlib runs on libuv's thread pool (4 threads), two streams a file. */
const FILES_AT_ONCE = 2;

/**
 * fileSizes of every file, a few at a time (each streams: memory does not grow with file
 * size), in order; a failure is the one a file-by-file loop would have met first.
 */
export async function filesSizes(files: string[], withCompressed = true): Promise<FileSizes[]> {
  const out: FileSizes[] = new Array(files.length);
  const failures: Array<{ i: number; e: unknown }> = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < files.length && failures.length === 0) {
      const i = next++;
      try {
        out[i] = await fileSizes(files[i], withCompressed);
      } catch (e) {
        failures.push({ i, e });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(FILES_AT_ONCE, files.length) }, lane));
  if (failures.length) throw failures.reduce((a, b) => (b.i < a.i ? b : a)).e;
  return out;
}

/**
 * Sizes of every served file of a model (a tfjs folder, model.json, or one .mcz), and their
 * total. `compressed: false` gives raw sizes only (gzip and brotli equal to raw), without
 * reading the files: brotli at quality 11 runs at about 0.4 MB/s on weights
 * (docs/performance.md), so callers that need only raw sizes should say so.
 */
export async function modelSizes(p: string, opts: { compressed?: boolean } = {}): Promise<{ files: FileSizes[]; total: Sizes }> {
  const files = await filesSizes(isContainerPath(p) ? [p] : await modelFiles(p), opts.compressed ?? true);
  return { files, total: sumSizes(files) };
}
