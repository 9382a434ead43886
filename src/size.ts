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
  const raw = (await stat(file)).size;
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

/** Sizes of every served file of a model (a tfjs folder, model.json, or one .mcz), and their total. */
export async function modelSizes(p: string): Promise<{ files: FileSizes[]; total: Sizes }> {
  const files: FileSizes[] = [];
  for (const f of isContainerPath(p) ? [p] : await modelFiles(p)) files.push(await fileSizes(f));
  return { files, total: sumSizes(files) };
}
