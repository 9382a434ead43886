/**
 * A cache of compressed sizes keyed by file content. brotli at quality 11 costs about one
 * core-second per MB of weights, and a CI job reports the same original (and, the
 * recipes being deterministic, the same candidate bytes) on every run: keyed by the
 * SHA-256 of the bytes and the compressor settings, a size is computed once per content.
 * A hit is exact (same bytes, same settings, same answer); a cache that cannot be read or
 * written is silently skipped, never an error.
 *
 * Where: `$MAAS_COMPRESS_CACHE` (a folder; `off` or `0` disables it), else
 * `$XDG_CACHE_HOME/maas-compress`, else `~/.cache/maas-compress`.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Bump when the way sizes are computed changes: old entries are then ignored. */
const SETTINGS = 'gzip9+brotli11-block4MiB-v1';

/** The cache folder, or null when disabled. */
export function sizeCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const v = env.MAAS_COMPRESS_CACHE;
  if (v === 'off' || v === '0') return null;
  if (v) return v;
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'maas-compress');
}

/** SHA-256 of a file's bytes (hex). */
export async function contentHash(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

const entryPath = (dir: string, hash: string, raw: number) => path.join(dir, 'sizes', `${hash}-${raw}.json`);

/** A cached { gzip, brotli } for this content, or null. */
export async function cachedSizes(dir: string, hash: string, raw: number): Promise<{ gzip: number; brotli: number } | null> {
  try {
    const v = JSON.parse(await readFile(entryPath(dir, hash, raw), 'utf8')) as { settings?: string; gzip?: unknown; brotli?: unknown };
    if (v.settings !== SETTINGS || !Number.isInteger(v.gzip) || !Number.isInteger(v.brotli)) return null;
    return { gzip: v.gzip as number, brotli: v.brotli as number };
  } catch {
    return null;
  }
}

/** Remember sizes for this content (atomic: a temporary file renamed into place). */
export async function storeSizes(dir: string, hash: string, raw: number, s: { gzip: number; brotli: number }): Promise<void> {
  const file = entryPath(dir, hash, raw);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(tmp, JSON.stringify({ settings: SETTINGS, gzip: s.gzip, brotli: s.brotli }));
    await rename(tmp, file);
  } catch {
    // A read-only or full cache only costs the time to compute again.
  }
}
