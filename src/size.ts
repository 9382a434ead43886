/**
 * Sizes of a model as served: raw bytes of every file, and their gzip (level 9) and
 * brotli (quality 11) sizes, computed file by file with streaming compressors.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { McError, ioError } from './errors.js';
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

/** Compressed size of a file through a zlib transform. */
async function compressedSize(file: string, make: () => zlib.Gzip | zlib.BrotliCompress): Promise<number> {
  const c = counter();
  await pipeline(createReadStream(file), make(), c.sink);
  return c.bytes();
}

/** Raw, gzip -9 and brotli -q 11 sizes of one file. */
export async function fileSizes(file: string, withCompressed = true): Promise<FileSizes> {
  const st = await stat(file).catch((e: unknown) => {
    throw ioError(e, file, 'measuring its size');
  });
  if (!st.isFile()) throw new McError('MISSING_FILE', `${file}: expected a file, found a folder or special file`);
  const raw = st.size;
  if (!withCompressed) return { file, raw, gzip: raw, brotli: raw };
  const [gzip, brotli] = await Promise.all([
    compressedSize(file, () => zlib.createGzip({ level: 9 })),
    compressedSize(file, () =>
      zlib.createBrotliCompress({
        params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw },
      }),
    ),
  ]);
  return { file, raw, gzip, brotli };
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
